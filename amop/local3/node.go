package local3

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// node is one 3.x node: its RPC port (HTTP and WebSocket on one listener, as
// bcos-boostssl's HttpServer), its sessions and its AMOP topic tables.
type node struct {
	net       *Network
	idx       int
	addr      string
	tlsConfig *tls.Config // nil: plain ws://

	// Guarded by net.mu.
	running  bool
	ln       net.Listener
	srv      *http.Server
	sessions map[*session]struct{}
	// topics is AMOPClient's m_topicToSessions: which sessions subscribed
	// each topic. A topic with no session is deleted.
	topics map[string]map[*session]struct{}
	// published is what the other nodes see of topics, refreshed every
	// TopicSync (AMOPImpl's topic-seq broadcast, request and response);
	// unused when TopicSync is 0.
	published map[string]bool
	topicSeq  uint32
	syncStop  chan struct{}
	thaw      chan struct{} // closed unless frozen
}

// serverTLS is a 3.x node's RPC TLS: 1.2 only, a client certificate required
// and verified against ca.crt (ContextBuilder: tlsv12, verify_peer |
// verify_fail_if_no_peer_cert). HTTP/2 is not offered: WebSocket needs 1.1.
func serverTLS(cert tls.Certificate, ca *authority) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.pool,
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
}

func (nd *node) start() error {
	n := nd.net
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return ErrClosed
	}
	if nd.running {
		n.mu.Unlock()
		return nil
	}
	addr := nd.addr
	n.mu.Unlock()
	ln, err := listenAddr(addr)
	if err != nil {
		return err
	}
	up := websocket.Upgrader{
		HandshakeTimeout: n.opts.HandshakeTimeout,
		ReadBufferSize:   64 << 10,
		WriteBufferSize:  64 << 10,
		// SDKs send no Origin, and nodes check none.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	srv := &http.Server{
		Handler:           &rpcHandler{nd: nd, up: up},
		ReadHeaderTimeout: n.opts.HandshakeTimeout,
		ErrorLog:          log.New(&tlsFailureCounter{n: n}, "", 0),
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	nd.addr = ln.Addr().String()
	nd.ln, nd.srv, nd.running = ln, srv, true
	nd.published, nd.topicSeq = map[string]bool{}, 0
	nd.syncStop = make(chan struct{})
	stop := nd.syncStop
	n.mu.Unlock()
	served := ln
	if nd.tlsConfig != nil {
		served = tls.NewListener(ln, nd.tlsConfig)
	}
	n.log.Debug("node listening", "node", nd.idx, "addr", ln.Addr().String())
	n.spawn(func() { _ = srv.Serve(served) })
	if n.opts.TopicSync > 0 {
		n.spawn(func() { nd.syncLoop(stop) })
	}
	return nil
}

func (nd *node) stop() {
	n := nd.net
	n.mu.Lock()
	if !nd.running {
		n.mu.Unlock()
		return
	}
	nd.running = false
	srv, addr := nd.srv, nd.addr
	close(nd.syncStop)
	select {
	case <-nd.thaw:
	default:
		close(nd.thaw) // a restarted process is not hung
	}
	var ss []*session
	for s := range nd.sessions {
		ss = append(ss, s)
	}
	nd.published = nil
	n.notifyLocked()
	n.mu.Unlock()
	_ = srv.Close()
	for _, s := range ss {
		s.close(closeStopped)
	}
	n.log.Debug("node stopped", "node", nd.idx, "addr", addr)
}

// syncLoop is AMOPImpl's timer: every TopicSync the node's current topics
// become what the other nodes see.
func (nd *node) syncLoop(stop <-chan struct{}) {
	n := nd.net
	t := time.NewTicker(n.opts.TopicSync)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-n.closing:
			return
		case <-t.C:
		}
		n.mu.Lock()
		if nd.running {
			p := make(map[string]bool, len(nd.topics))
			for topic := range nd.topics {
				p[topic] = true
			}
			nd.published = p
			n.stats.syncs.Add(1)
			n.notifyLocked()
		}
		n.mu.Unlock()
	}
}

// visibleLocked reports whether the other nodes see that this node holds
// topic. net.mu is held.
func (nd *node) visibleLocked(topic string) bool {
	if !nd.running || len(nd.topics[topic]) == 0 {
		return false
	}
	if nd.net.opts.TopicSync == 0 {
		return true
	}
	return nd.published[topic]
}

// frozen reports whether the node is frozen.
func (nd *node) frozen() bool {
	nd.net.mu.Lock()
	defer nd.net.mu.Unlock()
	select {
	case <-nd.thaw:
		return false
	default:
		return true
	}
}

// waitThaw blocks while the node is frozen; false when the network closes.
func (nd *node) waitThaw(done <-chan struct{}) bool {
	nd.net.mu.Lock()
	thaw := nd.thaw
	nd.net.mu.Unlock()
	select {
	case <-thaw:
		return true
	case <-done:
		return false
	case <-nd.net.closing:
		return false
	}
}

// rpcHandler serves the RPC port: a WebSocket upgrade becomes a session
// (HttpSession::onRead), anything else is JSON-RPC, of which this network
// implements no method.
type rpcHandler struct {
	nd *node
	up websocket.Upgrader
}

func (h *rpcHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	nd := h.nd
	if !websocket.IsWebSocketUpgrade(r) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(rpcError(body))
		return
	}
	if !nd.waitThaw(r.Context().Done()) {
		return
	}
	conn, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	nd.net.newSession(nd, conn)
}

// rpcError answers a JSON-RPC request with "method not found": this network
// serves AMOP only.
func rpcError(req []byte) []byte {
	var in struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(req, &in)
	id := in.ID
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	out, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id,
		"error": map[string]any{"code": -32601, "message": "Method not found: the amoptui local network serves AMOP only"}})
	return out
}

// tlsFailureCounter counts the TLS handshake failures net/http logs.
type tlsFailureCounter struct{ n *Network }

func (c *tlsFailureCounter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("TLS handshake error")) {
		c.n.stats.tlsFailures.Add(1)
		c.n.log.Debug("TLS handshake failed", "detail", strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// idleLoop pings sessions that have been silent for half the idle timeout
// and closes those silent for all of it (beast's keep_alive_pings and
// idle_timeout on WsStream). One loop for all sessions: a ticker per session
// would cost more than the precision is worth.
func (n *Network) idleLoop() {
	defer n.wg.Done()
	if n.opts.IdleTimeout < 0 {
		<-n.closing
		return
	}
	step := max(n.opts.IdleTimeout/10, 10*time.Millisecond)
	t := time.NewTicker(step)
	defer t.Stop()
	for {
		select {
		case <-n.closing:
			return
		case now := <-t.C:
			var ping, kill []*session
			n.mu.Lock()
			for _, nd := range n.nodes {
				select {
				case <-nd.thaw:
				default:
					continue // a frozen node does nothing
				}
				for s := range nd.sessions {
					idle := now.Sub(time.Unix(0, s.lastRead.Load()))
					switch {
					case idle >= n.opts.IdleTimeout:
						kill = append(kill, s)
					case idle >= n.opts.IdleTimeout/2 && !s.pinged.Swap(true):
						ping = append(ping, s)
					}
				}
			}
			n.mu.Unlock()
			for _, s := range kill {
				n.stats.closedIdle.Add(1)
				s.close(closeIdle)
			}
			for _, s := range ping {
				if s.isSilent() {
					continue
				}
				n.stats.pings.Add(1)
				_ = s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
			}
		}
	}
}
