package transcript

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxLine is the longest line Read accepts (16 MiB); a longer one is
// skipped. AMOP payloads are far smaller, so such a line is damage.
const MaxLine = 16 << 20

// SkippedError reports lines Read could not decode. The records Read
// returns with it are still complete and in order: after a crash the last
// line is usually torn, and that is expected, not fatal.
type SkippedError struct {
	Lines []int // 1-based numbers of the skipped lines
	// Torn is true when the last line had no newline and was skipped: the
	// signature of a writer killed in the middle of a record.
	Torn bool
}

// Error summarises the skipped lines.
func (e *SkippedError) Error() string {
	nums := make([]string, 0, min(len(e.Lines), 5))
	for _, n := range e.Lines[:min(len(e.Lines), 5)] {
		nums = append(nums, strconv.Itoa(n))
	}
	more := ""
	if len(e.Lines) > 5 {
		more = ", …"
	}
	torn := ""
	if e.Torn {
		torn = " (the last one torn)"
	}
	return fmt.Sprintf("transcript: skipped %d undecodable line(s)%s: %s%s",
		len(e.Lines), torn, strings.Join(nums, ", "), more)
}

// Read decodes a transcript. Blank lines are ignored. Lines that are not a
// valid record — a line torn by kill -9, or one damaged later — are
// skipped and counted: the error is then a *SkippedError and the records
// are still returned. Any other error is a read error.
func Read(r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	var (
		recs    []Record
		skipped SkippedError
	)
	for n := 1; ; n++ {
		line, complete, newline, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return recs, fmt.Errorf("transcript: read line %d: %w", n, err)
		}
		atEOF := err != nil
		if t := bytes.TrimSpace(line); len(t) > 0 {
			var rec Record
			if complete && rec.UnmarshalJSON(t) == nil {
				recs = append(recs, rec)
			} else {
				skipped.Lines = append(skipped.Lines, n)
				skipped.Torn = atEOF && !newline
			}
		}
		if atEOF {
			break
		}
	}
	if len(skipped.Lines) > 0 {
		return recs, &skipped
	}
	return recs, nil
}

// readLine returns the next line. complete is false when the line was
// longer than MaxLine (its content is then dropped); newline tells whether
// it ended with one. At the end of the input err is io.EOF and line is
// whatever came last.
func readLine(br *bufio.Reader) (line []byte, complete, newline bool, err error) {
	complete = true
	for {
		chunk, err := br.ReadSlice('\n')
		if complete && len(line)+len(chunk) <= MaxLine {
			line = append(line, chunk...)
		} else if complete {
			complete, line = false, []byte("x") // non-blank, so it is counted
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			newline = len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
			return line, complete, newline, err
		}
	}
}
