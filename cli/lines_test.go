package cli

import (
	"strings"
	"testing"

	"github.com/amoptui/amoptui/amop/local3"
)

// TestForcedLine2AgainstA3xNodeSaysSo: --fisco 2 against a 3.x node's port
// used to time out with "is the node running?"; the 3.x node reads the 2.x
// handshake as the start of an HTTP request and waits. Now the give-up line
// names what the endpoint is and what to use.
func TestForcedLine2AgainstA3xNodeSaysSo(t *testing.T) {
	n := local3.RunT(t, local3.Options{})
	code, _, errOut := runCmd(t, "", "pub", "--fisco", "2", "--certs", n.CertDir(), "--connect-timeout", "2s", n.Addr(0), "t", "hi")
	want := n.Addr(0) + " is a FISCO BCOS 3.x node (it accepted a WebSocket upgrade): use --fisco 3, or --fisco auto"
	if code != exitFailure || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}
