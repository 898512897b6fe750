// Package local is the local AMOP network: N FISCO BCOS 2.x nodes in one
// process, each a TLS listener that speaks the node side of the channel
// protocol (amop-protocol.md §7) and routes AMOP between the sessions of all
// nodes. It is what `amoptui node` runs, what the TUI embeds by default and
// the peer of every test and benchmark; unmodified go-sdk v1.1.1 clients use
// it exactly as they use real nodes.
//
// # Test-server API
//
// In the style of miniredis and nats-server's test helpers:
//
//	n := local.RunT(t, local.Options{})         // two nodes on 127.0.0.1:0, fresh certificates
//	n := local.RunT(t, local.Options{Like: "2.9"}) // or nodes that behave as FISCO BCOS 2.9.1 nodes
//	cfg.NodeURL = n.Addr(1)                     // ca.crt, sdk.crt, sdk.key are in n.CertDir()
//	n.WaitSubscribers(ctx, "hello", 1)          // instead of sleeping after a subscribe (known to every node)
//	n.WaitPrivate(ctx, "secret", cond)          // a private topic's verification counts
//	n.StopNode(0); n.StartNode(0)               // same address
//	n.Freeze(1); n.Thaw(1)                      // a hung node with its TCP connections open
//	n.Inject(1, "hello", [][]byte{a, b})        // raw, possibly malformed writes
//	n.Hostile(0, "victim", local.Behaviour{Kind: local.BadTopicLength}) // a broken node, toward one session
//	n.Stats(); n.FaithfulStats()                // counters
//	n.NodeID(1)                                 // a faithful node's id (the "nodeId" of 0x37 and 0x38)
//
// # Certificates
//
// Start loads Options.CertDir, generating what is missing on first use: a CA
// (ca.crt, ca.key), an SDK certificate (sdk.crt, sdk.key) and one certificate
// per node (node<i>.crt, node<i>.key); keys are written mode 0600. Existing
// files are reused; files that exist but do not fit together (a certificate
// not issued by ca.crt, a key that does not match its certificate, a PEM that
// does not parse, an expired certificate) are an error naming the file.
//
// Generated keys are NIST P-256 by default, not the secp256k1 of real
// chains: P-256 certificates are readable by the Go standard library (which
// cannot parse secp256k1) and by openssl, their handshakes are several times
// faster, and the go-sdk TLS fork, which the clients use, handles them as
// well as secp256k1. A secp256k1 set (Options.KeyType, NewCertDir) builds a
// directory shaped like build_chain.sh's (NewAgencyCertDir adds its agency
// CA between the chain CA and the node and SDK certificates), and a
// directory of either type loads (sdk.key may be PKCS#8 or SEC1; a
// certificate file may carry its chain). The server side uses the fork
// (github.com/FISCO-BCOS/crypto/tls) so it can verify secp256k1 client
// certificates: TLS 1.2 only, a client certificate required and verified
// against ca.crt, curve preference secp256k1 then P-256, as a real node.
//
// # Two behaviours: ideal and like 2.9
//
// Options.Like chooses, per network, what the nodes are like. The default,
// "ideal", is kinder than real nodes: topics are known everywhere at once,
// AMOP reaches sessions on the sender's own node, input errors close the
// session at once — what a demo and most tests want. "2.9" (Like291) is a
// FISCO BCOS v2.9.1 node as its C++ source behaves (faithful.go and the
// faithful_*.go files, each behaviour marked with its row of
// shared/docs/real-nodes.md and the C++ file:function it comes from); it is
// what "as a real node" means in the tests. getClientVersion's Build Type
// says which: "amoptui local network · ideal" or "amoptui local network ·
// like 2.9.1"; clients treat every node that does not say "· ideal" as a
// real chain. Row by row:
//
//	row  real-nodes.md      like 2.9 (faithful)                        ideal: what differs, and why
//	 1   TLS                1.2 only; ECDHE on secp256k1 only; client   ECDHE on P-256 too, no issuer check:
//	                        cert required; an SDK leaf with CA:FALSE    any SDK certificate under ca.crt works
//	                        must have the node certificate's issuer     (hand-made demo certificates)
//	 2   length < 42        the session stops reading; the idle timer   closed at once: a broken client
//	     or > 100 MiB       closes it; > 100 MiB disconnects            learns at once
//	 3   writes             one frame per TLS write; bounded queues     the same (both modes bound memory,
//	                        (a real node's queue is unbounded)          issue 11; see Deviations)
//	 4   inbound order      two pools of Workers (8) per node: frames   in order per session: predictable
//	                        of a session are handled in any order       streams for demos and tests
//	 5   unknown type       ignored, the session stays                  closes the session (strict)
//	 6   handshake 0x14     lenient JSON, defaults 1, disconnect when   bad JSON closes the session
//	                        the range misses 1..3, no answer to bad
//	                        JSON; answer on the request's own frame
//	 7   heartbeat 0x13     protocol 1: only "0" answered ("1");        always {"heartBeat":1}
//	                        2 and 3: {"heartBeat":1}
//	 8   getClientVersion   FISCO-BCOS Version 2.9.1 (+" gm"),          NodeVersion (default 2.9.0),
//	                        Supported 2.9.0, Build Type "· like 2.9.1"  Build Type "· ideal"
//	 9   subscribe 0x32     replaces; bad JSON ignored; jsoncpp's       bad JSON closes the session
//	                        reading of other values; seq bumped
//	10   topic sync         every SyncInterval (5 s) per P2P link:      at once (TopicDelay to delay):
//	                        subscribe, unsubscribe, disconnect and      a demo's first message arrives
//	                        restart reach other nodes up to 5 s late
//	11   unicast            peers whose copy of the topic is verified,  every subscribed session but the
//	     candidates         then the own node if any session has it     sender's
//	                        (the sender's own subscription included)
//	12   pick and retry     boost::mt19937 seeded with the second, bit  uniform over all nodes' sessions
//	                        for bit: node (NodeTimeout 30 s each, then  (ChaCha8), PushTimeout each, 104
//	                        100), then session (PushTimeout 5 s each,   when none is left: spreads a
//	                        then 104 with the original body)            demo's load
//	13   own node           dropped; a request waits up to 30 s under   delivered to the node's other
//	                        its P2P seq (0 unless a peer was tried      sessions: a one-node demo works
//	                        first), then the next node or 100; one      (never to the sender itself)
//	                        made while the seq is held is never
//	                        answered, and its timer cuts short the
//	                        wait of whichever request holds the seq
//	                        when it fires; multicast skips the own node
//	14   reply              relayed verbatim on the publisher's seq     the same
//	15   multicast ack      0x31, result 0, own seq and body, even to   the same, without the payload
//	                        nobody                                      (memory, issue 11)
//	16   AMOP on            routed like any topic (the guard drops it   refused with 103: go-sdk crashes
//	     _block_notify_*    before go-sdk)                              on it
//	17   block notify       a block every BlockInterval (3 s): 0x1001,  none
//	                        seq of 32 '0', body by protocol
//	18   event log          {"result":0} (C++ error codes for bad       {"result":-1}: go-sdk fails at once
//	     0x15/0x16          filters); no logs (no transactions)         instead of waiting for logs
//	19   private topics     per (peer node, topic): 0x37 with the       per subscriber session: 0x37 to any
//	                        peer's node id to a local publisher         publisher on any node, 0x38 only
//	                        session, every heartbeat while VERIFYING;   from a publisher, matched at once;
//	                        0x38 from any session; a node accepted      own-node subscribers verified too:
//	                        once delivers to all its sessions           a demo shows verification per key
//	20   idle               60 s (IdleTimeout)                          the same
//	21   session lost       pending pushes fail over at once; the       the same, and its topics are gone
//	                        node's topics sync at the next heartbeat    everywhere at once
//	22   peer node lost     StopNode is the process gone: peers forget  StopNode closes the node's sessions;
//	                        its topics and fail their calls over at     nothing waits on a node
//	                        once; a node gone when its turn comes
//	                        leaves the send unanswered
//	23   error codes        100, 104 (101 and 103 never from the        also 103 (reserved topics, the
//	                        node; a subscriber's own 103 is relayed,    per-session unicast limit)
//	                        row 14)
//
// Faithful nodes also end (the whole node process, until StartNode) on an
// AMOP frame whose topic-length byte is 0, as the C++ node does: its
// std::length_error escapes a thread-pool worker. real-nodes.md does not
// list it; the source shows it.
//
// # Deviations of the faithful mode
//
//   - Memory is bounded (row 3): a session's send queue holds a bounded
//     number of frames and bytes, a push to a session that is not keeping
//     up fails at once (as if its 5 s had passed) and the session is closed
//     after WriteTimeout; a real node queues without bound and never
//     closes it. The same limits on topics per session hold in both modes.
//     The thread pools' queues hold 1024 jobs, after which the session's
//     reader waits (TCP holds the client back).
//   - P2P messages between nodes are function calls: no latency, a topic
//     list is fetched the moment a changed seq arrives, and a stopped node's
//     links drop at once. A peer's order among the candidates is node order
//     (the C++ walks an unordered_map of node ids).
//   - A frozen node (Freeze) drops the P2P messages sent to it instead of
//     reading them after Thaw; the sender times out after NodeTimeout.
//   - The JSON readers follow jsoncpp's rules as far as Go's decoder can:
//     comments and bytes that are not UTF-8 are not accepted.
//   - getClientVersion is the only JSON-RPC method; event-log filters never
//     push logs; the bandwidth limiter (103) is not modelled, as it is off
//     by default.
//   - Undefined behaviour in the C++ is given one outcome: a topic-length
//     byte past the body names a topic nobody has; an empty 0x15/0x16 body
//     is ignored. A duplicate answer racing in before the C++ erases a
//     pending push's entry is not matched twice.
//   - Ideal-only options (TopicDelay, VerifyInterval) have no effect;
//     SyncInterval does both jobs, as the P2P heartbeat does.
//
// # Deviations of the ideal mode
//
// Besides the table: a frame a real node would relay although it would
// crash the receiving go-sdk (a topic-length byte past the body, a reply
// whose topic body is malformed) closes the sending session.
package local
