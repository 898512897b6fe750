package tmpl

import (
	"fmt"
	"regexp"
	"strings"
)

// Errors of text/template are written for Go programmers: "range can't
// iterate over {8 hello unicast …}", "can't evaluate field Foo in type
// tmpl.Data". clean turns them into sentences for someone who only typed
// a payload: the position stays ("1:8", line and column), the template's
// internal name, Go's type names and printed values go. The table covers
// the mistakes a payload template can make; anything else keeps Go's own
// words, with the type names of this package put in plain ones.

// execError is `1:8: executing "payload" at <.>: reason`.
var execError = regexp.MustCompile(`^(\d+:\d+): executing "payload" at <(.*?)>: (.*)$`)

// clean is err as a sentence (without the "template: " it is shown after).
func clean(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "template: ")
	s = strings.TrimPrefix(s, "payload:")
	m := execError.FindStringSubmatch(s)
	if m == nil {
		return plainTypes(s) // a parse error: "1: unclosed action"
	}
	pos, expr, reason := m[1], m[2], m[3]
	// A function's own error is already a sentence: `error calling
	// random: random 5: want 0 to 8388608 characters`.
	if rest, ok := strings.CutPrefix(reason, "error calling "); ok {
		if _, r, ok := strings.Cut(rest, ": "); ok {
			return pos + ": " + builtin(r)
		}
	}
	return pos + ": " + explain(expr, reason)
}

// The execution errors a payload template meets, and their sentences.
var (
	errRange    = regexp.MustCompile(`^range can't iterate over `)
	errField    = regexp.MustCompile(`^can't evaluate field (\w+) in type (.+)$`)
	errArgs     = regexp.MustCompile(`^wrong number of args for (\w+): want (at least )?(\d+) got (\d+)$`)
	errExpected = regexp.MustCompile(`^expected (\w+); found (.*)$`)
	errNoArgs   = regexp.MustCompile(`^(\w+) has arguments but cannot be invoked as function$`)
	errNotFunc  = regexp.MustCompile(`^non-function (\S+) of type (.+)$`)
	errLen      = regexp.MustCompile(`^len of type (.+)$`)
)

// builtin is the error of a built-in function (call, len, index…) in
// plain words; the functions of this package say theirs already.
func builtin(r string) string {
	if m := errNotFunc.FindStringSubmatch(r); m != nil {
		return m[1] + " is " + typeWord(m[2]) + ", not a function"
	}
	if m := errLen.FindStringSubmatch(r); m != nil {
		return "len of " + typeWord(m[1]) + ": len counts the bytes of a text or the items of a list"
	}
	return plainTypes(r)
}

// fields is what "." offers, for the sentence about a field that is not.
const fields = ".Seq .Topic .Mode .Now .UUID, and for a responder .Data and .Match N"

// explain is reason, about the action expr, in plain words.
func explain(expr, reason string) string {
	if errRange.MatchString(reason) {
		return "{{range " + expr + "}}: " + expr + " is not a list (range goes through a list, such as .Matches)"
	}
	if m := errField.FindStringSubmatch(reason); m != nil {
		switch m[2] {
		case "tmpl.Data":
			return expr + ": there is no ." + m[1] + "; there are " + fields
		case "tmpl.Time":
			return expr + ": a time has no ." + m[1] + " (it has .Format \"15:04:05\", .UnixMilli, .Unix…)"
		}
		return expr + ": " + typeWord(m[2]) + " has no ." + m[1]
	}
	if m := errArgs.FindStringSubmatch(reason); m != nil {
		n := m[3]
		what := "arguments"
		if n == "1" {
			what = "argument"
		}
		if m[2] != "" {
			n = "at least " + n
		}
		return fmt.Sprintf("%s: %s takes %s %s, not %s", expr, m[1], n, what, m[4])
	}
	if m := errExpected.FindStringSubmatch(reason); m != nil {
		return expr + ": " + typeWord(m[1]) + " is needed here, not " + m[2]
	}
	if m := errNoArgs.FindStringSubmatch(reason); m != nil {
		return expr + ": ." + m[1] + " is a value and takes no arguments"
	}
	if m := errNotFunc.FindStringSubmatch(reason); m != nil {
		return expr + ": " + m[1] + " is " + typeWord(m[2]) + ", not a function"
	}
	return expr + ": " + plainTypes(reason)
}

// typeWord is a Go type, or text/template's name for a kind of value, in
// words.
func typeWord(t string) string {
	switch t {
	case "int", "integer", "int64", "uint64", "float64", "number":
		return "a number"
	case "string":
		return "a text"
	case "bool":
		return "true or false"
	case "[]string":
		return "a list of texts"
	case "tmpl.Data":
		return "the message's data"
	case "tmpl.Time":
		return "a time"
	}
	return "a " + t
}

// plainTypes replaces this package's type names in Go's own words.
func plainTypes(s string) string {
	return strings.NewReplacer("tmpl.Data", "the message's data", "tmpl.Time", "a time",
		"int and string", "a number and a text", "string and int", "a text and a number").Replace(s)
}
