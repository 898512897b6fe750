package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// MaxProtocol is the highest channel protocol version a 2.x node speaks.
const MaxProtocol = 3

// HandshakeRequest is the body of an SDK's 0x14.
type HandshakeRequest struct {
	MinimumSupport int    `json:"minimumSupport"`
	MaximumSupport int    `json:"maximumSupport"`
	ClientType     string `json:"clientType"`
}

// HandshakeResponse is the body of a node's 0x14 reply.
type HandshakeResponse struct {
	NodeVersion string `json:"nodeVersion"`
	Protocol    int    `json:"protocol"`
}

// DecodeHandshakeRequest parses a 0x14 body. The version range must be
// sensible (1 <= min <= max); a node disconnects a client whose range does
// not overlap its own.
func DecodeHandshakeRequest(body []byte) (HandshakeRequest, error) {
	var h HandshakeRequest
	if err := strictUnmarshal(body, &h); err != nil {
		return h, err
	}
	if h.MinimumSupport < 1 || h.MaximumSupport < h.MinimumSupport {
		return h, &Error{Kind: KindBadJSON, Detail: "handshake version range " +
			strconv.Itoa(h.MinimumSupport) + ".." + strconv.Itoa(h.MaximumSupport) + " is invalid"}
	}
	return h, nil
}

// DecodeHandshakeResponse parses a node's 0x14 reply.
func DecodeHandshakeResponse(body []byte) (HandshakeResponse, error) {
	var h HandshakeResponse
	if err := strictUnmarshal(body, &h); err != nil {
		return h, err
	}
	if h.Protocol < 1 {
		return h, &Error{Kind: KindBadJSON, Detail: "handshake protocol " + strconv.Itoa(h.Protocol) + " is invalid"}
	}
	return h, nil
}

// EncodeHandshakeResponse is the body of a node's 0x14 reply, newline
// terminated as a real node writes it.
func EncodeHandshakeResponse(h HandshakeResponse) []byte {
	b, _ := json.Marshal(h) // a struct of a string and an int always marshals
	return append(b, '\n')
}

// DecodeTopics parses a 0x32 body: a JSON array of topic names, the
// session's complete set. Every name must fit an AMOP body.
func DecodeTopics(body []byte) ([]string, error) {
	var topics []string
	if err := strictUnmarshal(body, &topics); err != nil {
		return nil, err
	}
	if topics == nil {
		return nil, &Error{Kind: KindBadJSON, Detail: "topic list is null"}
	}
	for _, t := range topics {
		if len(t) > MaxTopicLen {
			return nil, &Error{Kind: KindTopicTooLong, Length: uint64(len(t))}
		}
	}
	return topics, nil
}

// EncodeTopics is the body of a 0x32.
func EncodeTopics(topics []string) []byte {
	if topics == nil {
		topics = []string{}
	}
	b, _ := json.Marshal(topics) // a slice of strings always marshals
	return b
}

// HeartbeatReply is the body a protocol v2+ node answers a 0x13 with.
var HeartbeatReply = []byte("{\"heartBeat\":1}\n")

// RPCRequest is the JSON-RPC request an SDK sends in a 0x12.
type RPCRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// RPCError is a JSON-RPC error object.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// RPCResponse is a node's JSON-RPC reply in a 0x12.
type RPCResponse struct {
	ID      json.RawMessage `json:"id"`
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *RPCError       `json:"error,omitempty"`
}

// DecodeRPCRequest parses a 0x12 body.
func DecodeRPCRequest(body []byte) (RPCRequest, error) {
	var r RPCRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return r, &Error{Kind: KindBadJSON, Detail: err.Error()}
	}
	if r.Method == "" {
		return r, &Error{Kind: KindBadJSON, Detail: "JSON-RPC request has no method"}
	}
	if len(r.ID) == 0 {
		r.ID = json.RawMessage("null")
	}
	return r, nil
}

// ClientVersion is the result of getClientVersion as a 2.x node fills it.
// go-sdk checks three keys: Supported Version (x.y.z), FISCO-BCOS Version
// ("gm" in it exactly when the chain is SM) and Chain Id (a decimal string).
type ClientVersion struct {
	BuildTime        string `json:"Build Time"`
	BuildType        string `json:"Build Type"`
	ChainID          string `json:"Chain Id"`
	FiscoBcosVersion string `json:"FISCO-BCOS Version"`
	GitBranch        string `json:"Git Branch"`
	GitCommitHash    string `json:"Git Commit Hash"`
	SupportedVersion string `json:"Supported Version"`
}

// VerifyRequest is the body of a node's 0x37 to a private topic's publisher.
type VerifyRequest struct {
	NodeID       string `json:"nodeId"`
	Topic        string `json:"topic"`
	TopicForCert string `json:"topicForCert"`
}

// TopicStatus is the body of a publisher's 0x38: checkResult 0 means the
// subscriber proved its key, 1 that it did not.
type TopicStatus struct {
	CheckResult int    `json:"checkResult"`
	NodeID      string `json:"nodeId"`
	Topic       string `json:"topic"`
}

// DecodeVerifyRequest parses a 0x37 body.
func DecodeVerifyRequest(body []byte) (VerifyRequest, error) {
	var v VerifyRequest
	if err := json.Unmarshal(body, &v); err != nil {
		return v, &Error{Kind: KindBadJSON, Detail: err.Error()}
	}
	if v.Topic == "" || v.TopicForCert == "" {
		return v, &Error{Kind: KindBadJSON, Detail: "verify request lacks topic or topicForCert"}
	}
	return v, nil
}

// DecodeTopicStatus parses a 0x38 body.
func DecodeTopicStatus(body []byte) (TopicStatus, error) {
	var s TopicStatus
	if err := json.Unmarshal(body, &s); err != nil {
		return s, &Error{Kind: KindBadJSON, Detail: err.Error()}
	}
	if s.Topic == "" || (s.CheckResult != 0 && s.CheckResult != 1) {
		return s, &Error{Kind: KindBadJSON, Detail: "topic status lacks topic or has checkResult " + strconv.Itoa(s.CheckResult)}
	}
	return s, nil
}

// strictUnmarshal decodes exactly one JSON value, allowing trailing
// whitespace (nodes end their bodies with a newline).
func strictUnmarshal(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return &Error{Kind: KindBadJSON, Detail: err.Error()}
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return &Error{Kind: KindBadJSON, Detail: "trailing data after the JSON value"}
	}
	return nil
}
