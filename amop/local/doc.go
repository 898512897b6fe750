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
//	cfg.NodeURL = n.Addr(1)                     // ca.crt, sdk.crt, sdk.key are in n.CertDir()
//	n.WaitSubscribers(ctx, "hello", 1)          // instead of sleeping after a subscribe
//	n.WaitPrivate(ctx, "secret", cond)          // a private topic's verification counts
//	n.StopNode(0); n.StartNode(0)               // same address
//	n.Freeze(1); n.Thaw(1)                      // a hung node with its TCP connections open
//	n.Inject(1, "hello", [][]byte{a, b})        // raw, possibly malformed writes
//	n.Hostile(0, "victim", local.Behaviour{Kind: local.BadTopicLength}) // a broken node, toward one session
//	n.Stats()                                   // counters
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
// # Deviations from a real 2.x node, on purpose
//
//   - A session never receives its own unicast or multicast. Real 2.5–2.7
//     nodes could route a client's unicast back to it, and go-sdk then takes
//     its own pushed request for the reply (same seq). Other sessions on the
//     same node do receive, which real 2.8–2.11 nodes appear not to do
//     (amop-protocol.md §4.3); a one-node demo needs it.
//   - The unicast pick is uniform over the eligible sessions of all nodes,
//     drawn from a ChaCha8 generator seeded from crypto/rand; a real node
//     picks a node, then a session, with a generator re-seeded from the
//     wall-clock second, so every pick within one second is the same.
//   - AMOP (0x30/0x35) on a "_block_notify_" topic is refused with a 0x31 of
//     result 103 (CodeRefused), which go-sdk reports as "reject amop
//     request": go-sdk registers a nil handler on that topic and crashes on
//     any message to it. A real node would forward it.
//   - A frame a real node would relay although it would crash the receiving
//     go-sdk (a topic-length byte past the body, a reply whose topic body is
//     malformed) closes the sending session instead. So do a length < 42 or
//     over MaxFrame, an unknown type, and bad JSON in 0x14 or 0x32.
//   - 0x13 is always answered with {"heartBeat":1}\n, whatever the
//     negotiated protocol. getClientVersion is the only JSON-RPC method;
//     others get a JSON-RPC "method not found" error. Event-log registration
//     (0x15/0x16) is answered with {"result":-1} so go-sdk fails instead of
//     waiting for logs that never come. No block notifies are sent.
//   - Private topics (0x37/0x38, private.go) keep one verification state
//     per (subscriber session, private topic), shared by the whole network,
//     where a real node keeps one per (remote peer node, topic) of its own
//     and asks only its own publishers. Here the 0x37 goes to a random
//     publisher session on any node, its "nodeId" names the subscriber
//     session (128 hex digits, as a node id), and one verdict serves every
//     node. Every subscriber is verified, including those on the
//     publisher's node, which real 2.8–2.11 nodes never verify (and, per
//     §4.3, never deliver to). A subscriber or publisher that appears is
//     matched at once instead of at the next 5 s heartbeat; VERIFYING
//     subscribers are offered again every Options.VerifyInterval. A 0x38
//     is honoured only from a session that publishes the topic (subscribes
//     its "#!$PushChannel_" topic); others are ignored and counted. A
//     subscriber without a "#!$VerifyChannel_" challenge topic stays
//     VERIFYING and receives nothing.
//   - Topic changes reach other nodes immediately unless Options.TopicDelay
//     is set (real nodes sync within ~5 s); unsubscribing takes effect
//     everywhere at once. The same-issuer ("agency") check of
//     check_cert_issuer is not made.
package local
