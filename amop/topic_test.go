package amop

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateTopic(t *testing.T) {
	ok := []string{"hello", "订单", strings.Repeat("a", 254), strings.Repeat("订", 84), "a b", "x_block_notify_1"}
	for _, topic := range ok {
		if err := ValidateTopic(topic); err != nil {
			t.Errorf("%q refused: %v", topic, err)
		}
	}
	bad := map[string]string{
		"":                       "empty",
		strings.Repeat("a", 255): "longer than 254",
		strings.Repeat("订", 85):  "longer than 254",
		"_block_notify_1":        "reserved",
		"#!$TopicNeedVerify_x":   "reserved",
		"a\tb":                   "control",
		"a\x1b[2Jb":              "control",
		"\xff":                   "UTF-8",
		"a\u009bb":               "control",
	}
	for topic, want := range bad {
		err := ValidateTopic(topic)
		var te *TopicError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error about %q", topic, err, want)
		}
	}
}

func TestCodeErrors(t *testing.T) {
	err := error(&CodeError{Code: CodeNoSubscriber, Topic: "hello"})
	if got := err.Error(); !strings.HasPrefix(got, `nobody is subscribed to "hello" on any reachable node, as far as this node knows: `) ||
		!strings.Contains(got, "less than 5 s ago") || !strings.HasSuffix(got, " (AMOP 100)") {
		t.Fatalf("100: %q", got)
	}
	if !errors.Is(err, &CodeError{Code: 100}) || errors.Is(err, &CodeError{Code: 104}) {
		t.Fatal("errors.Is by code")
	}
	for code := 100; code <= 105; code++ {
		ce := &CodeError{Code: code, Topic: "t"}
		if ce.Explain() == "" || ce.Short() == "" {
			t.Fatalf("code %d has no text", code)
		}
	}
	if ShortError(err) != "no subscriber (AMOP 100)" || ShortError(ErrTimeout) != "timeout" || ShortError(nil) != "" {
		t.Fatal("ShortError")
	}
	// 103 names both causes: a node's limit and the receiving client's
	// max_incoming answer alike (issue M6).
	rej := &CodeError{Code: CodeRejected, Topic: "small"}
	if got, want := rej.Error(), "refused: over a node's bandwidth limit (or another of its limits), "+
		"or larger than the receiving client accepts (its max_incoming); the answer does not say which (AMOP 103)"; got != want {
		t.Fatalf("103:\n got %q\nwant %q", got, want)
	}
	if got := ShortError(rej); got != "refused (AMOP 103)" {
		t.Fatalf("103 short: %q", got)
	}
}

func TestModeAndReplyPolicy(t *testing.T) {
	for in, want := range map[string]Mode{"unicast": Unicast, "MULTI": Multicast, " uni ": Unicast, "multicast": Multicast} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseMode("sideways"); err == nil {
		t.Error("ParseMode accepted nonsense")
	}
	if p := ParseReplyPolicy("echo"); p.Mode != ReplyEcho || string(p.Reply([]byte("x"))) != "x" {
		t.Error("echo")
	}
	if p := ParseReplyPolicy("pong"); p.Mode != ReplyText || string(p.Reply([]byte("x"))) != "pong" || p.String() != `"pong"` {
		t.Error("text")
	}
	if p := ParseReplyPolicy(""); p.Mode != ReplyOff || p.Reply([]byte("x")) != nil || p.String() != "off" {
		t.Error("off")
	}
}
