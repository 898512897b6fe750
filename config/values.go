package config

// The decoder's readers of single values — tables, strings, numbers,
// durations, sizes, lists — each reporting a wrong type at its path and
// position, the words that describe what was found instead, and the edit
// distance behind "did you mean".

import (
	"fmt"
	"math"
	"time"
)

// table returns v as a table, or reports it and returns nil.
func (d *decoder) table(p path, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		d.bad(p, "want a table [%s], got %s", p, describe(v))
	}
	return m
}

// string stores v in dst if it is a string.
func (d *decoder) string(p path, v any, dst *string) bool {
	s, ok := v.(string)
	if !ok {
		d.bad(p, "want a string, got %s", describe(v))
		return false
	}
	*dst = s
	return true
}

// bool stores v in dst if it is a boolean.
func (d *decoder) bool(p path, v any, dst *bool) {
	b, ok := v.(bool)
	if !ok {
		d.bad(p, "want true or false, got %s", describe(v))
		return
	}
	*dst = b
}

// int64 stores v in dst if it is an integer.
func (d *decoder) int64(p path, v any, dst *int64) {
	n, ok := v.(int64)
	if !ok {
		d.bad(p, "want an integer, got %s", describe(v))
		return
	}
	*dst = n
}

// int stores v in dst if it is an integer that fits an int32, which every
// int setting does by far; Validate checks the real range.
func (d *decoder) int(p path, v any, dst *int) {
	n, ok := v.(int64)
	if !ok {
		d.bad(p, "want an integer, got %s", describe(v))
		return
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		d.bad(p, "%d is out of range", n)
		return
	}
	*dst = int(n)
}

// duration stores v in dst if it is a Go duration string such as "10s".
func (d *decoder) duration(p path, v any, dst *time.Duration) {
	s, ok := v.(string)
	if !ok {
		d.bad(p, `want a duration string such as "10s" or "1m30s", got %s`, describe(v))
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.bad(p, `%q is not a duration (write e.g. "10s", "500ms", "1m30s")`, s)
		return
	}
	*dst = dur
}

// size stores a byte size, written as a string with a unit ("16MiB") or
// as a number of bytes.
func (d *decoder) size(p path, v any, dst *int64) {
	switch x := v.(type) {
	case int64:
		*dst = x
	case string:
		n, err := ParseSize(x)
		if err != nil {
			d.bad(p, "%v", err)
			return
		}
		*dst = n
	default:
		d.bad(p, `want a size such as "16MiB", got %s`, describe(v))
	}
}

// strings stores v in dst if it is an array of strings; each bad element is
// reported with its own line.
func (d *decoder) strings(p path, v any, dst *[]string) {
	list, ok := v.([]any)
	if !ok {
		d.bad(p, "want an array of strings, got %s", describe(v))
		return
	}
	out := make([]string, 0, len(list))
	good := true
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			d.bad(p.index(i), "want a string, got %s", describe(e))
			good = false
			continue
		}
		out = append(out, s)
	}
	if good {
		*dst = out
	}
}

// describe names a decoded TOML value's type, with the value when short.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			return "a string"
		}
		return fmt.Sprintf("the string %q", v)
	case int64:
		return fmt.Sprintf("the integer %d", v)
	case float64:
		return fmt.Sprintf("the float %v", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// editDistance is the Levenshtein distance, for "did you mean" hints.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
