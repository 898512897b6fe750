package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// defaultReadBuf is the reader's buffer size: large enough that a burst of
// small frames arriving in one TLS record (16 KiB max) is parsed from a
// single Read.
const defaultReadBuf = 64 << 10

// headKeep is how much of a discarded oversize frame a Reader keeps for the
// caller: the header and the longest topic body prefix ([L][topic]).
const headKeep = HeaderLen + 1 + MaxTopicLen

// Budget accounts the memory of frames being read, across the readers that
// share it (a node's sessions). A Reader asks it before every growth of a
// large frame's buffer, so the total follows the bytes that have arrived,
// never the lengths that were declared.
type Budget interface {
	// Grow asks for n more bytes and reports whether they were granted.
	Grow(n int) bool
	// Release returns n bytes granted earlier.
	Release(n int)
}

// ErrBudget is the sticky error of a Reader whose Budget refused to let a
// frame grow.
var ErrBudget = errors.New("wire: frame memory budget exhausted")

// OversizeError reports a frame longer than the reader's keep limit (see
// Reader.DiscardOver) that was read and thrown away. It is not sticky: the
// stream continues with the next frame.
type OversizeError struct {
	Length int    // the frame's length, header included
	Limit  int    // the keep limit it exceeded
	Head   []byte // the frame's first bytes: the header and up to 255 bytes of body (an AMOP frame's topic)
}

// Error implements error.
func (e *OversizeError) Error() string {
	return fmt.Sprintf("wire: frame of %d bytes exceeds the limit of %d bytes and was discarded", e.Length, e.Limit)
}

// Frame returns the discarded frame's header fields; its Body holds only the
// beginning of the real body (at most 255 bytes).
func (e *OversizeError) Frame() Frame {
	if len(e.Head) < HeaderLen {
		return Frame{}
	}
	return decodeHeader(e.Head)
}

// Reader yields the frames of a byte stream. Unlike go-sdk's reader, which
// decodes at most one frame per Read and so strands a second frame that
// arrived in the same TLS record, it returns every complete frame it has
// buffered before it reads again.
//
// Memory follows the bytes received, not the length a header declares: a
// frame larger than the buffer grows by doubling as its bytes arrive (and
// within a Budget, when one is set), so a header that promises 100 MiB and
// never sends them costs nothing.
//
// A Reader is not safe for concurrent use. After it returns an error other
// than a timeout or an *OversizeError it keeps returning that error: the
// frame boundary is lost.
type Reader struct {
	r          io.Reader
	max        int
	keep       int // frames over keep (and not over max) are discarded; 0: none
	buf        []byte
	start, end int
	err        error
	budget     Budget
	held       int    // budget held by large
	large      []byte // a frame larger than buf being read: len = bytes so far
	want       int    // its declared length
	skip       int    // bytes of an oversize frame still to discard
	skipErr    *OversizeError
}

// NewReader returns a Reader of r that refuses frames over maxFrame bytes
// (<= 0 means DefaultMaxFrame).
func NewReader(r io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &Reader{r: r, max: maxFrame, buf: make([]byte, defaultReadBuf)}
}

// SetBudget makes every growth of a large frame's buffer ask b first. A
// refusal ends the stream with ErrBudget. Call Release when done with the
// reader.
func (r *Reader) SetBudget(b Budget) { r.budget = b }

// DiscardOver makes frames longer than n bytes (header included) but within
// the reader's limit be read and thrown away instead of ending the stream:
// Next returns an *OversizeError for each, after its last byte, having
// buffered no more than its first bytes. Frames over the limit still end
// the stream (their length is not believable). n <= 0 turns it off.
func (r *Reader) DiscardOver(n int) {
	if n >= r.max {
		n = 0
	}
	r.keep = max(n, 0)
}

// Release drops a partly read frame and returns its memory to the Budget.
// The Reader must not be used afterwards.
func (r *Reader) Release() {
	r.large = nil
	r.giveBack()
	if r.err == nil {
		r.err = io.ErrClosedPipe
	}
}

func (r *Reader) giveBack() {
	if r.budget != nil && r.held > 0 {
		r.budget.Release(r.held)
	}
	r.held = 0
}

// Buffered is the number of bytes read from the stream but not yet returned.
func (r *Reader) Buffered() int { return r.end - r.start + len(r.large) }

// Next returns the next frame as a freshly allocated slice holding the whole
// encoded frame, owned by the caller; use Parse to read its fields. The
// length field has been validated. Errors are a *Error for a bad length,
// io.EOF at a clean end of stream, io.ErrUnexpectedEOF mid-frame, ErrBudget,
// an *OversizeError (not sticky; see DiscardOver), or the underlying
// reader's error. A net.Error timeout is returned as is and is not sticky, so
// a caller may use read deadlines to poll.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.skipErr != nil {
		return nil, r.discard()
	}
	if r.large != nil {
		return r.readLarge()
	}
	for {
		if avail := r.end - r.start; avail >= 4 {
			n, err := PeekLength(r.buf[r.start:], r.max)
			if err != nil {
				r.err = err
				return nil, err
			}
			if r.keep > 0 && n > r.keep {
				return nil, r.startDiscard(n)
			}
			if avail >= n {
				raw := make([]byte, n)
				copy(raw, r.buf[r.start:r.start+n])
				r.start += n
				if r.start == r.end {
					r.start, r.end = 0, 0
				}
				return raw, nil
			}
			if n > len(r.buf) {
				// A frame bigger than the buffer moves to an allocation
				// of its own only once it has filled the buffer: a
				// header alone costs nothing.
				if avail == len(r.buf) {
					return r.startLarge(n)
				}
				if r.start > 0 {
					r.compact()
				}
			} else if r.start+n > len(r.buf) {
				r.compact()
			}
		} else if r.start > 0 && r.start+4 > len(r.buf) {
			r.compact()
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// startLarge moves the start of a frame bigger than the buffer, which fills
// the buffer, to an allocation of its own twice as large.
func (r *Reader) startLarge(n int) ([]byte, error) {
	if err := r.grow(min(n, 2*len(r.buf))); err != nil {
		return nil, err
	}
	r.want = n
	r.large = append(r.large, r.buf[r.start:r.end]...)
	r.start, r.end = 0, 0
	return r.readLarge()
}

// grow makes large's capacity c, within the budget, keeping its bytes.
func (r *Reader) grow(c int) error {
	extra := c - cap(r.large)
	if extra <= 0 {
		return nil
	}
	if r.budget != nil {
		if !r.budget.Grow(extra) {
			r.large = nil
			r.giveBack()
			r.err = ErrBudget
			return r.err
		}
		r.held += extra
	}
	next := make([]byte, len(r.large), c)
	copy(next, r.large)
	r.large = next
	return nil
}

// readLarge reads a frame bigger than the buffer straight into its own
// allocation, which doubles as the bytes arrive (each byte is copied at most
// about once more on the way). A timeout mid-frame is returned to the caller
// and the partial frame is kept for the next call.
func (r *Reader) readLarge() ([]byte, error) {
	for len(r.large) < r.want {
		if len(r.large) == cap(r.large) {
			if err := r.grow(min(r.want, 2*cap(r.large))); err != nil {
				return nil, err
			}
		}
		m, err := r.r.Read(r.large[len(r.large):cap(r.large)])
		r.large = r.large[:len(r.large)+m]
		if err != nil && len(r.large) < r.want {
			if isTimeout(err) {
				return nil, err
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
			r.large = nil
			r.giveBack()
			return nil, err
		}
	}
	raw := r.large
	r.large, r.want = nil, 0
	// The frame is the caller's now; what it holds is the caller's to bound.
	r.giveBack()
	return raw, nil
}

// startDiscard begins throwing away an oversize frame of n bytes, keeping
// its head for the caller.
func (r *Reader) startDiscard(n int) error {
	have := min(r.end-r.start, n)
	e := &OversizeError{Length: n, Limit: r.keep}
	e.Head = append(make([]byte, 0, headKeep), r.buf[r.start:r.start+min(have, headKeep)]...)
	r.start += have
	if r.start == r.end {
		r.start, r.end = 0, 0
	}
	r.skip = n - have
	r.skipErr = e
	return r.discard()
}

// discard reads and drops the rest of an oversize frame through the
// buffer, keeping what is still missing of its head.
func (r *Reader) discard() error {
	e := r.skipErr
	for r.skip > 0 {
		m, err := r.r.Read(r.buf[:min(len(r.buf), r.skip)])
		if need := headKeep - len(e.Head); need > 0 && m > 0 {
			e.Head = append(e.Head, r.buf[:min(m, need)]...)
		}
		r.skip -= m
		if err != nil && r.skip > 0 {
			if isTimeout(err) {
				return err
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
			r.skipErr = nil
			return err
		}
	}
	r.skipErr = nil
	return e
}

func (r *Reader) compact() {
	n := copy(r.buf, r.buf[r.start:r.end])
	r.start, r.end = 0, n
}

// fill reads once into the free tail of the buffer.
func (r *Reader) fill() error {
	m, err := r.r.Read(r.buf[r.end:])
	r.end += m
	if m > 0 {
		return nil
	}
	if err == nil {
		return nil
	}
	if isTimeout(err) {
		return err
	}
	if err == io.EOF && r.end > r.start {
		err = io.ErrUnexpectedEOF
	}
	r.err = err
	return err
}

// isTimeout reports a deadline error without importing net's types here.
func isTimeout(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}

// Parse splits a raw frame returned by Reader.Next (or any complete encoded
// frame) into its fields; the body aliases raw.
func Parse(raw []byte) (Frame, error) {
	if len(raw) < HeaderLen {
		return Frame{}, &Error{Kind: KindTooShort, Length: uint64(len(raw))}
	}
	if n := binary.BigEndian.Uint32(raw); int(n) != len(raw) {
		if n < HeaderLen {
			return Frame{}, &Error{Kind: KindTooShort, Length: uint64(n)}
		}
		return Frame{}, ErrIncomplete
	}
	return decodeHeader(raw), nil
}

// SetSeq overwrites the seq of an encoded frame in place.
func SetSeq(raw []byte, s *Seq) { copy(raw[6:38], s[:]) }

// SetType overwrites the type of an encoded frame in place.
func SetType(raw []byte, t Type) { binary.BigEndian.PutUint16(raw[4:6], uint16(t)) }

// SetResult overwrites the result of an encoded frame in place.
func SetResult(raw []byte, result int32) { binary.BigEndian.PutUint32(raw[38:42], uint32(result)) }
