package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/amoptui/amoptui/userfile"
)

// Check is Validate and CheckFiles together: every problem of the
// configuration, values and files, in file order.
func (c Config) Check() error {
	var all Problems
	for _, err := range []error{c.Validate(), c.CheckFiles()} {
		var ps Problems
		if errors.As(err, &ps) {
			all = append(all, ps...)
		}
	}
	return all.err()
}

// CheckFiles checks the files the configuration names without reading
// them (their readers do, within their own bounds): the certificate
// directory is a directory; each certificate, key and private-topic key
// file is a regular file that can be opened; the transcript and the debug
// log are not directories and, when new, have a directory; the debug log,
// when it exists, is a regular file (a transcript may be a pipe). Each problem names the
// key, and the file line or the flag that set it.
func (c Config) CheckFiles() error {
	var ps Problems
	bad := func(p path, format string, args ...any) {
		ps = append(ps, c.problem(p, format, args...))
	}
	if c.TLS.Enabled {
		dirOK := true
		if d := c.TLS.CertsDir; d != "" {
			if msg := dirProblem(d); msg != "" {
				bad(path{"tls", "certs_dir"}, "%s", msg)
				dirOK = false
			}
		}
		ca, cert, key := c.TLSFiles()
		for _, it := range []struct{ name, file, explicit string }{
			{"ca", ca, c.TLS.CA}, {"cert", cert, c.TLS.Cert}, {"key", key, c.TLS.Key},
		} {
			if it.file == "" {
				continue
			}
			p := path{"tls", it.name}
			if it.explicit == "" {
				// The file comes from certs_dir: blame that, once it exists.
				if !dirOK {
					continue
				}
				p = path{"tls", "certs_dir"}
			}
			if msg := inputProblem(it.file); msg != "" {
				bad(p, "%s", msg)
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(c.Private.Subscribe)) {
		if f := c.Private.Subscribe[t]; f != "" {
			if msg := inputProblem(f); msg != "" {
				bad(path{"private", "subscribe", t}, "%s", msg)
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(c.Private.Publish)) {
		for i, f := range c.Private.Publish[t] {
			if f == "" {
				continue
			}
			if msg := inputProblem(f); msg != "" {
				bad(path{"private", "publish", t}.index(i), "%s", msg)
			}
		}
	}
	if msg := outputProblem(c.Transcript, false); msg != "" {
		bad(path{"transcript"}, "%s", msg)
	}
	if msg := LogFileProblem(c.DebugLog); msg != "" {
		bad(path{"debug_log"}, "%s", msg)
	}
	return ps.err()
}

// Problem is a problem with the value at key (a dotted TOML key such as
// "debug_log" or "tls.ca"), located as Validate's problems are: by the flag
// that set it, else the line of the file. For problems found later, when
// the file is used (a debug log that refuses a write).
func (c Config) Problem(key, format string, args ...any) *Problem {
	return c.problem(path(strings.Split(key, ".")), format, args...)
}

// dirProblem says why d cannot be a directory to read from, "" if it can.
func dirProblem(d string) string {
	st, err := os.Stat(d)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("%s does not exist", d)
	case err != nil:
		return err.Error()
	case !st.IsDir():
		return fmt.Sprintf("%s is not a directory", d)
	}
	return ""
}

// inputProblem says why f cannot be read as a certificate or key file, ""
// if it can: it must be a regular file (a FIFO would block its reader, a
// device never end) that opens.
func inputProblem(f string) string {
	err := userfile.Check(f)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("%s does not exist", f)
	case err != nil:
		return err.Error() // "F is a named pipe (FIFO), not a regular file"
	}
	r, err := os.Open(f) // a regular file: opening does not block
	if err != nil {
		return err.Error()
	}
	_ = r.Close()
	return ""
}

// LogFileProblem says why f cannot be a file to append a debug log to, ""
// if it can (or f is ""): an existing f must be a regular file, a new one
// needs its directory. Whether a write then succeeds is known only by
// trying (a file of /proc opens for writing and fails every write).
func LogFileProblem(f string) string { return outputProblem(f, true) }

// outputProblem says why f cannot be appended to, "" if it can: not a
// directory, a regular file if regular is set, or a new file in a
// directory that exists.
func outputProblem(f string, regular bool) string {
	if f == "" {
		return ""
	}
	st, err := os.Stat(f)
	switch {
	case err == nil && st.IsDir():
		return fmt.Sprintf("%s is a directory, not a file", f)
	case err == nil && regular && !st.Mode().IsRegular():
		return fmt.Sprintf("%s is not a regular file (a log is appended to a file)", f)
	case err == nil:
		return ""
	case !errors.Is(err, fs.ErrNotExist):
		return err.Error()
	}
	dir := filepath.Dir(f)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Sprintf("the directory %s does not exist", dir)
	}
	return ""
}
