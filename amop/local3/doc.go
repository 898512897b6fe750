// Package local3 is the local FISCO BCOS 3.x network: N nodes in one process,
// each serving the node side of 3.x AMOP on its RPC port — WebSocket over
// mutual TLS, the handshake, topic lists, unicast and broadcast routing
// between the nodes (fisco3-amop.md, read from the v3.16.4 C++ source). It is
// what `amoptui node --fisco 3` runs and the peer of the 3.x client's tests.
//
// # Test-server API
//
// The same shape as package local (the 2.x network):
//
//	n := local3.RunT(t, local3.Options{})       // two nodes on 127.0.0.1:0, fresh certificates
//	ep := n.Addr(1)                             // ca.crt, sdk.crt, sdk.key are in n.CertDir()
//	n.WaitSubscribers(ctx, "hello", 1)          // instead of sleeping after a subscribe
//	n.StopNode(0); n.StartNode(0)               // same address
//	n.Freeze(1); n.Thaw(1)                      // a hung node with its connections open
//	n.Inject(1, "hello", [][]byte{a, b})        // raw messages, valid or not
//	n.Hostile(0, "victim", local3.Behaviour{Kind: local3.Silence})
//	n.Stats()
//	n.View(); n.Decisions(since)                // what routing did, for ui/netview (package netobs)
//
// # Certificates
//
// As 3.x build_chain.sh makes them (tools/BcosAirBuilder/build_chain.sh,
// gen_chain_cert and gen_rsa_node_cert): an RSA-2048 CA (ca.crt, ca.key),
// and RSA-2048 SDK and node certificates (sdk.crt, sdk.key;
// node<i>/ssl.crt, node<i>/ssl.key) with basicConstraints CA:FALSE and
// nothing else — no key usage, no subjectAltName, so clients verify the chain
// against ca.crt and cannot check a host name. Keys are PKCS#8. Missing files
// are generated on first use; files that do not fit together are an error
// naming the file.
//
// # Ideal and faithful
//
// Options.Like chooses the character: LikeIdeal (the default) or Like3164.
// Both speak the same protocol; a
// faithful network also reproduces what v3.16.4 does that a client must
// survive, and an ideal one does what a demo wants:
//
//   - Unsubscribing: faithful nodes only ever add topics from a session's
//     list (AMOPClient::updateTopicInfos); a topic leaves when the session
//     ends. Ideal nodes take each list as the session's new set.
//   - Unicast routing: faithful nodes try the other nodes that hold the topic
//     first and the sender's own node only when none does, or as a fallback
//     after the remote path failed — and the fallback hands the subscriber
//     the sender's own message, seq and all, possibly to the sender itself.
//     The session is picked by a generator seeded with the millisecond, so
//     picks within one millisecond agree. Ideal nodes pick uniformly among
//     every subscriber they can see, never the sender.
//   - Answers: faithful nodes pass the subscriber's answer back verbatim (its
//     type, status, ext and payload, the sender's seq), and errors come as a
//     message of type 0 whose status is the code and whose payload is the
//     node's error text; a fallback that fails answers an empty message the
//     sender cannot match. Ideal nodes answer with an AMOP response either
//     way.
//   - Topic sync: faithful nodes publish their topics to the others every 2 s
//     (AMOPImpl TOPIC_SYNC_PERIOD), so a new subscriber is not found from
//     other nodes (3001) until then; ideal nodes at once (Options.TopicSync
//     sets either).
//   - Broadcasts: faithful nodes hand the sender its own broadcast when it is
//     subscribed; ideal ones never.
//   - Malformed input: a message whose seq runs past its end makes a faithful
//     node keep the bytes and read the next message appended to them
//     (WsSession::onReadPacket); an AMOP request body it cannot decode is
//     lost without an answer, and one under 2 bytes is routed as the empty
//     topic. Ideal nodes drop such a message (and answer a bad request with
//     -4005). Both close a session whose message is under 10 bytes, or over
//     MaxMessage (32 MiB).
//   - Write order: faithful nodes write what queued up behind a write in
//     arbitrary order (WsSession's priority queue of pointers); ideal ones in
//     order.
//
// Both: a subscriber has ReplyTimeout (30 s) to answer; the handshake is
// answered on the request's own message with the group, its nodes and
// protocol version min(2, the SDK's maximum); a session silent for half of
// IdleTimeout (10 s) is pinged and closed after all of it; a message on the
// seq of a pending push counts as its answer; AMOP needs no handshake; block
// and group notifications are not sent (Hostile can); JSON-RPC, over HTTP or
// the WebSocket, is answered "method not found".
//
// # Deviations from a real node, on purpose
//
//   - Nodes are in one process: "reachable" is "running", and a node that
//     stops disappears from the others' tables at once, where real nodes
//     notice a lost peer when its P2P session drops.
//   - The pick stands in for srand(ms)/rand() and std::shuffle with a fixed
//     mix of the millisecond; it is not glibc's sequence.
//   - A topic list is parsed strictly: a list that is not an array of strings
//     is ignored whole, where jsoncpp would take numbers as topic names.
//   - Options.SM stands in for an SM-TLS (NTLS) node with an SM2 certificate
//     presented over ordinary TLS 1.2, which is how such a node looks to a
//     client without SM support (the certificate does not parse).
//   - A slow consumer (a session whose queue stays full for WriteTimeout) is
//     closed; a real node's write queue grows without bound.
//
// # Read from the source where fisco3-amop.md is silent or differs
//
//   - A node with AMOP disabled does not answer -1: WsService::onRecvMessage
//     compares the message type with the gateway's AMOPMessageType (0x7),
//     which an SDK's 0x110–0x113 never equal, so it logs "unrecognized
//     message type" and the sender waits out its own timeout. -1 comes from
//     an inactive gateway (Pro/Max) or a tars timeout (-7/-8) only.
//   - RetrySender picks a random node but erases the list's first entry.
//   - The fallback to the sender's own node sends the sender's original
//     message (its seq) and, when that fails, an undecodable empty buffer
//     re-encoded as an all-zero message with an empty seq.
//   - An AMOPRequest of 2 to 5 bytes, or whose topic runs past its end,
//     throws std::runtime_error, which AMOPRequest::decode's catch of
//     std::string misses: the request is lost without an answer.
//   - A handshake whose range misses 0–2 drops the session, yet the node
//     goes on to answer it (on a closed session); a handshake that is not
//     JSON is not answered.
//   - Answers are matched by seq whatever their type: needCheckRspPacket is
//     never set for the RPC port.
package local3
