package amop

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What a client on a real FISCO BCOS 2.x chain cannot see, said once here
// for the UI and the commands (real-nodes.md has the source of each fact).

// SyncWindow is how long real nodes may take to tell each other about a
// subscribe, an unsubscribe, a disconnect or a restart: they compare topic
// lists on a 5 s heartbeat (real-nodes.md row 10). Until then a send to
// the topic from another node gets AMOP 100 (not known yet) or 104 (stale).
const SyncWindow = 5 * time.Second

// SyncWindowText is SyncWindow in words.
const SyncWindowText = "5 s"

// SyncNote is the propagation window after a join or a reconnect on a real
// chain, in the words the UI and `sub` show.
const SyncNote = "other nodes learn of it within " + SyncWindowText

// multicastWords say what a multicast that succeeded means on a line. A
// 2.x node acknowledges a multicast, even when nobody listens (real-nodes.md
// row 15): it accepted it. A 3.x node acknowledges none (fisco3-amop.md):
// the message was written to it, no more. Neither is a delivery receipt.
type multicastWords struct{ ok, word, note, long string }

var (
	multicastWords2 = multicastWords{
		ok: "accepted by the node", word: "accepted", note: "not a delivery receipt",
		long: "accepted by the node, which is not a delivery receipt: a node acknowledges a multicast even when nobody listens",
	}
	multicastWords3 = multicastWords{
		ok: "written to the node", word: "written", note: "no acknowledgement on 3.x",
		long: "written to the node, which acknowledges no multicast on 3.x: not a delivery receipt",
	}
)

// multicast is line l's words; LineAuto reads as 2.x, the line that
// acknowledges.
func (l Line) multicast() multicastWords {
	if l == Line3 {
		return multicastWords3
	}
	return multicastWords2
}

// MulticastOK is what a multicast that succeeded means on line l, in a
// few words.
func (l Line) MulticastOK() string { return l.multicast().ok }

// MulticastOKWord is MulticastOK in one word, for narrow columns.
func (l Line) MulticastOKWord() string { return l.multicast().word }

// MulticastOKNote says why MulticastOK is not a delivery: what a headless
// command adds in brackets.
func (l Line) MulticastOKNote() string { return l.multicast().note }

// MulticastOKLong explains MulticastOK in a sentence.
func (l Line) MulticastOKLong() string { return l.multicast().long }

// localBuildType is how amoptui's local network names itself in
// getClientVersion's "Build Type": "amoptui local network · ideal", or
// "amoptui local network · like 2.9.1" in its faithful mode.
const localBuildType = "amoptui local network"

// Ideal reports whether the node is amoptui's local network in its ideal
// mode, which is kinder than real nodes (topics known everywhere at once,
// no own-node drop, per-session private verdicts). Every other node — the
// faithful local mode included — is treated as a real chain.
func (n NodeInfo) Ideal() bool { return strings.Contains(n.BuildType, "· ideal") }

// LocalMode is "ideal" or "like X.Y" for amoptui's local network, "" for
// any other node.
func (n NodeInfo) LocalMode() string {
	rest, ok := strings.CutPrefix(n.BuildType, localBuildType)
	if !ok {
		return ""
	}
	rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "·"))
	if like, ok := strings.CutPrefix(rest, "like "); ok {
		if p := strings.Split(like, "."); len(p) >= 2 {
			like = p[0] + "." + p[1]
		}
		return "like " + like
	}
	if rest == "" {
		return "local"
	}
	return rest
}

// minorVersion reads "2.9.1" (or "2.9.1 gm") as 2, 9.
func minorVersion(v string) (major, minor int, ok bool) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0, 0, false
	}
	p := strings.Split(strings.TrimPrefix(f[0], "v"), ".")
	if len(p) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(p[0])
	minor, err2 := strconv.Atoi(p[1])
	return major, minor, err1 == nil && err2 == nil
}

// DropsOwnNode reports whether the node is one that drops AMOP for a
// session on the sender's own node: FISCO BCOS 2.8 to 2.11 (real-nodes.md
// row 13). Its own node is a unicast candidate as soon as a session on it —
// this client's own subscription included — has the topic (row 11), so a
// client that listens to a topic and sends unicast to it loses messages.
// Never true for the ideal local network.
func (n NodeInfo) DropsOwnNode() bool {
	if n.Ideal() {
		return false
	}
	major, minor, ok := minorVersion(n.Version)
	return ok && major == 2 && minor >= 8 && minor <= 11
}

// OwnNodeRisk says, in short lines, why a unicast to topic from a client
// that also listens to it may be lost on node n. OwnNodeAvoid is what
// avoids it in general; the UI says how in its own terms.
func OwnNodeRisk(topic string, n NodeInfo) []string {
	return []string{
		fmt.Sprintf("this client listens to %q, so a FISCO BCOS %s node may pick its own node for a unicast to it", topic, n.Version),
		fmt.Sprintf("the node then drops the message, and the send waits up to %s before the node tries another node or answers AMOP %d", NodeCandidateWaitText, CodeNoSubscriber),
		"sooner when another such send's timer cuts it short; a send made while another one waits there is never answered",
	}
}

// OwnNodeAvoid is how to avoid the own-node drop (OwnNodeRisk).
const OwnNodeAvoid = "send from a client that does not listen to the topic, or listen from another node"

// NoSubscriberYet is how much longer a send that ended in err is worth
// repeating: on a real chain, while the client's node session is younger
// than window, the line's "no subscriber" answer (AMOP 100, 3001 on 3.x)
// may only mean that the nodes have not yet told each other of a
// subscriber (they sync topics every SyncWindow: real-nodes.md row 10).
// It is 0 for any other outcome, on the ideal local network, or once the
// window has passed. pub --wait and the TUI repeat their unicasts by it.
func NoSubscriberYet(c Client, err error, window time.Duration) time.Duration {
	if err == nil {
		return 0
	}
	st := c.Status()
	if st.State != StateConnected || st.Node.Ideal() || !errors.Is(err, &CodeError{Code: st.Node.NoSubscriberCode()}) {
		return 0
	}
	return max(0, time.Until(st.Since.Add(window)))
}
