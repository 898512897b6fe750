package wire

import (
	"encoding/binary"
	"io"
)

// defaultReadBuf is the reader's buffer size: large enough that a burst of
// small frames arriving in one TLS record (16 KiB max) is parsed from a
// single Read.
const defaultReadBuf = 64 << 10

// Reader yields the frames of a byte stream. Unlike go-sdk's reader, which
// decodes at most one frame per Read and so strands a second frame that
// arrived in the same TLS record, it returns every complete frame it has
// buffered before it reads again.
//
// A Reader is not safe for concurrent use. After it returns an error other
// than a timeout it keeps returning that error: the frame boundary is lost.
type Reader struct {
	r          io.Reader
	max        int
	buf        []byte
	start, end int
	err        error
	large      []byte // a frame larger than buf, being read
	have       int    // bytes of large already read
}

// NewReader returns a Reader of r that refuses frames over maxFrame bytes
// (<= 0 means DefaultMaxFrame).
func NewReader(r io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &Reader{r: r, max: maxFrame, buf: make([]byte, defaultReadBuf)}
}

// Buffered is the number of bytes read from the stream but not yet returned.
func (r *Reader) Buffered() int { return r.end - r.start }

// Next returns the next frame as a freshly allocated slice holding the whole
// encoded frame, owned by the caller; use Parse to read its fields. The
// length field has been validated. Errors are a *Error for a bad length,
// io.EOF at a clean end of stream, io.ErrUnexpectedEOF mid-frame, or the
// underlying reader's error. A net.Error timeout is returned as is and is not
// sticky, so a caller may use read deadlines to poll.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.large != nil {
		return r.readLarge(len(r.large))
	}
	for {
		if avail := r.end - r.start; avail >= 4 {
			n, err := PeekLength(r.buf[r.start:], r.max)
			if err != nil {
				r.err = err
				return nil, err
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
				return r.readLarge(n)
			}
			if r.start+n > len(r.buf) {
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

// readLarge reads a frame bigger than the buffer straight into its own
// allocation, so a 4 MiB payload is copied once, not once per buffer fill. A
// timeout mid-frame is returned to the caller and the partial frame is kept
// for the next call.
func (r *Reader) readLarge(n int) ([]byte, error) {
	if r.large == nil {
		r.large = make([]byte, n)
		r.have = copy(r.large, r.buf[r.start:r.end])
		r.start, r.end = 0, 0
	}
	for r.have < len(r.large) {
		m, err := r.r.Read(r.large[r.have:])
		r.have += m
		if err != nil && r.have < len(r.large) {
			if isTimeout(err) {
				return nil, err
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
			r.large = nil
			return nil, err
		}
	}
	raw := r.large
	r.large, r.have = nil, 0
	return raw, nil
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
