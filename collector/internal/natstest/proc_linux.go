package natstest

import "syscall"

// sysProcAttr has the kernel kill the server when the thread that started
// it dies, so that a test binary killed before its cleanups (a go test
// -timeout panic) leaves no server running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
