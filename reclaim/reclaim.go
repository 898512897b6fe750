// Package reclaim gives memory back to the system soon after a large
// amount of it became garbage: a large payload decoded (go-sdk makes
// several copies of it), payloads dropped from a pane, a pane cleared.
//
// Go collects when the heap has grown by GOGC percent since the last
// collection, or every two minutes, and returns freed pages to the system
// gradually after that. A client that took a few large messages and then
// sat idle, or a pane that was just cleared, would keep hundreds of
// megabytes resident for minutes. Soon asks for one collection, with the
// freed memory returned at once (debug.FreeOSMemory), a second after the
// last request: a burst costs one collection at its end, not one per
// message.
package reclaim

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Big is the size from which a payload becoming garbage (or a release of
// memory) is worth a Soon.
const Big = 1 << 20

// quiet is how long after the last Soon the collection runs.
const quiet = time.Second

var (
	last  atomic.Int64  // unix nanos of the last Soon
	armed atomic.Bool   // a timer is pending
	runs  atomic.Uint64 // collections run
)

// Soon asks for a collection a second after the last call. It is cheap
// and safe from any goroutine.
func Soon() {
	last.Store(time.Now().UnixNano())
	if armed.CompareAndSwap(false, true) {
		time.AfterFunc(quiet, fire)
	}
}

// Runs is how many collections Soon has caused, for tests.
func Runs() uint64 { return runs.Load() }

func fire() {
	at := last.Load()
	if wait := quiet - time.Since(time.Unix(0, at)); wait > 0 {
		time.AfterFunc(wait, fire)
		return
	}
	debug.FreeOSMemory()
	runs.Add(1)
	armed.Store(false)
	// A Soon after the check above saw the timer armed and left it to
	// this one: arm again for it.
	if last.Load() != at && armed.CompareAndSwap(false, true) {
		time.AfterFunc(quiet, fire)
	}
}
