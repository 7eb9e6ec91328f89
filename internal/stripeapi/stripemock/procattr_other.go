//go:build !linux

package stripemock

import "os/exec"

func dieWithParent(cmd *exec.Cmd) {}
