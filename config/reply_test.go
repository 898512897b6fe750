package config

import (
	"strings"
	"testing"
)

func TestReplyTablesProblemsWithLines(t *testing.T) {
	doc := `[reply]
default = "off"

[[reply.match]]
regex = "^ok"
reply = "fine"

[[reply.match]]
topic = "svc"
regex = "(unclosed"
reply = "{{.Seq"

[[reply.exec]]
command = "cat"

[[reply.exec]]
command = "  "
timeout = "1m"
max_output = -1

[[reply.exec]]
topic = "_block_notify_1"
command = "x"
colour = "blue"
`
	c, err := Parse([]byte(doc), "r.toml")
	if err == nil || !strings.Contains(err.Error(), `r.toml:24`) || !strings.Contains(err.Error(), "reply.exec[2].colour") {
		t.Fatalf("decode: %v", err)
	}
	if len(c.Reply.Match) != 2 || len(c.Reply.Exec) != 3 {
		t.Fatalf("decoded %+v", c.Reply)
	}
	err = c.Validate()
	for _, want := range []string{
		"r.toml:10", "reply.match[1].regex", "missing closing )",
		"r.toml:11", "reply.match[1].reply", "template",
		"r.toml:16", "reply.exec[1]", "the default (no topic) already has a command in reply.exec[0]",
		"reply.exec[1].command", "is missing",
		"r.toml:18", "reply.exec[1].timeout", "must be between 0 (3s) and 9s",
		"reply.exec[1].max_output",
		"r.toml:22", "reply.exec[2].topic",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate lacks %q:\n%v", want, err)
		}
	}
	// The first match rule and the first exec are fine.
	if err != nil && (strings.Contains(err.Error(), "reply.match[0]") || strings.Contains(err.Error(), "reply.exec[0].")) {
		t.Errorf("good tables reported:\n%v", err)
	}
}
