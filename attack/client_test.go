package attack_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// subBound is what `amoptui sub` may hold while a node pushes payloads far
// over its incoming limit (16 MiB by default).
const subBound = 128 << 20

// TestHostileNodeCannotBloatSub is issue 11 F8: a node (the attacker
// program, holding a certificate of the chain's CA) pushes three ~100 MB
// frames on each of three topics to the real `amoptui sub`, then one small
// message on each. sub must read them through without keeping them
// (counted as oversize), receive the small ones, and stay small. It used
// to hand every frame to go-sdk: 2.07 GB, still 1.94 GB 30 s later.
func TestHostileNodeCannotBloatSub(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs amoptui sub and the attacker")
	}
	runHostileNode(t, 3, 100_000_000)
}

func runHostileNode(t *testing.T, perTopic, size int) {
	bin, attacker := binaries(t)
	certs := t.TempDir()
	if err := local.NewCertDir(certs, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := local.IssueCert(certs, "node0", local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	att := start(t, attacker, "-mode", "node", "-addr", "127.0.0.1:0", "-certs", certs,
		"-size", fmt.Sprint(size), "-per-topic", fmt.Sprint(perTopic), "-duration", "5m")
	listening := regexp.MustCompile(`listening (\S+)`)
	waitFor(t, 10*time.Second, "the hostile node", func() bool { return listening.MatchString(att.out.String()) })
	addr := listening.FindStringSubmatch(att.out.String())[1]
	topics := []string{"t1", "t2", "t3"}
	sub := start(t, bin, append([]string{"sub", "--certs", certs, addr}, topics...)...)
	meter := meterRSS(sub, killAt)
	defer meter.close()
	waitFor(t, 20*time.Second, "Subscriber success", func() bool { return strings.Contains(sub.out.String(), "Subscriber success") || sub.exited() })
	start := time.Now()
	got := func() bool {
		for _, tp := range topics {
			if !strings.Contains(sub.out.String(), "received: after "+tp) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(3 * time.Minute)
	for !got() && !sub.exited() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(start)
	time.Sleep(3 * time.Second)
	peak, end, killed := meter.read()
	t.Logf("F8 %d×%d-byte pushes on %d topics: sub RSS peak %s, %s 3 s after the last; all small messages in %v: %v",
		perTopic, size, len(topics), mib(peak), mib(end), took.Round(time.Millisecond), got())
	t.Logf("sub stderr:\n%s", sub.err.String())
	switch {
	case killed:
		t.Fatalf("sub's RSS passed %s: stopped", mib(killAt))
	case sub.exited():
		t.Fatalf("sub exited:\n%s\n%s", sub.out.String(), sub.err.String())
	case !got():
		t.Fatalf("the small messages did not all arrive within %v:\n%s", took, sub.out.String())
	case peak > subBound:
		t.Fatalf("sub's RSS peaked at %s, over %s", mib(peak), mib(subBound))
	}
	want := regexp.MustCompile(fmt.Sprintf(`\b%d (frames )?over --max-incoming`, perTopic*len(topics)))
	waitFor(t, 5*time.Second, "sub to report "+want.String(), func() bool { return want.MatchString(sub.err.String()) })
}
