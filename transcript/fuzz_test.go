package transcript

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read. It must not panic, must fail only
// with a *SkippedError, and every record it returns must survive a second
// round trip unchanged (encoding normalises once, then is stable).
// Seeds: testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Encode(&buf, sample())
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()-17])
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Read(bytes.NewReader(data))
		var se *SkippedError
		if err != nil && (!errors.As(err, &se) || len(se.Lines) == 0) {
			t.Fatalf("Read failed with %v", err)
		}
		for _, r := range recs {
			once, err := r.MarshalJSON()
			if err != nil {
				t.Fatalf("re-encode %+v: %v", r, err)
			}
			var back Record
			if err := back.UnmarshalJSON(once); err != nil {
				t.Fatalf("re-read %s: %v", once, err)
			}
			twice, err := back.MarshalJSON()
			if err != nil || !bytes.Equal(once, twice) {
				t.Fatalf("not stable:\n%s\n%s", once, twice)
			}
			if bytes.ContainsAny(once, "\n\r") {
				t.Fatalf("record encodes to more than one line: %q", once)
			}
		}
	})
}
