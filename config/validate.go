package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
)

// Limits that Validate enforces.
const (
	// MaxGroupID is the largest FISCO BCOS 2.x group id.
	MaxGroupID = 32767
	// MaxScrollback bounds ui.scrollback so a typo cannot exhaust memory.
	MaxScrollback = 1_000_000
	// MinScrollbackBytes and MaxScrollbackBytes bound ui.scrollback_bytes:
	// a pane keeps a payload whole up to a quarter of it and the head it
	// shows (64 KiB) of a larger one, so below 1 MiB it would keep almost
	// nothing whole. MaxScrollbackTotal bounds ui.scrollback_total.
	MinScrollbackBytes = 1 << 20
	MaxScrollbackBytes = 1 << 30
	MaxScrollbackTotal = 16 << 30
	// MaxInputHistory bounds ui.input_history.
	MaxInputHistory = 10_000
	// maxTimestampLayout bounds ui.timestamp_format: it is a column.
	maxTimestampLayout = 64
	// MaxSendTimeout bounds send_timeout (and pub's --timeout): a real
	// node gives up on a unicast after 30 s per node it tries, so minutes
	// are already generous, and a typo of hours would leave sends, and
	// their memory, pending for ever.
	MaxSendTimeout = 10 * time.Minute
)

// Validate checks every value and returns all problems at once (a
// Problems), each naming its key and the file line or flag it came from.
// It does not touch the file system: missing certificate files are reported
// by whoever opens them, with the file name.
func (c Config) Validate() error {
	var ps Problems
	bad := func(p path, format string, args ...any) {
		ps = append(ps, c.problem(p, format, args...))
	}

	if c.ChainID < 1 {
		bad(path{"chain_id"}, "must be at least 1, got %d", c.ChainID)
	}
	if c.GroupID < 1 || c.GroupID > MaxGroupID {
		bad(path{"group_id"}, "must be between 1 and %d, got %d", MaxGroupID, c.GroupID)
	}
	seen := map[string]int{}
	for i, n := range c.Nodes {
		p := path{"nodes"}.index(i)
		if err := ValidateEndpoint(n); err != nil {
			bad(p, "%v", err)
		} else if j, dup := seen[n]; dup {
			bad(p, "%q is already nodes[%d]", n, j)
		} else {
			seen[n] = i
		}
	}
	if msg := SendTimeoutProblem(c.SendTimeout); msg != "" {
		bad(path{"send_timeout"}, "%s", msg)
	}
	if c.MaxIncoming < MinMaxIncoming || c.MaxIncoming > MaxMaxIncoming {
		bad(path{"max_incoming"}, "must be between %s and %s, got %s", FormatSize(MinMaxIncoming), FormatSize(MaxMaxIncoming), FormatSize(c.MaxIncoming))
	}
	if c.Transcript != "" && c.Transcript == c.DebugLog {
		bad(path{"debug_log"}, "is the same file as transcript")
	}
	c.validateTLS(bad)
	c.validateReplies(bad)

	seen = map[string]int{}
	for i, t := range c.Topics.Join {
		p := path{"topics", "join"}.index(i)
		if msg := topicProblem(t); msg != "" {
			bad(p, "%s", msg)
		} else if j, dup := seen[t]; dup {
			bad(p, "%q is already topics.join[%d]", t, j)
		} else {
			seen[t] = i
		}
	}
	seen = map[string]int{}
	for i, t := range c.Topics.Publish {
		p := path{"topics", "publish"}.index(i)
		if msg := topicProblem(t); msg != "" {
			bad(p, "%s", msg)
		} else if j, dup := seen[t]; dup {
			bad(p, "%q is already topics.publish[%d]", t, j)
		} else {
			seen[t] = i
		}
	}
	c.validatePrivate(bad)
	line, lineErr := amop.ParseLine(c.Fisco)
	if lineErr != nil {
		bad(path{"fisco"}, "%v", lineErr)
	}
	_, err2 := local.ParseLike(c.Local.Like)
	_, err3 := local3.ParseLike(c.Local.Like)
	switch {
	case err2 != nil && err3 != nil:
		bad(path{"local", "like"}, "%q is not a node behaviour: want \"ideal\" (the default), \"2.9\" (2.x) or \"3.16\" (3.x)", c.Local.Like)
	case err2 != nil && lineErr == nil && line == amop.Line2:
		bad(path{"local", "like"}, "%q is a 3.x behaviour, but fisco is \"2\"", c.Local.Like)
	case err3 != nil && lineErr == nil && line == amop.Line3:
		bad(path{"local", "like"}, "%q is a 2.x behaviour, but fisco is \"3\"", c.Local.Like)
	}
	if lineErr == nil && line == amop.Line3 && len(c.PrivateTopics()) > 0 {
		bad(path{"private"}, "FISCO BCOS 3.x has no private (authenticated) topics; they exist on 2.x chains only")
	}
	if !c.TLS.Enabled && lineErr == nil && line == amop.Line2 {
		bad(path{"tls", "enabled"}, "false is for 3.x chains with TLS off; FISCO BCOS 2.x nodes speak TLS only")
	}
	for _, t := range slices.Sorted(maps.Keys(c.Reply.Topics)) {
		if msg := topicProblem(t); msg != "" {
			bad(path{"reply", "topics", t}, "%s", msg)
		}
	}

	u := c.UI
	if u.Scrollback < 1 || u.Scrollback > MaxScrollback {
		bad(path{"ui", "scrollback"}, "must be between 1 and %d, got %d", MaxScrollback, u.Scrollback)
	}
	if u.ScrollbackBytes < MinScrollbackBytes || u.ScrollbackBytes > MaxScrollbackBytes {
		bad(path{"ui", "scrollback_bytes"}, "must be between %s and %s, got %s", FormatSize(MinScrollbackBytes), FormatSize(MaxScrollbackBytes), FormatSize(u.ScrollbackBytes))
	}
	if u.ScrollbackTotal < max(u.ScrollbackBytes, MinScrollbackBytes) || u.ScrollbackTotal > MaxScrollbackTotal {
		bad(path{"ui", "scrollback_total"}, "must be between scrollback_bytes (%s) and %s, got %s", FormatSize(u.ScrollbackBytes), FormatSize(MaxScrollbackTotal), FormatSize(u.ScrollbackTotal))
	}
	if u.InputHistory < 0 || u.InputHistory > MaxInputHistory {
		bad(path{"ui", "input_history"}, "must be between 0 and %d, got %d", MaxInputHistory, u.InputHistory)
	}
	if msg := timestampProblem(u.TimestampFormat); msg != "" {
		bad(path{"ui", "timestamp_format"}, "%s", msg)
	}
	if u.Layout != LayoutTiled && u.Layout != LayoutSingle {
		bad(path{"ui", "layout"}, "%q is not %q or %q", u.Layout, LayoutTiled, LayoutSingle)
	}
	if u.Theme != ThemeAuto && u.Theme != ThemeDark && u.Theme != ThemeLight && u.Theme != ThemeMono {
		bad(path{"ui", "theme"}, "%q is not %q, %q, %q or %q", u.Theme, ThemeAuto, ThemeDark, ThemeLight, ThemeMono)
	}
	return ps.err()
}

// validatePrivate checks [private]: each topic against its role's length
// limit (amop.ValidatePrivateTopic), and that every key file is named. The
// files themselves are read by whoever loads the keys, which names them.
func (c Config) validatePrivate(bad func(p path, format string, args ...any)) {
	for _, t := range slices.Sorted(maps.Keys(c.Private.Subscribe)) {
		p := path{"private", "subscribe", t}
		if msg := privateTopicProblem(t, amop.PrivateSubscriber); msg != "" {
			bad(p, "%s", msg)
		} else if c.Private.Subscribe[t] == "" {
			bad(p, "names no private key file")
		}
	}
	for _, t := range slices.Sorted(maps.Keys(c.Private.Publish)) {
		p := path{"private", "publish", t}
		files := c.Private.Publish[t]
		if msg := privateTopicProblem(t, amop.PrivatePublisher); msg != "" {
			bad(p, "%s", msg)
		} else if len(files) == 0 {
			bad(p, "lists no public key file: a publisher must accept at least one key")
		}
		for i, f := range files {
			if f == "" {
				bad(p.index(i), "is empty")
			}
		}
	}
}

// privateTopicProblem is topicProblem for a private topic in role.
func privateTopicProblem(t string, role amop.PrivateRole) string {
	err := amop.ValidatePrivateTopic(t, role)
	if err == nil {
		return ""
	}
	var te *amop.TopicError
	if errors.As(err, &te) {
		return fmt.Sprintf("%q is not a valid private topic: %s", t, te.Reason)
	}
	return err.Error()
}

// validateTLS checks that each of the three inputs has at most one source
// and, once any is given, that all three are.
func (c Config) validateTLS(bad func(p path, format string, args ...any)) {
	t := c.TLS
	items := []struct{ name, file, pem string }{
		{"ca", t.CA, t.CAPEM},
		{"cert", t.Cert, t.CertPEM},
		{"key", t.Key, t.KeyPEM},
	}
	given := false
	for _, it := range items {
		given = given || it.file != "" || it.pem != ""
	}
	for _, it := range items {
		pemKey := path{"tls", it.name + "_pem"}
		if it.file != "" && it.pem != "" {
			bad(pemKey, "set either %s or %s_pem, not both", it.name, it.name)
		}
		if it.pem != "" && !strings.Contains(it.pem, "-----BEGIN ") {
			bad(pemKey, "is not PEM text (no -----BEGIN line)")
		}
		if given && t.CertsDir == "" && it.file == "" && it.pem == "" {
			bad(path{"tls", it.name}, "missing: set %s, %s_pem or certs_dir", it.name, it.name)
		}
	}
}

// ValidateEndpoint checks a node endpoint: HOST:PORT with a non-empty host
// and a numeric port from 1 to 65535 ("[::1]:20200" for IPv6). main uses it
// for --node values too.
func ValidateEndpoint(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT: %w", s, unwrapAddrError(err))
	}
	if host == "" || strings.ContainsAny(host, " \t") {
		return fmt.Errorf("%q is not HOST:PORT: the host is missing", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '+' || port[0] == '0' {
		return fmt.Errorf("%q is not HOST:PORT: the port must be a number from 1 to 65535", s)
	}
	return nil
}

// unwrapAddrError keeps only the reason of a *net.AddrError: its Error
// repeats the address, which the caller already quotes.
func unwrapAddrError(err error) error {
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return errors.New(ae.Err)
	}
	return err
}

// topicProblem returns why t cannot be a topic, or "". amop.ValidateTopic is
// the one place topics are validated; this only rewords its error.
func topicProblem(t string) string {
	err := amop.ValidateTopic(t)
	if err == nil {
		return ""
	}
	var te *amop.TopicError
	if errors.As(err, &te) {
		return fmt.Sprintf("%q is not a valid topic: %s", t, te.Reason)
	}
	return err.Error()
}

// timestampProblem returns why layout is not a usable timestamp layout, or
// "". Every line of the UI shows milliseconds, always three digits so the
// column does not jitter: ".000", not ".999".
func timestampProblem(layout string) string {
	switch {
	case layout == "":
		return "is empty"
	case len(layout) > maxTimestampLayout:
		return fmt.Sprintf("is longer than %d bytes", maxTimestampLayout)
	case strings.ContainsFunc(layout, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "contains control characters"
	}
	withMS := time.Date(2001, 2, 3, 4, 5, 6, 789_000_000, time.UTC).Format(layout)
	zeroMS := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).Format(layout)
	if !strings.Contains(withMS, "789") || !strings.Contains(zeroMS, "000") {
		return fmt.Sprintf(`%q does not always show milliseconds (use e.g. "15:04:05.000")`, layout)
	}
	return ""
}

// SendTimeoutProblem says why d cannot be a send's timeout, "" if it can:
// it must be positive and at most MaxSendTimeout.
func SendTimeoutProblem(d time.Duration) string {
	if d <= 0 || d > MaxSendTimeout {
		return fmt.Sprintf("must be above 0 and at most %s, got %s", MaxSendTimeout, d)
	}
	return ""
}
