package stripemock

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the mock when the test binary dies,
// so that a test that panics past Stop leaves no stripe-mock behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
