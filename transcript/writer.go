package transcript

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/amoptui/amoptui/userfile"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("transcript: writer closed")

// Writer appends records to a transcript file. Each Write is one write(2)
// of one complete line with nothing buffered in the process, so a record
// is in the kernel as soon as Write returns: kill -9 loses nothing written
// and leaves at most a partial last line, which Read skips. (Surviving a
// power cut needs Sync.) A Writer is safe for concurrent use; records are
// written in the order the Write calls take the lock.
type Writer struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	regular bool             // a regular file, which fsync applies to
	now     func() time.Time // the clock for records without a time
}

// Open opens path for appending, creating it with mode 0600 (transcripts
// hold payloads, which may be private). If a previous session was killed
// in the middle of a line, Open ends that line first so that the new
// records are not glued to it.
func Open(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("transcript: open: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("transcript: %w", err)
	}
	regular := st.Mode().IsRegular()
	if regular && st.Size() > 0 {
		if err := endTornLine(f, path, st.Size()); err != nil {
			f.Close()
			return nil, err
		}
	}
	return &Writer{f: f, path: path, regular: regular, now: time.Now}, nil
}

// endTornLine appends a newline when the file of the given size does not
// end with one.
func endTornLine(f *os.File, path string, size int64) error {
	// The descriptor is write-only; read the last byte through another.
	r, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("transcript: check last line: %w", err)
	}
	defer r.Close()
	var last [1]byte
	if _, err := r.ReadAt(last[:], size-1); err != nil {
		return fmt.Errorf("transcript: check last line of %s: %w", path, err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("transcript: end torn line: %w", err)
	}
	return nil
}

// Path returns the file the Writer appends to.
func (w *Writer) Path() string { return w.path }

// Write appends r as one line. A zero r.Time is set to the current time.
func (w *Writer) Write(r Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return ErrClosed
	}
	if r.Time.IsZero() {
		r.Time = w.now()
	}
	line, err := r.MarshalJSON()
	if err != nil {
		return err
	}
	// One buffer, one write(2): the line is whole or, if the process dies
	// inside the system call, the last line of the file.
	if _, err := w.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("transcript: write %s: %w", w.path, err)
	}
	return nil
}

// Sync flushes the file to stable storage (fsync), for callers that want
// records to survive a power cut, not only a crash.
func (w *Writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return ErrClosed
	}
	if !w.regular {
		return nil // a pipe or device: nothing to flush
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("transcript: sync %s: %w", w.path, err)
	}
	return nil
}

// Close syncs and closes the file. Later Writes return ErrClosed; a second
// Close returns nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	var serr error
	if w.regular {
		serr = f.Sync()
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("transcript: close %s: %w", w.path, err)
	}
	if serr != nil {
		return fmt.Errorf("transcript: sync %s: %w", w.path, serr)
	}
	return nil
}

// WriteAll writes recs to path as a complete transcript, replacing any
// file there, for /save!. It writes a temporary file in the same directory
// and renames it into place, so path holds either its old content or every
// record, never a half-written save. The file gets mode 0600.
func WriteAll(path string, recs []Record) error { return writeAll(path, recs, true) }

// ErrExists is what WriteNew's error matches when path is taken; it
// matches fs.ErrExist too.
var ErrExists error = existsError{}

type existsError struct{}

func (existsError) Error() string        { return "the file exists" }
func (existsError) Is(target error) bool { return target == fs.ErrExist }

// WriteNew is WriteAll for a path that must not exist yet, for /save: an
// existing file (or link) there is left alone and the error matches
// ErrExists. The temporary file is linked into place, which fails if the
// name was taken meanwhile; on a file system without hard links the check
// and the rename are two steps.
func WriteNew(path string, recs []Record) error {
	if _, err := os.Lstat(path); err == nil {
		if err := regularOrAbsent(path); err != nil {
			return err
		}
		return fmt.Errorf("transcript: %s: %w", path, ErrExists)
	}
	return writeAll(path, recs, false)
}

// regularOrAbsent refuses a path that names something other than a
// regular file (a device, a FIFO, a directory, a socket, or a link to
// one): a replacement would put a file where /dev/null or a pipe was —
// run as root, /save! /dev/null did — and a refusal must not offer
// /save! as the way out.
func regularOrAbsent(path string) error {
	var ue *userfile.Error
	if err := userfile.Check(path); errors.As(err, &ue) {
		return fmt.Errorf("transcript: %s: /save writes only regular files", ue.Error())
	}
	return nil
}

func writeAll(path string, recs []Record, replace bool) (err error) {
	dir := filepath.Dir(path)
	fail := func(err error) error {
		// The temporary file's name means nothing to the user: the error
		// names the file asked for, and the directory when that is the
		// problem.
		var pe *os.PathError
		var le *os.LinkError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if st, serr := os.Stat(dir); serr == nil && st.IsDir() {
				// /proc and the like: the directory is there, but
				// takes no new file.
				err = fmt.Errorf("cannot create a file in %s", dir)
			} else {
				err = fmt.Errorf("the directory %s does not exist", dir)
			}
		case errors.As(err, &pe):
			err = fmt.Errorf("cannot write in %s: %w", dir, pe.Err)
		case errors.As(err, &le):
			err = le.Err
		}
		return fmt.Errorf("transcript: %s: %w", path, err)
	}
	if err := regularOrAbsent(path); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err := Encode(bw, recs); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if !replace {
		err := os.Link(tmp.Name(), path)
		if errors.Is(err, fs.ErrExist) {
			os.Remove(tmp.Name())
			return fmt.Errorf("transcript: %s: %w", path, ErrExists)
		}
		if err == nil {
			os.Remove(tmp.Name())
			return nil
		}
		if _, err := os.Lstat(path); err == nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("transcript: %s: %w", path, ErrExists)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	return nil
}

// Encode writes recs to w as JSON lines. Records with a zero Time keep it
// (written as year 1): WriteAll and Encode copy, they do not stamp.
func Encode(w io.Writer, recs []Record) error {
	for _, r := range recs {
		line, err := r.MarshalJSON()
		if err != nil {
			return err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return nil
}
