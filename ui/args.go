package ui

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/kballard/go-shellquote"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
	"github.com/amoptui/amoptui/userfile"
)

// The arguments of the /commands that take names — topics, files, a
// REGEX and a TEMPLATE — are split as a POSIX shell splits words: spaces
// separate, '…' and "…" group words and are removed, a backslash escapes
// the next character outside single quotes (inside double quotes only
// before $ ` " \). github.com/kballard/go-shellquote does exactly that and
// nothing more (no globbing, no $VAR, no comments). google/shlex, which
// responder uses for /reply exec, was not taken here: inside double quotes
// it removes every backslash ("\d" becomes "d"), so a regex in double
// quotes would change. The commands that take a text — a message, /raw,
// /filter, /find, /reply TEXT — keep the rest of the line as typed.

// splitArgs splits s into words; the error says which quote is open.
func splitArgs(s string) ([]string, error) {
	w, err := shellquote.Split(s)
	switch {
	case errors.Is(err, shellquote.UnterminatedSingleQuoteError):
		return nil, errors.New("a ' quote is not closed")
	case errors.Is(err, shellquote.UnterminatedDoubleQuoteError):
		return nil, errors.New(`a " quote is not closed`)
	case errors.Is(err, shellquote.UnterminatedEscapeError):
		return nil, errors.New(`the line ends in a \ (write \\ for a backslash)`)
	case err != nil:
		return nil, err
	}
	return w, nil
}

// homeWords reports, word by word as splitArgs splits raw, whether the
// word starts with an unquoted "~" followed by "/" or by the word's end:
// the words a shell expands to the home directory. A quoted '~/x' (or
// \~/x) is a directory named ~, here as in a shell. go-shellquote
// removes the quotes, so whether a ~ was quoted is read from raw here.
func homeWords(raw string) []bool {
	var out []bool
	inWord, escaped := false, false
	var quote byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case escaped:
			escaped = false
			continue
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
			continue
		case quote == '"':
			if c == '\\' {
				escaped = true
			} else if c == '"' {
				quote = 0
			}
			continue
		case c == ' ' || c == '\t' || c == '\n':
			inWord = false
			continue
		}
		if !inWord {
			inWord = true
			end := i+1 == len(raw) || strings.IndexByte("/ \t\n", raw[i+1]) >= 0
			out = append(out, c == '~' && end)
		}
		switch c {
		case '\\':
			escaped = true
		case '\'', '"':
			quote = c
		}
	}
	return out
}

// fileWords expands the home directory in words[from:], the file names of
// a command whose arguments raw was split into, where a shell would.
func fileWords(raw string, words []string, from int) []string {
	home := homeWords(raw)
	out := slices.Clone(words[from:])
	for i := range out {
		if j := from + i; j < len(home) && home[j] {
			out[i] = userfile.ExpandHome(out[i])
		}
	}
	return out
}

// escapedLetter is a backslash before a letter or digit: \d, \w, \1.
var escapedLetter = regexp.MustCompile(`\\[[:alnum:]]`)

// lostEscapes reports whether splitting raw into words removed the
// backslash of a \d, \w… — a backslash outside quotes escapes the next
// character, as in a shell, which a regex almost never means.
func lostEscapes(raw string, words []string) bool {
	return len(escapedLetter.FindAllStringIndex(raw, -1)) > len(escapedLetter.FindAllStringIndex(strings.Join(words, " "), -1))
}

// quoteHint ends an error about arguments: how to write a word that has
// spaces.
const quoteHint = "quote a name that has spaces: 'my topic'"

// argsProblem is the footer text of a /command whose arguments do not
// split, or split into more words than it takes.
func argsProblem(usage string, err error) string {
	if err != nil {
		return err.Error() + " · " + usage
	}
	return usage + " · " + quoteHint
}

// problemText is err for the footer, the reason first: a refused topic
// reads `topic too long: 255 bytes, at most 254 · "tttt…"` (the topic cut
// to a few words), so that a narrow footer still shows why.
func problemText(err error) string {
	var te *amop.TopicError
	if errors.As(err, &te) {
		if te.Topic == "" {
			return te.Summary()
		}
		t, _ := paint.Fit(sanitize.String(te.Topic), 24)
		return te.Summary() + ` · "` + t + `"`
	}
	return sanitize.String(err.Error())
}
