//go:build !unix

package responder

import "os/exec"

// killGroup keeps exec's default (kill the process) where there are no
// process groups.
func killGroup(*exec.Cmd) {}

// reap has nothing to do without process groups.
func reap(*exec.Cmd) {}
