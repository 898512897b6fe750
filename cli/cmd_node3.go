package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local3"
	"github.com/amoptui/amoptui/sanitize"
)

// nodeLine reads --fisco from the node command's arguments before its flags
// are parsed: the 2.x and 3.x networks take different flags. Default 2.
func nodeLine(args []string) (amop.Line, error) {
	for i, a := range args {
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "fisco" {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return amop.LineAuto, usagef("--fisco needs a value: 2 or 3")
			}
			val = args[i+1]
		}
		l, err := amop.ParseLine(val)
		if err != nil || l == amop.LineAuto {
			return amop.LineAuto, usagef("--fisco %q: a local network is 2 or 3", val)
		}
		return l, nil
	}
	return amop.Line2, nil
}

// node3Main is `amoptui node --fisco 3`: a local 3.x network in the
// foreground, showing its live routing view on a terminal and printing
// lines otherwise (or with --log), as `amoptui node` does for 2.x.
func node3Main(ctx context.Context, args []string, std stdio) error {
	defaultDir, derr := local3.DefaultCertDir()
	certsHelp := "certificate directory, created on first use (default " + defaultDir + ")"
	if derr != nil {
		certsHelp = "certificate directory, created on first use (required: " + derr.Error() + ")"
	}
	fs := newFlagSet("node", std)
	var (
		_            = fs.String("fisco", "3", "FISCO BCOS line of the network: 2 or 3")
		listen       = fs.String("listen", defaultNodeListen, "comma-separated HOST:PORT of each node's RPC port")
		certs        = fs.String("certs", "", certsHelp)
		chain        = fs.String("chain", "chain0", "chain id the nodes report (3.x ids are names)")
		group        = fs.String("group", "group0", "group id the nodes report")
		nodeVersion  = fs.String("node-version", "3.16.4", "FISCO BCOS version the nodes report")
		like         = fs.String("like", local3.LikeIdeal, "node behaviour: ideal, or 3.16 to behave as FISCO BCOS 3.16.4 nodes do (2 s topic sync, unsubscribe kept until the session ends, own node a fallback only, ...)")
		replyTimeout = fs.Duration("reply-timeout", 30*time.Second, "how long a node waits for a subscriber's answer")
		topicSync    = fs.Duration("topic-sync", 0, "period at which nodes tell each other their topics (default: 2 s with --like 3.16, at once otherwise)")
		idle         = fs.Duration("idle-timeout", 10*time.Second, "ping sessions silent for half of this, close them after all of it (negative: never)")
		noTLS        = fs.Bool("no-tls", false, "plain ws:// (rpc.enable_ssl=false)")
		sm           = fs.Bool("sm", false, "act as an SM chain (build_chain -s): SM2 certificates over TLS, which clients without SM TLS refuse")
		verbose      = fs.Bool("verbose", false, "log every session to stderr (warnings are always logged)")
		logLines     = fs.Bool("log", false, nodeLogHelp)
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
	likeName, err := local3.ParseLike(*like)
	if err != nil {
		return usagef("--like %s: %s", *like, likeProblem(err))
	}
	if *replyTimeout <= 0 {
		return usagef("--reply-timeout %v: want a positive duration", *replyTimeout)
	}
	if *idle == 0 {
		return usagef("--idle-timeout 0: use a negative value to disable it")
	}
	if *chain == "" || *group == "" {
		return usagef("--chain and --group must not be empty")
	}
	dir := *certs
	if dir != "" {
		if err := certsDirUsable(dir); err != nil {
			return err
		}
	}
	if dir == "" {
		if derr != nil {
			return fmt.Errorf("%w; pass --certs DIR", derr)
		}
		dir = defaultDir
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
	n, err := local3.Start(local3.Options{
		Listen: addrs, CertDir: dir, ChainID: *chain, GroupID: *group, NodeVersion: *nodeVersion,
		Like: likeName, ReplyTimeout: *replyTimeout, TopicSync: *topicSync, IdleTimeout: *idle,
		DisableTLS: *noTLS, SM: *sm,
		Logger: slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return nodeStartError(err)
	}
	if term != nil {
		err := runNodeView(std, term, n, networkTitle3(n), nodeViewFooter(n.CertDir(), join3Command(n, dir != defaultDir), selfCommand()+" node --fisco 3"))
		fmt.Fprintln(std.out, "stopping")
		if cerr := n.Close(); err == nil {
			err = cerr
		}
		return err
	}
	printNode3Banner(std.out, n, dir != defaultDir)
	stopLog := logDecisions(std.out, n)
	<-ctx.Done()
	stopLog()
	fmt.Fprintln(std.out, "stopping")
	return n.Close()
}

func printNode3Banner(w io.Writer, n *local3.Network, customDir bool) {
	o := n.Options()
	// Chain, group, version and --certs are free text from the command
	// line: shown, never obeyed by the terminal.
	fmt.Fprintf(w, "amoptui local FISCO BCOS 3.x network: %s, %s, FISCO BCOS %s\n", sanitize.String(o.ChainID), sanitize.String(o.GroupID), sanitize.String(o.NodeVersion))
	if o.Like == local3.Like3164 {
		fmt.Fprintln(w, "nodes behave like FISCO BCOS 3.16.4 nodes: topics reach other nodes within 2 s, an unsubscribe holds until the session ends, the sender's own node is a fallback only")
	} else {
		fmt.Fprintln(w, "ideal nodes (kinder than real ones; --like 3.16 behaves as FISCO BCOS 3.16.4 nodes do)")
	}
	addrs := n.Addrs()
	for i, a := range addrs {
		fmt.Fprintf(w, "  node %d  %s (RPC port: AMOP over WebSocket)\n", i, a)
	}
	if o.DisableTLS {
		fmt.Fprintln(w, "TLS off: plain ws://")
	} else {
		fmt.Fprintf(w, "certificates: %s (ca.crt, sdk.crt, sdk.key: RSA-2048, as 3.x build_chain.sh makes them)\n", sanitize.String(n.CertDir()))
	}
	fmt.Fprintln(w, "\na second terminal joins with:")
	fmt.Fprintf(w, "  %s\n", sanitize.String(join3Command(n, customDir)))
	fmt.Fprintln(w, "Ctrl+C stops the network.")
}

// join3Command is what a second terminal runs to join n: the TUI on the
// last node, told the line (3.x clients need --fisco 3, or auto, which
// asks the node), the certificates when they are not the default ones,
// and --no-tls when the nodes serve ws://.
func join3Command(n *local3.Network, customDir bool) string {
	addrs := n.Addrs()
	cmd := fmt.Sprintf("%s --fisco 3 --node %s", selfCommand(), reachable(addrs[len(addrs)-1]))
	if customDir {
		cmd += " --certs " + n.CertDir()
	}
	if n.Options().DisableTLS {
		cmd += " --no-tls"
	}
	return cmd
}
