// Package history keeps the TUI's input history per topic across runs, in
// a small JSON file in the user's state directory
// ($XDG_STATE_HOME/amoptui/history.json, else ~/.local/state/amoptui/).
//
// It is bounded three ways: lines per topic, topics (the least recently
// used go first) and bytes in all (a line longer than MaxLine is never
// kept: a pasted megabyte is a payload, not a command to repeat). Lines
// typed in this run are merged into what is on disk when they are saved,
// so two TUIs running at once both keep their lines; the file is replaced
// atomically (write, then rename) and readable only by its owner, since
// what was typed may be private.
package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/amoptui/amoptui/userfile"
)

// Default bounds.
const (
	DefaultPerTopic = 100
	DefaultTopics   = 200
	DefaultMaxBytes = 1 << 20
	MaxLine         = 4096
)

// fileLimit is the most Load reads of the file: what Save writes holds at
// most MaxBytes of lines and topic names, in JSON, whose escapes can make
// one byte six ("\u0000"), plus the structure: 8 MiB for the default
// 1 MiB. A larger file was not written by this package and is refused
// rather than read (then replaced by the next Save).
func (s *Store) fileLimit() userfile.Limit {
	return userfile.Limit{Max: int64(6*s.opts.MaxBytes + 2<<20), What: "the input history file"}
}

// DefaultPath is where the history lives for this user.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "amoptui", "history.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history: no state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "amoptui", "history.json"), nil
}

// Options bound a Store; zero values take the defaults.
type Options struct {
	PerTopic int // lines kept per topic
	Topics   int // topics kept
	MaxBytes int // bytes of lines kept in all
}

// Topic is one topic's lines, oldest first.
type Topic struct {
	Topic string   `json:"topic"`
	Lines []string `json:"lines"`
}

// file is the JSON document: topics, most recently used first.
type file struct {
	Version int     `json:"version"`
	Topics  []Topic `json:"topics"`
}

// Store reads and writes one history file. It is safe for concurrent use.
type Store struct {
	path string
	opts Options

	mu      sync.Mutex
	pending []Topic // lines added since the last Save, in order of use
}

// Open returns a Store for path; nothing is read until Load.
func Open(path string, opts Options) *Store {
	if opts.PerTopic <= 0 {
		opts.PerTopic = DefaultPerTopic
	}
	if opts.Topics <= 0 {
		opts.Topics = DefaultTopics
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Store{path: path, opts: opts}
}

// Path is the file of the store.
func (s *Store) Path() string { return s.path }

// Load reads the file: topics most recently used first, each topic's
// lines oldest first. A missing file is an empty history; an unreadable
// one is an error (and the next Save replaces it).
func (s *Store) Load() ([]Topic, error) {
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	return f.Topics, nil
}

func (s *Store) read() (file, error) {
	b, err := userfile.Read(s.path, s.fileLimit())
	if errors.Is(err, fs.ErrNotExist) {
		return file{Version: 1}, nil
	}
	if err != nil {
		return file{Version: 1}, fmt.Errorf("history: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return file{Version: 1}, fmt.Errorf("history: %s is not a history file: %v", s.path, err)
	}
	f.Version = 1
	return s.bound(f), nil
}

// Add records line, typed for topic, to be written by the next Save.
// Lines longer than MaxLine are not kept.
func (s *Store) Add(topic, line string) {
	if line == "" || len(line) > MaxLine {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(s.pending, topic)
	if i < 0 {
		s.pending = append(s.pending, Topic{Topic: topic})
		i = len(s.pending) - 1
	}
	t := s.pending[i]
	t.Lines = append(t.Lines, line)
	if len(t.Lines) > s.opts.PerTopic {
		t.Lines = t.Lines[len(t.Lines)-s.opts.PerTopic:]
	}
	// The topic used last goes to the end of pending.
	s.pending = append(append(s.pending[:i:i], s.pending[i+1:]...), t)
}

func (s *Store) index(list []Topic, topic string) int {
	for i, t := range list {
		if t.Topic == topic {
			return i
		}
	}
	return -1
}

// ErrReplaced is what Save's error matches when it wrote the history over a
// file it could not read (the error says why): the lines are saved.
var ErrReplaced = errors.New("history: replaced a file that could not be read")

// Save merges the lines added since the last Save into the file and writes
// it. An unreadable file is replaced: the error then matches ErrReplaced
// and says why the old file could not be read.
func (s *Store) Save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	f, readErr := s.read()
	for _, p := range s.pending { // oldest use first: each moves to the front
		i := s.index(f.Topics, p.Topic)
		var t Topic
		if i >= 0 {
			t = f.Topics[i]
			f.Topics = append(f.Topics[:i:i], f.Topics[i+1:]...)
		} else {
			t = Topic{Topic: p.Topic}
		}
		for _, l := range p.Lines {
			if n := len(t.Lines); n == 0 || t.Lines[n-1] != l {
				t.Lines = append(t.Lines, l)
			}
		}
		f.Topics = append([]Topic{t}, f.Topics...)
	}
	f = s.bound(f)
	if err := s.write(f); err != nil {
		return err
	}
	s.pending = nil
	if readErr != nil {
		return fmt.Errorf("%w: %w", ErrReplaced, readErr)
	}
	return nil
}

// bound applies the limits: lines per topic, topics, bytes (the most
// recent lines of the most recent topics are kept).
func (s *Store) bound(f file) file {
	if len(f.Topics) > s.opts.Topics {
		f.Topics = f.Topics[:s.opts.Topics]
	}
	budget := s.opts.MaxBytes
	out := f.Topics[:0:0]
	for _, t := range f.Topics {
		if t.Topic == "" {
			continue
		}
		lines := t.Lines
		if len(lines) > s.opts.PerTopic {
			lines = lines[len(lines)-s.opts.PerTopic:]
		}
		keep := 0
		for i := len(lines) - 1; i >= 0; i-- {
			l := lines[i]
			if len(l) > MaxLine || len(l)+len(t.Topic) > budget {
				break
			}
			budget -= len(l)
			keep++
		}
		if keep == 0 {
			continue
		}
		budget -= len(t.Topic)
		out = append(out, Topic{Topic: t.Topic, Lines: append([]string(nil), lines[len(lines)-keep:]...)})
	}
	f.Topics = out
	return f
}

// write replaces the file atomically, owner-only.
func (s *Store) write(f file) error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".history-*.json")
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("history: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// Lines returns a map view of topics, for callers that look topics up.
func Lines(ts []Topic) map[string][]string {
	m := make(map[string][]string, len(ts))
	for _, t := range ts {
		m[t.Topic] = t.Lines
	}
	return m
}
