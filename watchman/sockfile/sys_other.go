//go:build !linux

package sockfile

import "syscall"

// Without SOCK_CLOEXEC the flag is set under ForkLock, so that no process
// started meanwhile inherits the descriptor.
func socket(family int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	if err := prepare(fd); err != nil {
		return -1, err
	}
	return fd, nil
}

func accept(fd int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	nfd, _, err := syscall.Accept(fd)
	if err != nil {
		return -1, err
	}
	if err := prepare(nfd); err != nil {
		return -1, err
	}
	return nfd, nil
}

func prepare(fd int) error {
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	return nil
}
