package amop

import (
	"errors"
	"strings"
	"testing"

	"github.com/amoptui/amoptui/amop/wire"
)

func TestMapSDKError(t *testing.T) {
	tests := map[string]error{
		"sendMessage failed, err: error code 100, remote peer unavailable":                        &CodeError{Code: 100},
		"sendMessage failed, err: error code 104, send channel message failed":                    &CodeError{Code: 104},
		"pushTopicDataToALL, sendMessage failed, err: error code 103, reject amop reqeust or ...": &CodeError{Code: 103},
		"sendMessage failed, err: response error: 20001":                                          ErrNotConnected,
		"sendMessage failed, err: response error: 20002":                                          ErrTimeout,
		"sendMessage failed, err: response error: 20003":                                          ErrConnectionLost,
		"sendMessage failed, err: response error: 20004":                                          ErrMalformedReply,
		"sendMessage failed, err: response error: 20006":                                          ErrClosed,
		"sendMessage failed, err: connection unavailable":                                         ErrNotConnected,
	}
	for msg, want := range tests {
		got := mapSDKError("hello", errors.New(msg))
		if !errors.Is(got, want) {
			t.Errorf("%q → %v, want %v", msg, got, want)
		}
	}
	var tm *TimeoutError
	if err := mapSDKError("x", errors.New("sendMessage failed, err: response error: 1073741901")); !errors.As(err, &tm) || tm.ticket != 77 || !errors.Is(err, ErrTimeout) {
		t.Errorf("a deadline ticket mapped to %#v", err)
	}
	var te *TopicError
	if !errors.As(mapSDKError("x", errors.New("response error: 20005")), &te) {
		t.Error("reserved topic not mapped to TopicError")
	}
	if got := mapSDKError("hello", errors.New("something odd")); got == nil || !strings.Contains(got.Error(), "something odd") {
		t.Errorf("unknown error lost its text: %v", got)
	}
	if mapSDKError("x", nil) != nil {
		t.Error("nil error mapped to non-nil")
	}
}

func TestCheckNode(t *testing.T) {
	good := wire.ClientVersion{ChainID: "1", FiscoBcosVersion: "2.9.0", SupportedVersion: "2.9.0"}
	if err := checkNode(1, false)(good); err != nil {
		t.Fatalf("good node refused: %v", err)
	}
	cases := []struct {
		v       wire.ClientVersion
		chain   int64
		sm      bool
		wantSub string
	}{
		{good, 2, false, "the node is on chain 1, the configuration expects chain 2"},
		{good, 1, true, "sm_crypto is true"},
		{wire.ClientVersion{ChainID: "1", FiscoBcosVersion: "2.9.0 gm", SupportedVersion: "2.9.0"}, 1, false, "SM (guomi)"},
		{wire.ClientVersion{ChainID: "x", FiscoBcosVersion: "2.9.0", SupportedVersion: "2.9.0"}, 1, false, `Chain Id "x"`},
		{wire.ClientVersion{ChainID: "1", FiscoBcosVersion: "2.9.0", SupportedVersion: "2.9"}, 1, false, "not x.y.z"},
	}
	for _, c := range cases {
		err := checkNode(c.chain, c.sm)(c.v)
		if err == nil || !strings.Contains(err.Error(), c.wantSub) {
			t.Errorf("%+v chain=%d sm=%v: got %v, want %q", c.v, c.chain, c.sm, err, c.wantSub)
		}
	}
	if err := checkNode(1, true)(wire.ClientVersion{ChainID: "1", FiscoBcosVersion: "2.9.0 gm", SupportedVersion: "2.9.0"}); err != nil {
		t.Errorf("SM node with sm=true refused: %v", err)
	}
}
