package local

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// Options configure a Network. The zero value is two nodes on 127.0.0.1:0
// with certificates in a temporary directory.
type Options struct {
	// Listen lists the nodes' addresses; when empty, Nodes nodes listen on
	// 127.0.0.1:0 (a free port each).
	Listen []string
	// Nodes is the node count when Listen is empty (default 2).
	Nodes int
	// CertDir holds the certificates (see the package documentation); empty
	// means a temporary directory that Close removes.
	CertDir string
	// KeyType is the curve of the certificates generated in CertDir.
	KeyType KeyType
	// ChainID is the chain id getClientVersion reports (default 1); go-sdk's
	// client.Dial fails when it differs from its configuration.
	ChainID int64
	// GroupID is the group the nodes serve (default 1).
	GroupID int
	// NodeVersion is the "FISCO-BCOS Version" reported (default "2.9.0").
	NodeVersion string
	// SupportedVersion is the "Supported Version" reported and the
	// handshake's nodeVersion (default "2.9.0"); go-sdk wants x.y.z.
	SupportedVersion string
	// SM makes the nodes report an SM (guomi) chain: " gm" is appended to
	// the FISCO-BCOS Version, and go-sdk then requires IsSMCrypto. TLS stays
	// ECDSA, as with sm_crypto_channel=false.
	SM bool
	// PushTimeout bounds the wait for a subscriber's reply to a unicast push
	// before the next subscriber is tried (default 5 s, as real nodes).
	PushTimeout time.Duration
	// IdleTimeout closes a session with no completed read or write for that
	// long (default 60 s, as real nodes; negative disables).
	IdleTimeout time.Duration
	// TopicDelay delays the visibility of a session's new topics to the
	// OTHER nodes, like the ≤ 5 s topic sync of real nodes; 0 is immediate.
	TopicDelay time.Duration
	// WriteTimeout bounds one TLS write, a session's own reader's wait for
	// room in its send queue, and how long a session may go on refusing
	// pushes (its queue full since it was last empty); a session that
	// exceeds any of them is closed as a slow consumer (default 30 s).
	WriteTimeout time.Duration
	// VerifyInterval is how often a private topic's subscriber that is
	// still VERIFYING is offered to a publisher again (default 5 s, the
	// heartbeat of real nodes). New subscribers and publishers are matched
	// at once.
	VerifyInterval time.Duration
	// MaxFrame is the largest frame accepted (default wire.DefaultMaxFrame,
	// 100 MiB as nodes from 2.8.0); a larger one closes the session.
	MaxFrame int

	// The limits below keep one client from freezing, bloating or silencing
	// the network (README "Reliability" lists them). Real nodes have none
	// of them beyond the 100 MiB frame: their topic sets, send queues and
	// pending requests are unbounded.

	// MaxReading caps the bytes of frames being read, all sessions
	// together (default 256 MiB). A frame's buffer grows as its bytes
	// arrive, never to the length its header declares; a session whose
	// frame would take the total over the cap is closed.
	MaxReading int
	// MaxQueued caps the bytes waiting in send queues, all sessions
	// together (default 256 MiB); a frame shared by a multicast's
	// subscribers counts once. Over it, pushes are dropped.
	MaxQueued int
	// SessionQueue and SessionQueueBytes bound one session's send queue
	// (default 4096 frames, 16 MiB; an empty queue takes any one frame).
	// Pushes to a session over them are dropped and counted
	// (Stats.DroppedSlow), and a session that cannot take its pushes for
	// WriteTimeout is closed. Answers owed to it may use twice as much;
	// past that it is closed.
	SessionQueue, SessionQueueBytes int
	// MaxTopics and MaxTopicBytes bound one session's topic list: its
	// count and the size of the 0x32 body (default 4096 topics, 2 MiB).
	// MaxPrivateTopics bounds the private-topic names among them (those
	// starting "#!$"; default 128). A topic list over a limit is refused
	// and logged; the session keeps its previous topics.
	MaxTopics, MaxTopicBytes, MaxPrivateTopics int
	// MaxPendingUnicast and MaxPendingUnicastBytes bound one session's
	// unicast requests awaiting a subscriber's answer (default 1024
	// requests, 16 MiB; one request of any size is always taken); a
	// request over them is answered CodeRefused at once.
	MaxPendingUnicast, MaxPendingUnicastBytes int
	// Logger receives the network's logs; nil discards them.
	Logger *slog.Logger

	// Like selects the nodes' behaviour: "" or "ideal" (LikeIdeal, the
	// default) for this package's kinder nodes, "2.9" or "2.9.1" (Like291)
	// for nodes that behave as FISCO BCOS v2.9.1 nodes do, row by row of
	// real-nodes.md (faithful.go). Faithful nodes report FISCO-BCOS Version
	// 2.9.1 whatever NodeVersion says, and ignore TopicDelay and
	// VerifyInterval (SyncInterval does both jobs, as on a real node).
	Like string
	// SyncInterval is the faithful nodes' P2P heartbeat (default 5 s, as
	// real nodes): how often a node sends its topic seq to each peer, so how
	// late other nodes learn of a subscription, and how often a private
	// topic still being verified is offered to a publisher again.
	SyncInterval time.Duration
	// NodeTimeout is how long a faithful node waits for one node to answer
	// a unicast before it tries the next (default 30 s, as real nodes).
	NodeTimeout time.Duration
	// Workers is the size of each faithful node's two thread pools, for
	// SDK requests and for answers to its pushes (default 8, a real node's
	// channel_thread_count); 1 keeps each session's frames in order.
	Workers int
	// BlockInterval is how often the faithful chain makes a block and sends
	// block notifications (default 3 s; negative: never).
	BlockInterval time.Duration
}

const (
	handshakeTimeout     = 10 * time.Second
	handshakeLogInterval = 10 * time.Second
)

func (o *Options) normalize() error {
	if err := o.normalizeLike(); err != nil {
		return err
	}
	if len(o.Listen) == 0 {
		if o.Nodes == 0 {
			o.Nodes = 2
		}
		if o.Nodes < 0 || o.Nodes > 64 {
			return fmt.Errorf("local: %d nodes: want 1 to 64", o.Nodes)
		}
		o.Listen = make([]string, o.Nodes)
		for i := range o.Listen {
			o.Listen[i] = "127.0.0.1:0"
		}
	}
	o.Listen = append([]string(nil), o.Listen...)
	o.Nodes = len(o.Listen)
	if o.ChainID == 0 {
		o.ChainID = 1
	}
	if o.GroupID == 0 {
		o.GroupID = 1
	}
	if o.NodeVersion == "" {
		o.NodeVersion = "2.9.0"
	}
	if o.SupportedVersion == "" {
		o.SupportedVersion = "2.9.0"
	}
	if o.PushTimeout <= 0 {
		o.PushTimeout = 5 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 60 * time.Second
	}
	if o.TopicDelay < 0 {
		o.TopicDelay = 0
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.VerifyInterval <= 0 {
		o.VerifyInterval = verifyIntervalDefault
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = wire.DefaultMaxFrame
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxReading, 256<<20)
	def(&o.MaxQueued, 256<<20)
	def(&o.SessionQueue, 4096)
	def(&o.SessionQueueBytes, 16<<20)
	def(&o.MaxTopics, 4096)
	def(&o.MaxTopicBytes, 2<<20)
	def(&o.MaxPrivateTopics, 128)
	def(&o.MaxPendingUnicast, 1024)
	def(&o.MaxPendingUnicastBytes, 16<<20)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
