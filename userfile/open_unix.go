//go:build unix

package userfile

import "syscall"

// openFlags keep open(2) from waiting for a FIFO's writer (the file is
// refused as soon as the descriptor says what it is) and from making a
// terminal the controlling one.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
