package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
)

// meterBudget is a Budget that records the most it ever granted at once.
type meterBudget struct {
	held, peak, limit int
}

func (b *meterBudget) Grow(n int) bool {
	if b.limit > 0 && b.held+n > b.limit {
		return false
	}
	b.held += n
	b.peak = max(b.peak, b.held)
	return true
}

func (b *meterBudget) Release(n int) { b.held -= n }

// header returns a 42-byte header declaring length n.
func header(n uint32, typ Type) []byte {
	seq := NewSeq()
	h := AppendHeader(nil, typ, &seq, 0, 0)
	binary.BigEndian.PutUint32(h, n)
	return h
}

// TestReaderMemoryFollowsBytesReceived is issue 11 F1: a header declaring
// 100 MiB followed by a trickle costs what arrived, not what was declared
// (the reader used to allocate the whole declared length at once).
func TestReaderMemoryFollowsBytesReceived(t *testing.T) {
	b := &meterBudget{}
	src := &timeoutReader{chunks: [][]byte{header(100<<20, TypeAMOPRequest), make([]byte, 1000)}}
	r := NewReader(src, DefaultMaxFrame)
	r.SetBudget(b)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i := 0; i < 8; i++ {
		if _, err := r.Next(); err != nil && !isTimeout(err) && err != io.ErrUnexpectedEOF {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	runtime.ReadMemStats(&ms1)
	if got := ms1.TotalAlloc - ms0.TotalAlloc; got > 1<<20 {
		t.Errorf("a 100 MiB header and 1000 bytes allocated %d bytes", got)
	}
	if b.peak > 2*defaultReadBuf {
		t.Errorf("budget peak %d, want at most %d", b.peak, 2*defaultReadBuf)
	}
	if b.held != 0 {
		t.Errorf("%d bytes still held after the stream ended", b.held)
	}

	// A large frame that does arrive grows at most to twice what came.
	big := mustTopicFrame(t, TypeMulticast, "big", bytes.Repeat([]byte{7}, 3<<20))
	b = &meterBudget{}
	r = NewReader(&chunkReader{chunks: [][]byte{big[:1<<20], big[1<<20:]}}, 0)
	r.SetBudget(b)
	got, err := r.Next()
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("big frame: %v", err)
	}
	if b.peak > 2*len(big) {
		t.Errorf("budget peak %d for a %d-byte frame", b.peak, len(big))
	}
	if b.held != 0 {
		t.Errorf("%d bytes still held after the frame was returned", b.held)
	}
}

// TestReaderBudgetRefusal: a refused growth ends the stream with ErrBudget
// and gives back what the frame held.
func TestReaderBudgetRefusal(t *testing.T) {
	big := mustTopicFrame(t, TypeMulticast, "big", make([]byte, 1<<20))
	b := &meterBudget{limit: 300 << 10}
	r := NewReader(bytes.NewReader(big), 0)
	r.SetBudget(b)
	if _, err := r.Next(); !errors.Is(err, ErrBudget) {
		t.Fatalf("got %v, want ErrBudget", err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrBudget) {
		t.Fatalf("not sticky: %v", err)
	}
	if b.held != 0 {
		t.Errorf("%d bytes held after the refusal", b.held)
	}
	// Release of a reader mid-frame gives its bytes back too.
	b = &meterBudget{}
	r = NewReader(&timeoutReader{chunks: [][]byte{big[:200<<10]}}, 0)
	r.SetBudget(b)
	for i := 0; i < 4; i++ {
		_, _ = r.Next()
	}
	if b.held == 0 {
		t.Fatal("no budget held mid-frame")
	}
	r.Release()
	if b.held != 0 {
		t.Errorf("%d bytes held after Release", b.held)
	}
}

// TestReaderDiscardsOversize is issue 11 F8's reader half: a frame over the
// keep limit is read through the small buffer and reported with its head,
// and the stream goes on.
func TestReaderDiscardsOversize(t *testing.T) {
	small := mustTopicFrame(t, TypeMulticast, "s", []byte("x"))
	big := mustTopicFrame(t, TypeAMOPRequest, "the-topic", bytes.Repeat([]byte{1}, 8<<20))
	stream := append(append(append([]byte{}, small...), big...), small...)
	for name, src := range map[string]func() io.Reader{
		"whole":   func() io.Reader { return bytes.NewReader(stream) },
		"records": func() io.Reader { return &chunkReader{chunks: split(stream, 16<<10)} },
		"timeouts": func() io.Reader {
			return &timeoutReader{chunks: split(stream, 16<<10)}
		},
		"one byte head": func() io.Reader {
			c := split(stream[:len(small)+50], 1)
			return &chunkReader{chunks: append(c, split(stream[len(small)+50:], 16<<10)...)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := NewReader(src(), 0)
			r.DiscardOver(1 << 20)
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			var frames [][]byte
			var over *OversizeError
			for i := 0; i < 10000; i++ {
				raw, err := r.Next()
				if err == io.EOF {
					break
				}
				var oe *OversizeError
				switch {
				case errors.As(err, &oe):
					over = oe
				case err != nil && isTimeout(err):
				case err != nil:
					t.Fatal(err)
				default:
					frames = append(frames, raw)
				}
			}
			runtime.ReadMemStats(&ms1)
			if len(frames) != 2 || !bytes.Equal(frames[0], small) || !bytes.Equal(frames[1], small) {
				t.Fatalf("got %d frames around the oversize one", len(frames))
			}
			if over == nil || over.Length != len(big) || over.Limit != 1<<20 {
				t.Fatalf("oversize error %+v", over)
			}
			f := over.Frame()
			topic, _, err := DecodeTopic(f.Body)
			if f.Type != TypeAMOPRequest || err != nil || string(topic) != "the-topic" {
				t.Fatalf("head: type %v topic %q %v", f.Type, topic, err)
			}
			if got := ms1.TotalAlloc - ms0.TotalAlloc; got > 2<<20 {
				t.Errorf("discarding an 8 MiB frame allocated %d bytes", got)
			}
		})
	}
	// Past the hard limit the length is not believable: the stream ends.
	r := NewReader(bytes.NewReader(header(0xfffffff0, TypeMulticast)), 0)
	r.DiscardOver(1 << 20)
	if _, err := r.Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("huge length: %v", err)
	}
}

func split(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}
