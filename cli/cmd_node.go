package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/sanitize"
)

func init() {
	register(&command{
		name:    "node",
		usage:   "[--fisco 2|3] [--listen HOST:PORT[,HOST:PORT...]] [--certs DIR] [--chain-id N] [--group N] [--like 2.9|3.16]",
		summary: "run a local AMOP network in the foreground (default two nodes on 127.0.0.1:20200 and :20201)",
		run:     runNode,
		// SIGINT and SIGTERM are how a node is stopped: exit 0.
		signalIsStop: true,
	})
}

// defaultNodeListen is the product's classic demo layout: two nodes on the
// channel ports build_chain.sh gives the first two nodes of a host.
const defaultNodeListen = "127.0.0.1:20200,127.0.0.1:20201"

func runNode(ctx context.Context, args []string, std stdio) int {
	return exitCode(std, "node", nodeMain(ctx, args, std))
}

// nodeMain parses the flags, starts the network, prints how to reach it and
// runs until ctx is cancelled (SIGINT/SIGTERM).
func nodeMain(ctx context.Context, args []string, std stdio) error {
	line, err := nodeLine(args)
	if err != nil {
		return err
	}
	if line == amop.Line3 {
		return node3Main(ctx, args, std)
	}
	defaultDir, derr := local.DefaultCertDir()
	certsHelp := "certificate directory, created on first use (default " + defaultDir + ")"
	if derr != nil {
		certsHelp = "certificate directory, created on first use (required: " + derr.Error() + ")"
	}
	fs := newFlagSet("node", std)
	var (
		_           = fs.String("fisco", "2", "FISCO BCOS line of the network: 2, or 3 (a 3.x network: see amoptui node --fisco 3 -h)")
		listen      = fs.String("listen", defaultNodeListen, "comma-separated HOST:PORT of each node")
		certs       = fs.String("certs", "", certsHelp)
		chainID     = fs.Int64("chain-id", 1, "chain id the nodes report (go-sdk's client.Dial checks it)")
		group       = fs.Int("group", 1, "group id")
		sm          = fs.Bool("sm", false, "report an SM (guomi) chain: \" gm\" in the FISCO-BCOS Version")
		nodeVersion = fs.String("node-version", "2.9.0", "FISCO-BCOS Version the nodes report")
		supported   = fs.String("supported-version", "2.9.0", "Supported Version the nodes report (x.y.z)")
		keyType     = fs.String("key-type", "p256", "curve of newly generated certificates: p256 or secp256k1")
		pushTimeout = fs.Duration("push-timeout", 5*time.Second, "wait for a subscriber's unicast reply before trying the next")
		idle        = fs.Duration("idle-timeout", 60*time.Second, "close sessions silent for this long (negative: never)")
		topicDelay  = fs.Duration("topic-delay", 0, "delay before other nodes see a new subscription, like real nodes' ≤5s sync")
		verifyEvery = fs.Duration("verify-interval", 5*time.Second, "private topics: how often a subscriber still being verified is offered to a publisher again")
		verbose     = fs.Bool("verbose", false, "log every session to stderr (warnings are always logged)")
		logLines    = fs.Bool("log", false, nodeLogHelp)
		cpuProfile  = fs.String("cpuprofile", "", "write a CPU profile of the nodes to `FILE` when they stop (go tool pprof)")
		like        = fs.String("like", local.LikeIdeal, "node behaviour: ideal, or 2.9 to behave as FISCO BCOS 2.9.1 nodes do (5 s topic sync, own-node AMOP dropped, ...)")
		nodeTimeout = fs.Duration("node-timeout", 30*time.Second, "with --like 2.9: how long a node waits for another node's answer to a unicast")
		workers     = fs.Int("workers", 8, "with --like 2.9: threads in each node's two pools, as a real node's channel_thread_count; with 8 two topic lists sent moments apart may be applied in either order, 1 keeps each session's requests in order")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	addrs, err := parseNodeListen(*listen)
	if err != nil {
		return err
	}
	if *chainID < 1 {
		return usagef("--chain-id %d: want a positive chain id", *chainID)
	}
	if *group < 1 {
		return usagef("--group %d: want a positive group id", *group)
	}
	kt, err := local.ParseKeyType(*keyType)
	if err != nil {
		return usagef("--key-type: %v", err)
	}
	if *pushTimeout <= 0 {
		return usagef("--push-timeout %v: want a positive duration", *pushTimeout)
	}
	if *idle == 0 {
		return usagef("--idle-timeout 0: use a negative value to disable it")
	}
	likeName, err := local.ParseLike(*like)
	if err != nil {
		return usagef("--like %s: %s", *like, likeProblem(err))
	}
	if *nodeTimeout <= 0 {
		return usagef("--node-timeout %v: want a positive duration", *nodeTimeout)
	}
	if *workers < 1 {
		return usagef("--workers %d: want at least 1", *workers)
	}
	if err := likeFlagsAgree(fs, likeName); err != nil {
		return err
	}
	dir := *certs
	if dir == "" {
		if derr != nil {
			return fmt.Errorf("%w; pass --certs DIR", derr)
		}
		dir = defaultDir
	} else if err := certsDirUsable(dir); err != nil {
		return err
	}

	if *cpuProfile != "" {
		// The node's side of a benchmark: where its time goes when it runs
		// in its own process, as a real node does (issue 14).
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return usagef("--cpuprofile: %v", err)
		}
		defer stop()
	}
	// On a terminal the node shows its live routing view; its log would
	// scribble over it, so it goes nowhere then (--log keeps the lines).
	var term *terminal
	if !*logLines {
		term, _ = openTerminal(std)
	}
	logOut := std.err
	if term != nil {
		logOut = io.Discard
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	n, err := local.Start(local.Options{
		Listen:           addrs,
		CertDir:          dir,
		KeyType:          kt,
		ChainID:          *chainID,
		GroupID:          *group,
		NodeVersion:      *nodeVersion,
		SupportedVersion: *supported,
		SM:               *sm,
		PushTimeout:      *pushTimeout,
		IdleTimeout:      *idle,
		TopicDelay:       *topicDelay,
		VerifyInterval:   *verifyEvery,
		Like:             likeName,
		NodeTimeout:      *nodeTimeout,
		Workers:          *workers,
		Logger:           slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return nodeStartError(err)
	}
	if term != nil {
		a := n.Addrs()
		join := fmt.Sprintf("%s --node %s", selfCommand(), reachable(a[len(a)-1]))
		if dir != defaultDir {
			join += " --certs " + n.CertDir()
		}
		err := runNodeView(std, term, n, networkTitle(n), nodeViewFooter(n.CertDir(), join, selfCommand()+" node"))
		fmt.Fprintln(std.out, "stopping")
		if cerr := n.Close(); err == nil {
			err = cerr
		}
		return err
	}
	printNodeBanner(std.out, n, dir != defaultDir)
	stopLog := logDecisions(std.out, n)
	<-ctx.Done()
	stopLog()
	fmt.Fprintln(std.out, "stopping")
	return n.Close()
}

// likeFlagsAgree refuses flags that the chosen nodes would ignore: the
// faithful nodes report their own version and sync topics and re-check
// private topics on their 5 s heartbeat; --node-timeout and --workers are
// theirs alone.
func likeFlagsAgree(fs *flag.FlagSet, like string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		switch {
		case like == local.Like291 && (f.Name == "topic-delay" || f.Name == "verify-interval" || f.Name == "node-version"):
			err = usagef("--%s does not apply with --like 2.9: those nodes behave as 2.9.1 nodes do (version 2.9.1, topics and private-topic checks every 5 s)", f.Name)
		case like != local.Like291 && (f.Name == "node-timeout" || f.Name == "workers"):
			err = usagef("--%s applies only with --like 2.9", f.Name)
		}
	})
	return err
}

// parseNodeListen splits --listen and checks each HOST:PORT, and that none
// is listed twice (port 0, a free port each time, excepted): the second
// node could never listen there.
func parseNodeListen(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			return nil, usagef("--listen %q: want HOST:PORT", a)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return nil, usagef("--listen %q: bad port %q", a, port)
		}
		if host == "" {
			return nil, usagef("--listen %q: give the host (127.0.0.1 to stay on this machine)", a)
		}
		if p, _ := strconv.Atoi(port); p != 0 && seen[a] {
			return nil, usagef("--listen lists %s twice: each node needs an address of its own", a)
		}
		seen[a] = true
		out = append(out, a)
	}
	return out, nil
}

// certsDirUsable makes node's --certs DIR if it is missing (the nodes
// write their certificates there on first start): a path that cannot be a
// directory is the user's to fix, a usage error.
func certsDirUsable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return usagef("--certs: %v", err)
	}
	return nil
}

// nodeStartError turns a taken port into one line that names it.
func nodeStartError(err error) error {
	var op *net.OpError
	if errors.Is(err, syscall.EADDRINUSE) && errors.As(err, &op) && op.Addr != nil {
		return fmt.Errorf("%s: address already in use (is another node running?)", op.Addr)
	}
	return err
}

// reachable is an address a client on this machine can dial: a wildcard
// listen address is reached through the loopback.
func reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	// Go reports a 0.0.0.0 listener as [::] (dual stack): both take IPv4.
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func printNodeBanner(w io.Writer, n *local.Network, customDir bool) {
	o := n.Options()
	// --node-version and --certs are free text from the command line:
	// shown, never obeyed by the terminal.
	version := sanitize.String(o.NodeVersion)
	if o.SM {
		version += " gm"
	}
	fmt.Fprintf(w, "amoptui local AMOP network: chain %d, group %d, FISCO BCOS %s\n", o.ChainID, o.GroupID, version)
	if o.Like == local.Like291 {
		fmt.Fprintln(w, "nodes behave like FISCO BCOS 2.9.1 nodes: topics reach other nodes within 5 s, AMOP for the sender's own node is dropped")
	} else {
		fmt.Fprintln(w, "ideal nodes (kinder than real ones; --like 2.9 behaves as FISCO BCOS 2.9.1 nodes do)")
	}
	addrs := n.Addrs()
	for i, a := range addrs {
		fmt.Fprintf(w, "  node %d  %s\n", i, a)
	}
	dir := sanitize.String(n.CertDir())
	fmt.Fprintf(w, "certificates: %s (ca.crt, sdk.crt, sdk.key)\n\n", dir)
	pubAddr, subAddr := reachable(addrs[0]), reachable(addrs[len(addrs)-1])
	fmt.Fprintln(w, "go-sdk v1.1.1 AMOP examples (github.com/FISCO-BCOS/go-sdk/examples/amop), run in that directory:")
	fmt.Fprintf(w, "  cd %s\n", dir)
	subCmd, pubCmd := "sub "+subAddr+" hello", "unicast_pub "+pubAddr+" hello"
	width := max(len(subCmd), len(pubCmd)) + 2
	fmt.Fprintf(w, "  %-*s# subscriber on the last node\n", width, subCmd)
	fmt.Fprintf(w, "  %-*s# publisher on the first node (or broadcast_pub)\n", width, pubCmd)
	certsFlag := ""
	if customDir {
		certsFlag = " --certs " + dir
	}
	fmt.Fprintln(w, "a second terminal joins with:")
	fmt.Fprintf(w, "  %s --node %s%s\n", selfCommand(), subAddr, certsFlag)
	fmt.Fprintln(w, "Ctrl+C stops the network.")
}

// likeProblem is a ParseLike error in the command line's words: what is
// wanted, without the package's prefix and the value the flag names already.
func likeProblem(err error) string {
	if _, want, ok := strings.Cut(err.Error(), ": want "); ok {
		return "want " + want
	}
	return err.Error()
}
