package mounts

import "strings"

// Class is what kernel events on a filesystem are worth.
type Class int

const (
	// Unknown: a type not listed here. Treated as Remote by callers that
	// must not lose a change.
	Unknown Class = iota
	// Local: every change goes through this kernel, which reports it.
	Local
	// Remote: changes made by another machine, or by the host of a VM or
	// container, reach this kernel without an event (NFS, SMB, 9p, FUSE...).
	Remote
	// Pseudo: a kernel interface, not files a person edits; never watched.
	Pseudo
)

func (c Class) String() string {
	switch c {
	case Local:
		return "local"
	case Remote:
		return "remote"
	case Pseudo:
		return "pseudo"
	}
	return "unknown"
}

// Trusted reports whether events on the class can stand in for polling.
func (c Class) Trusted() bool { return c == Local }

var classes = map[string]Class{
	// Local disk and memory filesystems. overlay: a container's root; its
	// lower layers are read-only images, its upper layer is written here.
	"ext2": Local, "ext3": Local, "ext4": Local, "xfs": Local, "btrfs": Local,
	"tmpfs": Local, "ramfs": Local, "overlay": Local, "f2fs": Local, "zfs": Local,
	"bcachefs": Local, "jfs": Local, "reiserfs": Local, "nilfs2": Local,
	"vfat": Local, "msdos": Local, "exfat": Local, "ntfs": Local, "ntfs3": Local,
	"hfsplus": Local, "hfs": Local, "udf": Local, "iso9660": Local,
	"squashfs": Local, "erofs": Local, "ecryptfs": Local, "shiftfs": Local,

	// Network and shared filesystems: another side writes without telling
	// this kernel. 9p and drvfs are WSL's Windows drives, virtiofs and
	// fakeowner Docker Desktop's and VMs' host shares, vboxsf VirtualBox's,
	// vmhgfs VMware's, prl_fs Parallels'. Cluster filesystems too.
	"nfs": Remote, "nfs4": Remote, "cifs": Remote, "smb3": Remote, "smbfs": Remote,
	"9p": Remote, "drvfs": Remote, "virtiofs": Remote, "fakeowner": Remote,
	"vboxsf": Remote, "vmhgfs": Remote, "prl_fs": Remote, "afs": Remote,
	"ceph": Remote, "glusterfs": Remote, "lustre": Remote, "gpfs": Remote,
	"ocfs2": Remote, "gfs2": Remote, "davfs": Remote, "coda": Remote,
	// FUSE: the daemon decides what happens, and rarely tells the kernel
	// (sshfs, grpcfuse...). fuse.<name> is handled below.
	"fuse": Remote, "fuseblk": Remote,

	// Kernel interfaces.
	"proc": Pseudo, "sysfs": Pseudo, "devtmpfs": Pseudo, "devpts": Pseudo,
	"cgroup": Pseudo, "cgroup2": Pseudo, "debugfs": Pseudo, "tracefs": Pseudo,
	"securityfs": Pseudo, "pstore": Pseudo, "bpf": Pseudo, "mqueue": Pseudo,
	"hugetlbfs": Pseudo, "configfs": Pseudo, "fusectl": Pseudo,
	"binfmt_misc": Pseudo, "autofs": Pseudo, "efivarfs": Pseudo,
	"rpc_pipefs": Pseudo, "nsfs": Pseudo, "selinuxfs": Pseudo, "nfsd": Pseudo,
	"sockfs": Pseudo, "pipefs": Pseudo, "anon_inodefs": Pseudo, "devfs": Pseudo,
	"fuse.lxcfs": Pseudo, // LXC's stand-in for parts of /proc and /sys
}

// Classify returns the class of a filesystem type as the mount table
// names it ("ext4", "fuse.sshfs").
func Classify(fstype string) Class {
	if c, ok := classes[fstype]; ok {
		return c
	}
	if strings.HasPrefix(fstype, "fuse.") {
		return Remote
	}
	return Unknown
}
