package wire3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// ModuleRPC is the protocol module an SDK claims in its handshake
// (ProtocolModuleID::RpcService); nodes refuse module ids over 3.
const ModuleRPC = 2

// MaxModule is the largest module id a node accepts (MAX_PROTOCOL_MODULE).
const MaxModule = 3

// The protocol versions of the RPC module (GlobalConfig.h: RpcService V0–V2).
const (
	MinProtocol = 0
	MaxProtocol = 2
)

// HandshakeRequest is the body of an SDK's TypeHandshake
// (bcos-framework rpc/HandshakeRequest.h).
type HandshakeRequest struct {
	MinVersion uint32 `json:"minVersion"`
	MaxVersion uint32 `json:"maxVersion"`
	ModuleID   uint32 `json:"moduleID"`
}

// NewHandshakeRequest is what the C++ SDK sends.
func NewHandshakeRequest() HandshakeRequest {
	return HandshakeRequest{MinVersion: MinProtocol, MaxVersion: MaxProtocol, ModuleID: ModuleRPC}
}

// Encode returns the JSON body.
func (h HandshakeRequest) Encode() []byte { return marshal(h) }

// DecodeHandshakeRequest parses a handshake body as a node does: missing
// numbers are 0; a module id over MaxModule, negative or non-integer numbers
// and anything but a JSON object are errors.
func DecodeHandshakeRequest(b []byte) (HandshakeRequest, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return HandshakeRequest{}, badJSON("handshake request is not a JSON object", err)
	}
	var h HandshakeRequest
	for name, dst := range map[string]*uint32{"minVersion": &h.MinVersion, "maxVersion": &h.MaxVersion, "moduleID": &h.ModuleID} {
		v, ok := raw[name]
		if !ok || string(v) == "null" {
			continue
		}
		n, err := uint32Of(v)
		if err != nil {
			return HandshakeRequest{}, badJSON("handshake request "+name, err)
		}
		*dst = n
	}
	if h.ModuleID > MaxModule {
		return HandshakeRequest{}, &Error{Kind: KindBadJSON, Detail: fmt.Sprintf("handshake request moduleID %d is over %d", h.ModuleID, MaxModule)}
	}
	return h, nil
}

func uint32Of(v json.RawMessage) (uint32, error) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return 0, err
	}
	if f < 0 || f > math.MaxUint32 || f != math.Trunc(f) {
		return 0, fmt.Errorf("%s is not an unsigned 32-bit integer", v)
	}
	return uint32(f), nil
}

// HandshakeResponse is a node's answer to the handshake
// (bcos-rpc Rpc.cpp onRecvHandshakeRequest).
type HandshakeResponse struct {
	ProtocolVersion  int              `json:"protocolVersion"`
	GroupInfoList    []GroupInfo      `json:"groupInfoList"`
	GroupBlockNumber []map[string]int `json:"groupBlockNumber"`
}

// GroupInfo is one group as a node describes it (jsonrpc/Common.h
// groupInfoToJson). GenesisConfig and IniConfig are JSON text in strings.
type GroupInfo struct {
	ChainID       string     `json:"chainID"`
	GroupID       string     `json:"groupID"`
	GenesisConfig string     `json:"genesisConfig"`
	IniConfig     string     `json:"iniConfig"`
	NodeList      []NodeInfo `json:"nodeList"`
}

// NodeInfo is one node of a group (jsonrpc/Common.h nodeInfoToJson).
type NodeInfo struct {
	Name         string        `json:"name"`
	NodeID       string        `json:"nodeID"`
	Type         int           `json:"type"` // 0 non-SM, 1 SM (NodeCryptoType)
	MicroService bool          `json:"microService"`
	IniConfig    string        `json:"iniConfig"` // JSON text, see NodeIni
	ServiceInfo  []ServiceInfo `json:"serviceInfo"`
	Protocol     *NodeProtocol `json:"protocol,omitempty"`
}

// NodeProtocol is the protocol range a node reports.
type NodeProtocol struct {
	MinSupportedVersion  int `json:"minSupportedVersion"`
	MaxSupportedVersion  int `json:"maxSupportedVersion"`
	CompatibilityVersion int `json:"compatibilityVersion"`
}

// ServiceInfo is one service of a node.
type ServiceInfo struct {
	Type        int    `json:"type"`
	ServiceName string `json:"serviceName"`
}

// NodeIni is the JSON inside NodeInfo.IniConfig (libinitializer
// PBFTInitializer.cpp generateIniConfig).
type NodeIni struct {
	BinaryInfo struct {
		Version       string `json:"version"`
		GitCommitHash string `json:"gitCommitHash"`
		Platform      string `json:"platform"`
		BuildTime     string `json:"buildTime"`
	} `json:"binaryInfo"`
	ChainID      string `json:"chainID"`
	GroupID      string `json:"groupID"`
	SMCryptoType bool   `json:"smCryptoType"`
	IsWasm       bool   `json:"isWasm"`
	NodeName     string `json:"nodeName"`
	NodeID       string `json:"nodeID"`
}

// Encode returns the JSON body, as compact as the node's FastWriter.
func (h HandshakeResponse) Encode() []byte { return marshal(h) }

// DecodeHandshakeResponse parses a node's handshake answer. protocolVersion
// is required (as the C++ SDK requires it); the group list may be missing or
// empty.
func DecodeHandshakeResponse(b []byte) (HandshakeResponse, error) {
	var probe struct {
		ProtocolVersion *json.RawMessage `json:"protocolVersion"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return HandshakeResponse{}, badJSON("handshake response", err)
	}
	if probe.ProtocolVersion == nil {
		return HandshakeResponse{}, &Error{Kind: KindBadJSON, Detail: "handshake response has no protocolVersion"}
	}
	var h HandshakeResponse
	if err := json.Unmarshal(b, &h); err != nil {
		return HandshakeResponse{}, badJSON("handshake response", err)
	}
	if h.ProtocolVersion < MinProtocol || h.ProtocolVersion > MaxProtocol {
		return HandshakeResponse{}, &Error{Kind: KindBadJSON, Detail: fmt.Sprintf("handshake response protocolVersion %d is outside %d–%d", h.ProtocolVersion, MinProtocol, MaxProtocol)}
	}
	return h, nil
}

// Summary is what a client shows of a node: its chain, group, version and
// crypto suite, taken from the first group and its first node. Fields the
// node did not tell are empty.
type Summary struct {
	Chain, Group string
	Version      string // the node binary's version, e.g. "3.16.4"
	Platform     string // the node binary's platform (amoptui's local network names its mode there)
	SM           bool   // the group runs the SM (guomi) crypto suite
	Groups       int    // how many groups the node serves
}

// Summary reads h's first group and its first node.
func (h HandshakeResponse) Summary() Summary {
	var s Summary
	s.Groups = len(h.GroupInfoList)
	if len(h.GroupInfoList) == 0 {
		return s
	}
	g := h.GroupInfoList[0]
	s.Chain, s.Group = g.ChainID, g.GroupID
	if len(g.NodeList) == 0 {
		return s
	}
	n := g.NodeList[0]
	s.SM = n.Type == 1
	var ini NodeIni
	if json.Unmarshal([]byte(n.IniConfig), &ini) == nil {
		s.Version = ini.BinaryInfo.Version
		s.Platform = ini.BinaryInfo.Platform
		s.SM = s.SM || ini.SMCryptoType
	}
	return s
}

// Topics is the body of TypeSubTopic: the client's whole topic list
// (bcos-cpp-sdk amop/TopicManager.cpp toJson).
type Topics struct {
	Topics []string `json:"topics"`
}

// Encode returns the JSON body.
func (t Topics) Encode() []byte {
	if t.Topics == nil {
		t.Topics = []string{}
	}
	return marshal(t)
}

// DecodeTopics parses a topic list strictly: an object whose "topics" is an
// array of strings (a missing array is an empty list).
func DecodeTopics(b []byte) (Topics, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return Topics{}, badJSON("topic list is not a JSON object", err)
	}
	var t Topics
	if v, ok := raw["topics"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &t.Topics); err != nil {
			return Topics{}, badJSON("topic list \"topics\" is not an array of strings", err)
		}
	}
	return t, nil
}

func badJSON(what string, err error) *Error {
	if err == nil {
		return &Error{Kind: KindBadJSON, Detail: what}
	}
	return &Error{Kind: KindBadJSON, Detail: what + ": " + err.Error()}
}

// marshal encodes v without HTML escaping, with the trailing newline of
// jsoncpp's FastWriter.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Only the package's own types reach here (strings, numbers, booleans,
	// slices and maps of them), which always encode.
	_ = enc.Encode(v)
	return buf.Bytes()
}
