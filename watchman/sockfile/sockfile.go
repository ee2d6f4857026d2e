// Package sockfile opens stream sockets, Unix and TCP, as *os.File through
// the system calls: for the Watchman client, the --socket listeners and the
// --deps-from child channel. A non-blocking descriptor in an *os.File is on
// Go's poller, so Read, Write, deadlines and Close work as on a net.Conn.
//
// Why not net: its dialer, listener and resolver are half a megabyte of
// autoreload's binary, mapped by every process that runs it (the guard
// beside COMMAND too), for a few system calls.
package sockfile

import (
	"context"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// backlog is listen(2)'s queue length; the kernel caps it at
// net.core.somaxconn.
const backlog = 1 << 16

// Listen binds a stream socket to sa (*syscall.SockaddrUnix,
// *syscall.SockaddrInet4 or *syscall.SockaddrInet6) and listens on it. The
// file is close-on-exec and non-blocking, on Go's poller (its Fd leaves the
// mode alone). As net's listeners, a TCP socket may bind a port still in
// TIME_WAIT, and an IPv6 one accepts IPv4 too. Errors are *os.SyscallError
// around an errno (bind: address already in use).
func Listen(sa syscall.Sockaddr) (*os.File, error) {
	family, name := describe(sa)
	fd, err := socket(family)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := setup(fd, family); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("listen", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

func setup(fd, family int) error {
	if family == syscall.AF_UNIX {
		return nil
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	if family == syscall.AF_INET6 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	return nil
}

// describe is sa's address family and how to write it.
func describe(sa syscall.Sockaddr) (int, string) {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return syscall.AF_INET, netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
	case *syscall.SockaddrInet6:
		return syscall.AF_INET6, netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)).String()
	case *syscall.SockaddrUnix:
		return syscall.AF_UNIX, sa.Name
	}
	return -1, "?"
}

// Addr is the address the listening socket f is bound to, as net writes
// it: 127.0.0.1:8080, [::]:8080, or the Unix socket's path (with port 0
// the port the system chose).
func Addr(f *os.File) (string, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return "", err
	}
	var sa syscall.Sockaddr
	var serr error
	if err := rc.Control(func(fd uintptr) { sa, serr = syscall.Getsockname(int(fd)) }); err != nil {
		return "", err
	}
	if serr != nil {
		return "", os.NewSyscallError("getsockname", serr)
	}
	_, name := describe(sa)
	return name, nil
}

// Accept waits for a connection on ln, a file from Listen, and returns it,
// non-blocking and close-on-exec. Closing ln makes a waiting Accept return
// an error.
func Accept(ln *os.File) (*os.File, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd, aerr := -1, error(nil)
	err = rc.Read(func(fd uintptr) bool {
		for {
			nfd, aerr = accept(int(fd))
			// As net: a connection reset before it was accepted is skipped.
			if aerr != syscall.EINTR && aerr != syscall.ECONNABORTED {
				return aerr != syscall.EAGAIN
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if aerr != nil {
		return nil, os.NewSyscallError("accept", aerr)
	}
	return os.NewFile(uintptr(nfd), ln.Name()), nil
}

// DialUnix connects to the Unix socket at path, waiting at most timeout
// (zero: no limit) and no longer than ctx. A wait that runs out is an error
// whose Timeout method says true; a refusal or a missing socket is an
// *os.SyscallError around ECONNREFUSED or ENOENT.
func DialUnix(ctx context.Context, path string, timeout time.Duration) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fd, err := socket(syscall.AF_UNIX)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	f := os.NewFile(uintptr(fd), path)
	if err := connect(ctx, f, &syscall.SockaddrUnix{Name: path}, timeout); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func connect(ctx context.Context, f *os.File, sa syscall.Sockaddr, timeout time.Duration) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	if err := rc.Control(func(fd uintptr) { cerr = syscall.Connect(int(fd), sa) }); err != nil {
		return err
	}
	switch cerr {
	case nil:
		return nil
	case syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
	default:
		return os.NewSyscallError("connect", cerr)
	}
	// In progress: writable means done, one way or the other.
	if timeout > 0 {
		f.SetWriteDeadline(time.Now().Add(timeout))
	}
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	err = rc.Write(func(fd uintptr) bool {
		n, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
		switch {
		case err != nil:
			cerr = err
		case n != 0:
			cerr = syscall.Errno(n)
			if cerr == syscall.EINPROGRESS || cerr == syscall.EALREADY || cerr == syscall.EINTR {
				return false
			}
		default:
			_, cerr = syscall.Getpeername(int(fd))
			return cerr == nil // else not connected yet
		}
		return true
	})
	if ctx.Err() != nil {
		return ctx.Err() // DeadlineExceeded's Timeout says true
	}
	if err != nil {
		return err
	}
	if cerr != nil {
		return os.NewSyscallError("connect", cerr)
	}
	return f.SetWriteDeadline(time.Time{})
}
