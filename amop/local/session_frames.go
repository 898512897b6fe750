package local

// What the ideal node does with each frame a client sends: the handshake,
// the JSON-RPC it answers, and AMOP, handed to the router (route.go).

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/amoptui/amoptui/amop/wire"
)

// handle dispatches one inbound frame. An error closes the session.
func (s *session) handle(raw []byte) error {
	if s.f != nil {
		s.fReceive(raw)
		return nil
	}
	f, err := wire.Parse(raw)
	if err != nil {
		return err
	}
	// A frame whose seq is pending on this session is the reply to our
	// push, whatever its type, as on a real node (ChannelSession::onMessage).
	if matched, err := s.net.reply(s, raw, &f); matched {
		return err
	}
	switch f.Type {
	case wire.TypeHandshake:
		return s.onHandshake(&f)
	case wire.TypeRPC:
		s.onRPC(&f)
	case wire.TypeHeartbeat:
		s.enqueue(reply(wire.TypeHeartbeat, &f.Seq, 0, wire.HeartbeatReply))
	case wire.TypeSubscribe:
		topics, refused, err := s.net.checkTopics(f.Body)
		if err != nil {
			return err
		}
		if refused != "" {
			s.refuseTopics(refused)
			return nil
		}
		s.net.subscribe(s, topics)
	case wire.TypeAMOPRequest:
		return s.net.unicast(s, raw, &f)
	case wire.TypeMulticast:
		return s.net.multicast(s, raw, &f)
	case wire.TypeAMOPResponse:
		// go-sdk answers every multicast push; a real node logs and drops
		// those. So do we, without a log line per message.
		s.net.stats.unmatched.Add(1)
	case wire.TypeEventRegister, wire.TypeEventUnregister:
		body, _ := wire.AppendTopicBody(nil, "", []byte(`{"result":-1}`))
		s.enqueue(reply(f.Type, &f.Seq, 0, body))
	case wire.TypeTopicStatus:
		s.net.topicStatus(s, &f)
	case wire.TypeVerifyRequest, wire.TypeTxNotify, wire.TypeBlockNotify, wire.TypeEventPush:
		// Node-to-SDK types: ignored without closing the session.
	default:
		return fmt.Errorf("unknown frame type %s", f.Type)
	}
	return nil
}

func (s *session) onHandshake(f *wire.Frame) error {
	h, err := wire.DecodeHandshakeRequest(f.Body)
	if err != nil {
		return err
	}
	if h.MinimumSupport > wire.MaxProtocol {
		return fmt.Errorf("handshake: client needs protocol %d..%d, node speaks 1..%d",
			h.MinimumSupport, h.MaximumSupport, wire.MaxProtocol)
	}
	body := wire.EncodeHandshakeResponse(wire.HandshakeResponse{
		NodeVersion: s.net.opts.SupportedVersion,
		Protocol:    min(wire.MaxProtocol, h.MaximumSupport),
	})
	s.enqueue(reply(wire.TypeHandshake, &f.Seq, 0, body))
	return nil
}

// onRPC answers JSON-RPC: getClientVersion as a real node fills it, an error
// for anything else. JSON-RPC errors travel in the body; the header result
// stays 0, as on a real node.
func (s *session) onRPC(f *wire.Frame) {
	o := &s.net.opts
	resp := wire.RPCResponse{JSONRPC: "2.0", ID: json.RawMessage("null")}
	req, err := wire.DecodeRPCRequest(f.Body)
	switch {
	case err != nil:
		resp.Error = &wire.RPCError{Code: -32700, Message: "parse error"}
	case req.Method == "getClientVersion":
		resp.ID = req.ID
		version := o.NodeVersion
		if o.SM {
			version += " gm"
		}
		result, _ := json.Marshal(wire.ClientVersion{ // a struct of strings always marshals
			BuildTime:        "20230101 00:00:00",
			BuildType:        BuildType(o.Like),
			ChainID:          strconv.FormatInt(o.ChainID, 10),
			FiscoBcosVersion: version,
			GitBranch:        "amoptui",
			GitCommitHash:    "0000000000000000000000000000000000000000",
			SupportedVersion: o.SupportedVersion,
		})
		resp.Result = result
	default:
		resp.ID = req.ID
		resp.Error = &wire.RPCError{Code: -32601, Message: "method not found: the local AMOP network serves only getClientVersion"}
	}
	body, err := json.Marshal(resp)
	if err != nil { // an ID that is not valid JSON cannot come out of DecodeRPCRequest
		body = []byte(`{"id":null,"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error"}}`)
	}
	s.answerOwn(reply(wire.TypeRPC, &f.Seq, 0, append(body, '\n')))
}

// reply encodes a node-originated frame in one allocation.
func reply(typ wire.Type, seq *wire.Seq, result int32, body []byte) []byte {
	f := wire.Frame{Type: typ, Seq: *seq, Result: result, Body: body}
	return f.Encode()
}
