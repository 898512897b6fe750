package amop

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Line is the major version of FISCO BCOS a node speaks AMOP in. The two
// lines share nothing on the wire: 2.x has its channel protocol (go-sdk
// behind amop/guard), 3.x a WebSocket on the RPC port (amop/fisco3).
type Line uint8

// The lines; LineAuto asks for detection per endpoint (package amop/dial).
const (
	LineAuto Line = iota
	Line2
	Line3
)

// String is "auto", "2" or "3", as --fisco and the config spell it.
func (l Line) String() string {
	switch l {
	case Line2:
		return "2"
	case Line3:
		return "3"
	}
	return "auto"
}

// Name is how a status line says it: "FISCO BCOS 2.x" or "FISCO BCOS 3.x".
func (l Line) Name() string {
	switch l {
	case Line2:
		return "FISCO BCOS 2.x"
	case Line3:
		return "FISCO BCOS 3.x"
	}
	return "FISCO BCOS"
}

// ParseLine reads "auto", "2" (or "2.x") and "3" (or "3.x").
func ParseLine(s string) (Line, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return LineAuto, nil
	case "2", "2.x":
		return Line2, nil
	case "3", "3.x":
		return Line3, nil
	}
	return LineAuto, fmt.Errorf("%q is not a FISCO BCOS line: want auto, 2 or 3", s)
}

// ErrNoPrivateTopics refuses private topics on a 3.x node, which has none.
var ErrNoPrivateTopics = errors.New("amop: FISCO BCOS 3.x has no private (authenticated) topics; they exist on 2.x chains only — use an ordinary topic")

// SyncWindow is how long the nodes of n's line may take to tell each other
// about a subscription, during which a send from another node finds no
// subscriber: 2.x nodes compare topic lists on a 5 s heartbeat
// (SyncWindow), 3.x nodes every 2 s (AMOPImpl TOPIC_SYNC_PERIOD).
func (n NodeInfo) SyncWindow() time.Duration {
	if n.Line == Line3 {
		return 2 * time.Second
	}
	return SyncWindow
}

// SyncWindowText is SyncWindow in words.
func (n NodeInfo) SyncWindowText() string {
	if n.Line == Line3 {
		return TopicSync3Text
	}
	return SyncWindowText
}

// NoSubscriberCode is the code a unicast gets while no node knows a
// subscriber of its topic: AMOP 100 on 2.x, 3001 on 3.x.
func (n NodeInfo) NoSubscriberCode() int {
	if n.Line == Line3 {
		return CodeNoPeer3
	}
	return CodeNoSubscriber
}

// SyncNote is SyncNote in n's line's words.
func (n NodeInfo) SyncNote() string { return "other nodes learn of it within " + n.SyncWindowText() }
