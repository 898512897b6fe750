package wire3

// Status codes a 3.x node puts in the status field of its answer to an AMOP
// request (the answer then has type TypeNone on real nodes, and the node's
// error text as payload; AMOPClient.cpp onRecvAMOPRequest). Which node
// produces which is in fisco3-amop.md.
const (
	// CodeNoPeer: no node, the sender's included, has a client subscribed
	// to the topic (CommonError::NotFoundPeerByTopicSendMsg).
	CodeNoPeer = 3001
	// CodeNoClient: the node picked for the topic had no session to hand
	// it to (CommonError::NotFoundClientByTopicDispatchMsg): its subscriber
	// left after the last topic sync.
	CodeNoClient = 3002
	// CodeSendFailed: no node holding the topic could be reached
	// (CommonError::AMOPSendMsgFailed).
	CodeSendFailed = 3003
	// CodeUnsupportedType (CommonError::UnSupportedPacketType).
	CodeUnsupportedType = 3004
	// CodeUnavailable: AMOP is not available on the node — a tars timeout
	// towards its gateway, or the gateway inactive (Pro/Max).
	CodeUnavailable = -1
)

// WebSocket-layer codes (bcos-boostssl websocket/WsError.h). A node forwards
// them as the status of an AMOP answer when delivering to the subscriber
// failed (e.g. CodeWsTimeout after its 30 s wait).
const (
	CodeWsAccept            = -4000
	CodeWsRead              = -4001
	CodeWsWrite             = -4002
	CodeWsPing              = -4003
	CodeWsPong              = -4004
	CodeWsPacket            = -4005
	CodeWsSessionDisconnect = -4006
	CodeWsUserDisconnect    = -4007
	CodeWsTimeout           = -4008
	CodeWsNoActiveCons      = -4009
	CodeWsEndPointNotExist  = -4010
	CodeWsMessageOverflow   = -4011
	CodeWsUndefined         = -4012
	CodeWsEncode            = -4013
)

// The texts v3.16.4 nodes send with those codes, for the local network to
// answer as a real node does.
const (
	TextNoPeerPrefix = "there has no node subscribe this topic, topic: "
	TextNoClient     = "NotFoundClientByTopicDispatchMsg"
	TextSendFailed   = "unable to send message to peer by topic"
	TextWsTimeout    = "waiting for message response timed out"
	// TextDisconnectPrefix is followed by the session's drop reason (a
	// CodeWs* number).
	TextDisconnectPrefix = "Drop, the session has been disconnected, reason: "
)

// IsWsCode reports whether code is one of the WebSocket-layer codes.
func IsWsCode(code int) bool { return code <= CodeWsAccept && code >= CodeWsEncode }
