package mounts

import (
	"strings"
	"testing"
)

// sample is a mount table as kernels print it: this machine's (a VM with a
// container's cgroups), a laptop's with a network home and an sshfs mount,
// WSL 2's Windows drives, and Docker Desktop's bind mounts of a Mac's
// folders. Mount points with a space, tab and backslash are escaped.
const sample = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334524k,nr_inodes=3083631,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684096k
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 23 0:7 / /sys/kernel/debug rw,nosuid,nodev,noexec,relatime shared:25 - debugfs debugfs rw
51 23 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:26 - tracefs tracefs rw
52 22 0:45 / /proc/sys/fs/binfmt_misc rw,relatime shared:27 - autofs systemd-1 rw,fd=29,pgrp=1,timeout=0,minproto=5,maxproto=5,direct
60 27 0:50 / /home/ann rw,relatime shared:40 - nfs4 fs1:/export/home/ann rw,vers=4.2,rsize=1048576
61 60 0:51 / /home/ann/remote rw,nosuid,nodev,relatime shared:41 - fuse.sshfs ann@build:/src rw,user_id=1000,group_id=1000
62 27 0:52 / /mnt/c rw,noatime - 9p drvfs rw,dirsync,aname=drvfs;path=C:\;uid=1000,gid=1000,symlinkroot=/mnt/,trans=fd,rfdno=8,wfdno=8
63 27 0:53 / /mnt/d rw,noatime - drvfs D:\134 rw,uid=1000
64 27 0:54 /Users/ann/src /app rw,relatime - fakeowner grpcfuse rw,fakeowner
65 27 0:55 /Users/ann/web /web rw,relatime - fuse.grpcfuse grpcfuse rw,user_id=0,group_id=0,allow_other
66 27 0:56 / /srv/My\040Project rw,relatime - xfs /dev/sdb1 rw
67 27 0:57 / /srv/tab\011dir\134x rw,relatime - virtiofs myfs rw
68 27 0:58 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
69 27 0:59 / /media/usb rw,relatime - vboxsf share rw
70 27 0:60 / /mnt/new rw,relatime - somefs x rw
71 27 0:61 / /mnt/cifs rw,relatime - cifs //srv/share rw,vers=3.0
72 27 0:62 / /mnt/x rw,relatime - ext4 /dev/sdc1 rw
73 27 0:63 / /mnt/x rw,relatime - nfs srv:/x rw
74 72 0:64 / /mnt/x/inner rw,relatime - tmpfs tmpfs rw
`

func mustParse(t *testing.T, s string) *Table {
	t.Helper()
	tab, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestFindClassifiesPaths(t *testing.T) {
	tab := mustParse(t, sample)
	for _, c := range []struct {
		path, fstype string
		class        Class
	}{
		{"/", "ext4", Local},
		{"/home/bob/src", "ext4", Local},
		{"/proc", "proc", Pseudo},
		{"/proc/self", "proc", Pseudo},
		{"/processes", "ext4", Local}, // a prefix of the name is not a parent
		{"/sys", "sysfs", Pseudo},
		{"/dev", "devtmpfs", Pseudo},
		{"/dev/shm", "tmpfs", Local}, // statfs says tmpfs for /dev too
		{"/dev/shm/x/y", "tmpfs", Local},
		{"/dev/pts/0", "devpts", Pseudo},
		{"/sys/fs/cgroup/unified/x", "cgroup2", Pseudo},
		{"/sys/kernel/debug", "debugfs", Pseudo},
		{"/sys/kernel/tracing", "tracefs", Pseudo},
		{"/proc/sys/fs/binfmt_misc", "autofs", Pseudo},
		{"/home/ann/src", "nfs4", Remote},
		{"/home/ann/remote/x", "fuse.sshfs", Remote},
		{"/mnt/c/Users", "9p", Remote},
		{"/mnt/d", "drvfs", Remote},
		{"/app/main.go", "fakeowner", Remote},
		{"/web", "fuse.grpcfuse", Remote},
		{"/srv/My Project/a", "xfs", Local},
		{"/srv/tab\tdir\\x", "virtiofs", Remote},
		{"/var/lib/docker/overlay2/abc/merged/app", "overlay", Local},
		{"/media/usb", "vboxsf", Remote},
		{"/mnt/new", "somefs", Unknown},
		{"/mnt/cifs", "cifs", Remote},
		{"/mnt/x/a", "nfs", Remote},     // the later mount on /mnt/x hides the first
		{"/mnt/x/inner", "nfs", Remote}, // and what was mounted below the first
	} {
		m, ok := tab.Find(c.path)
		if !ok || m.Type != c.fstype || m.Class() != c.class {
			t.Errorf("Find(%q) = %q (%v, found %v), want %q (%v)", c.path, m.Type, m.Class(), ok, c.fstype, c.class)
		}
	}
	if _, ok := tab.Find("relative/path"); ok {
		t.Error("a relative path found a mount")
	}
}

func TestParseReadsFields(t *testing.T) {
	tab := mustParse(t, sample)
	m, _ := tab.Find("/app")
	want := Mount{ID: 64, Parent: 27, Major: 0, Minor: 54, Root: "/Users/ann/src", Point: "/app", Type: "fakeowner", Source: "grpcfuse"}
	if m != want {
		t.Errorf("got %+v\nwant %+v", m, want)
	}
	m, _ = tab.Find("/")
	if m.Major != 254 || m.Minor != 0 || m.Source != "/dev/vda" {
		t.Errorf("root mount %+v", m)
	}
	m, _ = tab.Find("/mnt/d")
	if m.Source != `D:\` {
		t.Errorf("source %q, want D:\\ unescaped", m.Source)
	}
}

func TestBelowListsMountsInsideATree(t *testing.T) {
	tab := mustParse(t, sample)
	var got []string
	for _, m := range tab.Below("/home/ann") {
		got = append(got, m.Point)
	}
	if strings.Join(got, " ") != "/home/ann/remote" {
		t.Errorf("Below(/home/ann) = %v", got)
	}
	if n := len(tab.Below("/home/ann/remote")); n != 0 {
		t.Errorf("Below a leaf mount = %d mounts", n)
	}
}

func TestParseRejectsMalformedLines(t *testing.T) {
	for _, line := range []string{
		"27 1 254:0 / / rw,relatime ext4 /dev/vda rw", // no separator
		"x 1 254:0 / / rw - ext4 /dev/vda rw",
		"27 1 254 / / rw - ext4 /dev/vda rw",
		"27 1 254:0 / / rw -",
	} {
		if _, err := Parse(strings.NewReader(line + "\n")); err == nil {
			t.Errorf("Parse(%q) accepted it", line)
		}
	}
}

func TestClassify(t *testing.T) {
	for fstype, want := range map[string]Class{
		"ext4": Local, "xfs": Local, "btrfs": Local, "tmpfs": Local, "overlay": Local,
		"f2fs": Local, "zfs": Local,
		"nfs": Remote, "nfs4": Remote, "cifs": Remote, "smb3": Remote, "9p": Remote,
		"drvfs": Remote, "virtiofs": Remote, "fuse.grpcfuse": Remote, "fakeowner": Remote,
		"vboxsf": Remote, "fuse.sshfs": Remote, "fuse": Remote, "fuse.anything": Remote,
		"proc": Pseudo, "sysfs": Pseudo, "devtmpfs": Pseudo, "devpts": Pseudo,
		"cgroup": Pseudo, "cgroup2": Pseudo, "debugfs": Pseudo, "tracefs": Pseudo,
		"securityfs": Pseudo, "pstore": Pseudo, "bpf": Pseudo, "mqueue": Pseudo,
		"hugetlbfs": Pseudo, "configfs": Pseudo, "fusectl": Pseudo,
		"binfmt_misc": Pseudo, "autofs": Pseudo,
		"brandnewfs": Unknown, "": Unknown,
	} {
		if got := Classify(fstype); got != want {
			t.Errorf("Classify(%q) = %v, want %v", fstype, got, want)
		}
	}
	if Unknown.Trusted() || Remote.Trusted() || Pseudo.Trusted() || !Local.Trusted() {
		t.Error("only Local is trusted")
	}
}

func TestFakeMountsOverARealOne(t *testing.T) {
	tab := mustParse(t, sample)
	tab.Fake("/home/bob/src/share", "nfs")
	if m, _ := tab.Find("/home/bob/src/share/a.go"); m.Type != "nfs" {
		t.Errorf("inside the fake mount: %q", m.Type)
	}
	if m, _ := tab.Find("/home/bob/src/a.go"); m.Type != "ext4" {
		t.Errorf("beside the fake mount: %q", m.Type)
	}
	if b := tab.Below("/home/bob"); len(b) != 1 || b[0].Point != "/home/bob/src/share" {
		t.Errorf("Below = %v", b)
	}
}

func FuzzParse(f *testing.F) {
	for _, line := range strings.Split(sample, "\n") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := Parse(strings.NewReader(s))
		if err == nil {
			tab.Find("/a/b")
			tab.Below("/")
		}
	})
}

// TestFindStackedMount: a mount on a point already mounted has the mount it
// covers as its parent (as /dev/shm in a container: tmpfs on tmpfs). The
// covered one is hidden, with what was mounted below it; the top one and
// what is mounted below it are not.
func TestFindStackedMount(t *testing.T) {
	tab := mustParse(t, `27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw
26 25 0:24 / /dev/shm/old rw,relatime - nfs srv:/old rw
30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw
31 30 0:28 / /dev/shm/new rw,relatime - xfs /dev/sdb1 rw
`)
	for _, c := range []struct{ path, fstype string }{
		{"/dev/shm", "tmpfs"},
		{"/dev/shm/x", "tmpfs"},
		{"/dev/shm/old/x", "tmpfs"}, // below the covered mount: hidden
		{"/dev/shm/new/x", "xfs"},
		{"/dev/null", "devtmpfs"},
	} {
		if m, ok := tab.Find(c.path); !ok || m.Type != c.fstype {
			t.Errorf("Find(%q) = %q (found %v), want %q", c.path, m.Type, ok, c.fstype)
		}
	}
}
