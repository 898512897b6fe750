package ui

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/amoptui/amoptui/amop"
)

// TestDiagnoseTellsWhatTheErrorDoesNot: after the first failed connection
// attempt the UI asks Options.Diagnose once, off the UI thread, and writes
// its answer to the panes and the footer — the case it is for: --fisco 2
// forced against a 3.x node, where the error alone is only a timeout. It
// is asked once however many attempts fail, and an answer that arrives
// after the session came up is not shown.
func TestDiagnoseTellsWhatTheErrorDoesNot(t *testing.T) {
	const hint = "127.0.0.1:20200 is a FISCO BCOS 3.x node (it accepted a WebSocket upgrade): use --fisco 3, or --fisco auto"
	var asked atomic.Int32
	opts := testOptions("svc")
	opts.Diagnose = func() string { asked.Add(1); return hint + "\x1b[2J" }
	m := newModel(t, newFake(), opts, 160, 30)
	failing := amop.Status{State: amop.StateConnecting, Endpoint: "127.0.0.1:20200", Attempt: 1, LastErr: "handshake with 127.0.0.1:20200: i/o timeout"}
	m, cmd := updateCmd(m, events(&amop.StateEvent{Status: failing}))
	var diag *diagnosisMsg
	for _, msg := range runCmd(cmd) {
		if d, ok := msg.(diagnosisMsg); ok {
			diag = &d
		}
	}
	if diag == nil {
		t.Fatal("a failed attempt did not ask Diagnose")
	}
	failing.Attempt = 2
	_, cmd = updateCmd(m, events(&amop.StateEvent{Status: failing}))
	for _, msg := range runCmd(cmd) {
		if _, ok := msg.(diagnosisMsg); ok {
			t.Error("Diagnose was asked again on the second attempt")
		}
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("Diagnose asked %d times, want 1", n)
	}
	shown := update(m, *diag)
	view := shown.View()
	if !strings.Contains(view, "is a FISCO BCOS 3.x node") || !shown.noticeErr || !strings.Contains(shown.notice, "use --fisco 3") {
		t.Errorf("the diagnosis is not on screen (notice %q):\n%s", shown.notice, view)
	}
	if strings.Contains(view, "\x1b[2J") {
		t.Error("the diagnosis reached the screen unsanitised")
	}
	// Panes are shared between copies of a model: a fresh one for the
	// late answer.
	up := newModel(t, newFake(), opts, 160, 30)
	up = update(up, events(&amop.StateEvent{Status: failing}))
	up = update(up, events(&amop.StateEvent{Status: amop.Status{State: amop.StateConnected, Endpoint: "127.0.0.1:20200"}}))
	if late := update(up, *diag); strings.Contains(late.View(), "is a FISCO BCOS 3.x node") || late.notice != "" && strings.Contains(late.notice, "3.x") {
		t.Errorf("a diagnosis that came after the session was up was shown:\n%s", late.View())
	}
}
