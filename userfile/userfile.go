// Package userfile reads the files a user names — keys, certificates, the
// config file, the input history, templates, recordings — and nothing
// else: one place decides what such a file may be.
//
// A named file must be a regular file (a symbolic link to one is fine). A
// FIFO, a device, a socket or a directory is refused with a sentence that
// names the file and says what it is, before anything is read: /dev/zero
// would be read forever, a FIFO would block until a writer came, a
// terminal would wait for keys. Each kind of file has a limit (Limit) that
// fits it, checked against the size before reading and again while
// reading, since a file can grow and files under /proc report size 0.
//
// The type is checked before the file is opened (opening a device can
// have effects of its own) and again on the open descriptor, which is
// opened without blocking (O_NONBLOCK) so that a file swapped for a FIFO
// in between cannot hang the caller either.
package userfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Limit is the most Read takes of one kind of file, and the words errors
// use for that kind.
type Limit struct {
	Max  int64  // bytes
	What string // "a key or certificate file", completing "the most … may hold"
}

// The limits of the kinds of files that are not defined where they are
// used (the history's is history.FileLimit, a recording's replay.FileLimit).
var (
	// PEM is a key or certificate file: a few KiB even with a chain of
	// certificates; 1 MiB leaves room for any real bundle of CAs.
	PEM = Limit{Max: 1 << 20, What: "a key or certificate file"}
	// Config is the TOML config file: a few KiB in practice, with room for
	// inline PEM and many topics.
	Config = Limit{Max: 4 << 20, What: "a config file"}
)

// ErrNotRegular is what Read returns (wrapped in an *Error) for a FIFO, a
// device, a socket or a directory.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is what Read returns (wrapped in an *Error) for a file over
// its limit.
var ErrTooLarge = errors.New("file too large")

// Error is a refused file: "PATH is a named pipe (FIFO), not a regular
// file", "PATH is larger than 1 MiB, the most a key or certificate file may
// hold". errors.Is matches ErrNotRegular or ErrTooLarge.
type Error struct {
	Path   string
	Reason string // the rest of the sentence after the path
	Err    error  // ErrNotRegular or ErrTooLarge
}

func (e *Error) Error() string { return e.Path + " " + e.Reason }

// Unwrap returns ErrNotRegular or ErrTooLarge.
func (e *Error) Unwrap() error { return e.Err }

// Read returns the content of the regular file at path, refusing anything
// else and more than l.Max bytes. Errors name the file; a missing file's
// error matches fs.ErrNotExist.
func Read(path string, l Limit) ([]byte, error) {
	f, size, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > l.Max {
		return nil, tooLarge(path, l)
	}
	// Sized like os.ReadFile's buffer, but never past the limit: a /proc
	// file says 0 and grows by appending.
	buf := make([]byte, 0, min(size, l.Max)+1)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > l.Max {
			return nil, tooLarge(path, l)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // let append pick the growth
		}
	}
}

// Open opens the regular file at path for a reader that goes through it
// (a recording, line by line): what is not a regular file is refused as by
// Read, and reading past l.Max bytes fails with an *Error.
func Open(path string, l Limit) (io.ReadCloser, error) {
	f, size, err := open(path)
	if err != nil {
		return nil, err
	}
	if size > l.Max {
		f.Close()
		return nil, tooLarge(path, l)
	}
	return &bounded{f: f, left: l.Max, path: path, l: l}, nil
}

// Check reports, without opening it, why Read would refuse path: the
// error of os.Stat (fs.ErrNotExist for a missing file), or an *Error naming
// what it is when it is not a regular file; nil when it is one. For
// checking a configuration's files before anything runs.
func Check(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return notRegular(path, fi.Mode())
	}
	return nil
}

// open checks that path is a regular file, opens it without blocking and
// checks the descriptor again; it returns the size the descriptor reports.
func open(path string) (*os.File, int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, notRegular(path, fi.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, notRegular(path, st.Mode())
	}
	return f, st.Size(), nil
}

// bounded is Open's reader.
type bounded struct {
	f    *os.File
	left int64 // bytes that may still be read
	path string
	l    Limit
}

func (b *bounded) Read(p []byte) (int, error) {
	// One byte more than what is left tells a file that ends exactly at
	// the limit from one that goes on.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.f.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), 0
		return n, tooLarge(b.path, b.l)
	}
	b.left -= int64(n)
	return n, err
}

func (b *bounded) Close() error { return b.f.Close() }

func tooLarge(path string, l Limit) error {
	return &Error{Path: path, Reason: "is larger than " + FormatSize(l.Max) + ", the most " + l.What + " may hold", Err: ErrTooLarge}
}

// notRegular names what path is; a symbolic link's target is named too, so
// that "zc/ca.crt (→ /dev/zero)" explains itself.
func notRegular(path string, mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeCharDevice != 0:
		what = "a character device"
	case mode&fs.ModeDevice != 0:
		what = "a block device"
	}
	name := path
	if li, err := os.Lstat(path); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(path); err == nil {
			name += " (→ " + target + ")"
		}
	}
	reason := "is " + what + ", not a regular file"
	if what == "not a regular file" {
		reason = "is not a regular file"
	}
	return &Error{Path: name, Reason: reason, Err: ErrNotRegular}
}

// FormatSize writes a limit the way the README does: "1 MiB", "64 KiB",
// "12345 bytes".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// ExpandHome replaces a leading "~" or "~/" with the user's home
// directory, as a shell would: names typed in the TUI and written in the
// config file never pass through one. Other paths, and all paths when
// there is no home directory, come back as they are.
func ExpandHome(path string) string {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return path
	}
	return filepath.Join(home, path[1:])
}
