//go:build unix

package responder

import (
	"os/exec"
	"syscall"
)

// killGroup runs the command in a process group of its own and kills the
// whole group on timeout: a shell's children (sleep, a pipeline) die with
// it instead of outliving the request.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// reap kills what is left of the command's process group once it has
// exited: a background child that a shell left behind would otherwise
// outlive the request. The group id cannot have been reused while any of
// its members lives, so this reaches only the command's own leftovers.
func reap(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
