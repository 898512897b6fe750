package guard

import (
	"sync/atomic"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// Late answers. A real node tries each candidate node of a unicast for up
// to 30 s (real-nodes.md row 12), and a node that picks its own node waits
// the whole 30 s before it tries the next (row 13), so an answer after the
// guard has given up on a request is normal on a real chain, and it is news
// for the person who sent it: the message did arrive, only late.
//
// go-sdk tells its caller nothing but an error string with the result code
// of the frame that answered it, so the guard puts a ticket into that code:
// a request it gives up on is answered with ResultDeadlineTicket(ticket),
// and the node's late answer, if one comes within lateWindow, is reported
// through Config.OnLate with the same ticket. The adapter reads the ticket
// back from go-sdk's error (DeadlineTicket) and so knows which send the
// late answer belongs to.

// The ticket range of result codes: far above the AMOP codes (100–104) and
// the guard's own (20001–20007), inside int32, which is what go-sdk decodes.
const (
	ticketBase int32 = 1 << 30
	ticketSpan       = 1<<31 - 1 - ticketBase
)

// ResultDeadlineTicket is the result code of a deadline answer carrying
// ticket: like ResultDeadline, "the node did not answer in time", and the
// late answer, if any, will carry the same ticket.
func ResultDeadlineTicket(ticket uint64) int32 {
	return ticketBase + int32(ticket%uint64(ticketSpan))
}

// DeadlineTicket reads the ticket of a deadline answer's result code; ok is
// false for any other code.
func DeadlineTicket(code int64) (ticket uint64, ok bool) {
	if code < int64(ticketBase) || code > 1<<31-1 {
		return 0, false
	}
	return uint64(code - int64(ticketBase)), true
}

// Late is the node's answer to a go-sdk request the guard had already
// answered with a deadline ticket.
type Late struct {
	Ticket uint64
	// Result is the answer's AMOP result code (0: a reply or an
	// acknowledgement; 100, 104…: the node's failure).
	Result int32
	// Data is a unicast reply's payload (nil otherwise).
	Data []byte
	// Received is when the answer arrived.
	Received time.Time
}

// expiry is a request the guard gave up on, kept for lateWindow so that the
// node's late answer can be told from a stray one and reported.
type expiry struct {
	at     time.Time
	ticket uint64
	amop   bool // an AMOP send, which has a ticket; other requests have none
}

var tickets atomic.Uint64

// newTicket numbers a request the guard gives up on. Tickets are unique per
// process (every guard draws from one counter), so an adapter never confuses
// two of them within lateWindow.
func newTicket() uint64 {
	for {
		// 0 means "no ticket" to the adapter.
		if t := tickets.Add(1) % uint64(ticketSpan); t != 0 {
			return t
		}
	}
}

// reportLate tells OnLate about the node's late answer f to an expired
// request; it runs on the session's reader and must not block.
func (g *Guard) reportLate(e expiry, f wire.Frame) {
	if g.cfg.OnLate == nil {
		return
	}
	l := Late{Ticket: e.ticket, Result: f.Result, Received: time.Now()}
	if f.Type == wire.TypeAMOPResponse && f.Result == 0 && len(f.Body) > 0 {
		if _, data, err := wire.DecodeTopic(f.Body); err == nil {
			l.Data = append([]byte(nil), data...)
		}
	}
	g.cfg.OnLate(l)
}
