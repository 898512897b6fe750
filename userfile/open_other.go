//go:build !unix

package userfile

// openFlags: only the check before opening guards against a FIFO here.
const openFlags = 0
