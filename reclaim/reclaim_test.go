package reclaim

import (
	"runtime"
	"testing"
	"time"
)

// held is the heap memory the runtime holds from the system and has not
// returned (what a process's resident size follows).
func held() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapSys - ms.HeapReleased
}

// TestSoonReturnsMemory: 256 MiB that became garbage is returned to the
// system within seconds of the last Soon of a burst, in one collection.
func TestSoonReturnsMemory(t *testing.T) {
	var keep [][]byte
	for i := 0; i < 64; i++ {
		b := make([]byte, 4<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1 // touch every page
		}
		keep = append(keep, b)
	}
	before := held()
	if before < 256<<20 {
		t.Fatalf("held %d MiB after allocating 256", before>>20)
	}
	keep = nil
	_ = keep
	runs0 := Runs()
	for i := 0; i < 10; i++ {
		Soon() // a burst: one collection after the last
	}
	deadline := time.Now().Add(30 * time.Second)
	for Runs() == runs0 {
		if time.Now().After(deadline) {
			t.Fatal("no collection within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after := held(); after > 64<<20 {
		t.Fatalf("still holding %d MiB of the heap after the collection (%d MiB before)", after>>20, before>>20)
	}
	time.Sleep(2 * quiet)
	if n := Runs() - runs0; n != 1 {
		t.Fatalf("%d collections for one burst", n)
	}
}
