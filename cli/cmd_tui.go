package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/dial"
	"github.com/amoptui/amoptui/config"
	"github.com/amoptui/amoptui/history"
	"github.com/amoptui/amoptui/transcript"
	"github.com/amoptui/amoptui/ui"
)

func init() {
	register(&command{
		name:    "tui",
		usage:   "[--config FILE] [--node HOST:PORT]... [--fisco auto|2|3] [--certs DIR] [--topic T]... [--publish T]... [--local] [--local-like 2.9|3.16]",
		summary: "the interactive messenger (default); with no node it joins or starts the local network",
		run:     runTUI,
		// The TUI hands the terminal back before it reacts to a signal.
		ownSignals: true,
	})
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// tuiFlags are the TUI's flags; they override the config file.
type tuiFlags struct {
	connFlags
	config     string
	nodes      listFlag
	topics     listFlag
	publish    listFlag
	local      bool
	localLike  string
	mode       string
	reply      string
	transcript string
	layout     string
	theme      string
	// cpuProfile is a developer's flag: where the time of a live session
	// (a flood, say) goes, UI and network together.
	cpuProfile string
	noMouse    bool
	noHistory  bool
	set        map[string]bool // flags given on the command line
}

// tuiFlagSet is the TUI's flag set, writing its errors and -h to w.
func tuiFlagSet(w io.Writer, f *tuiFlags) *flag.FlagSet {
	fs := newFlagSet("", stdio{err: w})
	f.connFlags.register(fs)
	fs.StringVar(&f.config, "config", "", "TOML configuration file (see config.example.toml)")
	fs.Var(&f.nodes, "node", "node channel endpoint HOST:PORT (repeatable; tried in order)")
	fs.Var(&f.topics, "topic", "topic to join at start: listen (and send) (repeatable; default hello unless --publish is given)")
	fs.Var(&f.publish, "publish", "topic to send to without joining it: a send-only pane (repeatable)")
	fs.BoolVar(&f.local, "local", false, "start an embedded local network even if one is already running")
	fs.StringVar(&f.localLike, "local-like", "", "nodes of an embedded network this run starts: ideal (default), 2.9 (as FISCO BCOS 2.9.1 nodes behave) or 3.16 (a 3.x network, as v3.16.4 nodes behave)")
	fs.StringVar(&f.mode, "mode", "", "initial send mode: unicast or multicast")
	fs.StringVar(&f.reply, "reply", "", `auto-reply to unicast requests: off, echo or a fixed text`)
	fs.StringVar(&f.transcript, "transcript", "", "append every event to this JSON-lines file")
	fs.StringVar(&f.layout, "layout", "", "tiled or single")
	fs.StringVar(&f.theme, "theme", "", "auto, dark, light or mono")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the session to `FILE` (go tool pprof)")
	fs.BoolVar(&f.noMouse, "no-mouse", false, "leave the mouse to the terminal (its own text selection): no clicks, no wheel")
	fs.BoolVar(&f.noHistory, "no-history", false, "do not keep the input history across runs")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: amoptui "+commands["tui"].usage)
		fs.PrintDefaults()
	}
	return fs
}

func runTUI(_ context.Context, args []string, std stdio) int {
	var f tuiFlags
	fs := tuiFlagSet(std.err, &f)
	if err := parseFlags(fs, args); err != nil {
		return exitCode(std, "", err)
	}
	if fs.NArg() > 0 {
		return exitCode(std, "", usagef("%s", unknownCommand(fs.Arg(0))))
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return exitCode(std, "", tui(std, &f))
}

// session is everything a TUI run owns: the network part (the client and
// the embedded nodes), closed in the background within closeGrace, and
// local files (profile, debug log, transcript), closed after it in reverse
// order.
type session struct {
	client   dial.Client
	embedded *embedded
	closers  []func()
}

func (s *session) close() {
	closeWithin(closeGrace, func() {
		if s.client != nil {
			_ = s.client.Close()
		}
		if s.embedded != nil {
			s.embedded.close()
		}
	})
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

func tui(std stdio, f *tuiFlags) error {
	plan, err := planTUI(f)
	if err != nil {
		return err
	}
	s := &session{}
	defer s.close()
	// The files the user named are opened before anything else, so that
	// a problem with one is told first, as a configuration error.
	logOut := io.Discard
	if plan.debugLog != "" {
		lf, err := openDebugLog(plan.debugLog)
		if err != nil {
			return &usageError{msg: plan.cfg.Problem("debug_log", "%v", err).Error()}
		}
		s.closers = append(s.closers, func() { _ = lf.Close() })
		logOut = lf
	}
	if plan.transcript != "" {
		tw, err := transcript.Open(plan.transcript)
		if err != nil {
			return &usageError{msg: plan.cfg.Problem("transcript", "%v", err).Error()}
		}
		s.closers = append(s.closers, func() { _ = tw.Close() })
		plan.ui.Transcript = tw
	}
	term, err := openTerminal(std)
	if err != nil {
		return err
	}
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return usagef("--cpuprofile: %v", err)
		}
		s.closers = append(s.closers, stop)
	}

	// Nothing may write to the terminal while the program owns it: the
	// standard logger, slog's default and go-sdk's logrus go to the debug
	// log or nowhere.
	log.SetOutput(logOut)
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	slog.SetDefault(logger)
	plan.adapter.SDKLog, plan.adapter.Logger = logOut, logger

	if len(plan.adapter.Endpoints) == 0 {
		e, err := chooseEmbedded(f.local, plan.localLike, plan.dial.Line, plan.embeddedLine)
		if err != nil {
			return err
		}
		s.embedded = e
		// Local networks always speak TLS.
		plan.dial.Line, plan.dial.PlainWS = e.line, false
		plan.adapter.Endpoints = e.endpoints
		dir := e.certDir
		plan.adapter.CAFile, plan.adapter.CertFile, plan.adapter.KeyFile =
			filepath.Join(dir, "ca.crt"), filepath.Join(dir, "sdk.crt"), filepath.Join(dir, "sdk.key")
		plan.ui.Banner = append(plan.ui.Banner, e.banner...)
		// Only a network this process started can be watched (never a nil
		// pointer in the interface: /network tells "none" by a nil Source).
		switch {
		case e.network != nil:
			plan.ui.Network, plan.ui.NetworkTitle = e.network, networkTitle(e.network)
		case e.network3 != nil:
			plan.ui.Network, plan.ui.NetworkTitle = e.network3, networkTitle3(e.network3)
		}
	}
	if s.embedded == nil && plan.dial.Line == amop.Line2 {
		// Forced 2.x against a 3.x node only ever times out: say why.
		cfg := plan.adapter
		plan.ui.Diagnose = func() string { return strings.TrimPrefix(wrongLineHint(cfg, amop.Line2), "; ") }
	}
	client, choice, err := dial.Open(plan.adapter, plan.dial)
	if err != nil {
		return err
	}
	logger.Info("FISCO BCOS line", "line", choice.Line.String(), "why", choice.Why)
	s.client = client
	popts := plan.power(std)

	model := ui.New(client, plan.ui)
	p := tea.NewProgram(model, append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithoutSignalHandler(),
		tea.WithInput(std.in), tea.WithOutput(std.out)}, popts...)...)
	final, sig, err := runOwned(p, term)
	// Cancels sends still in flight and flushes the transcript queue.
	if m, ok := final.(ui.Model); ok {
		if cerr := m.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if sig != nil {
		// Ended by a signal: the shell's status for it; a failure on the
		// way out is still told.
		std.sig.set(sig)
		if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			std.note("", err.Error())
		}
		return &silentError{code: signalStatus(sig)}
	}
	return err
}

// tuiPlan is the resolved configuration of a TUI run.
type tuiPlan struct {
	adapter    amop.Config
	ui         ui.Options
	debugLog   string
	transcript string
	localLike  string // the embedded network's nodes (config [local] like)
	// dial is the line (fisco) and the WebSocket scheme (tls.enabled);
	// embeddedLine the line of an embedded network this run starts.
	dial         dial.Options
	embeddedLine amop.Line
	mouse        bool   // clicks and the wheel ([ui] mouse, --no-mouse)
	history      string // the lasting input history's file, "" = off
	// cfg is the merged configuration, to locate a problem found when a
	// file is used (config.Config.Problem).
	cfg config.Config
}

// planTUI merges defaults, the config file and the flags (in that order of
// precedence, flags last) and validates the result; every problem is a
// usage/config error naming the file and line or the flag.
func planTUI(f *tuiFlags) (tuiPlan, error) {
	cfg := config.Default()
	if f.config != "" {
		c, err := config.Load(f.config)
		if err != nil {
			return tuiPlan{}, &usageError{msg: err.Error()}
		}
		cfg = c
	}
	if f.set["node"] {
		cfg.Nodes = f.nodes
		cfg.MarkFlag("nodes", "--node")
	}
	if f.set["topic"] {
		cfg.Topics.Join = f.topics
		cfg.MarkFlag("topics.join", "--topic")
	}
	if f.set["publish"] {
		cfg.Topics.Publish = f.publish
		cfg.MarkFlag("topics.publish", "--publish")
	}
	if f.set["certs"] {
		cfg.SetCertsDir(f.certs, "--certs")
	}
	if f.set["chain-id"] {
		cfg.ChainID = f.chainID
		cfg.MarkFlag("chain_id", "--chain-id")
	}
	if f.set["group"] {
		cfg.GroupID = f.group
		cfg.MarkFlag("group_id", "--group")
	}
	if f.set["sm"] {
		cfg.SMCrypto = f.sm
		cfg.MarkFlag("sm_crypto", "--sm")
	}
	if f.set["no-verify-node"] {
		cfg.TLS.VerifyNode = !f.noVerify
		cfg.MarkFlag("tls.verify_node", "--no-verify-node")
	}
	if f.set["reply"] {
		cfg.Reply.Default = f.reply
		cfg.MarkFlag("reply.default", "--reply")
	}
	if f.set["transcript"] {
		cfg.Transcript = f.transcript
		cfg.MarkFlag("transcript", "--transcript")
	}
	if f.set["debug-log"] {
		cfg.DebugLog = f.debugLog
		cfg.MarkFlag("debug_log", "--debug-log")
	}
	if f.set["layout"] {
		cfg.UI.Layout = f.layout
		cfg.MarkFlag("ui.layout", "--layout")
	}
	if f.set["theme"] {
		cfg.UI.Theme = f.theme
		cfg.MarkFlag("ui.theme", "--theme")
	}
	if f.set["fisco"] {
		cfg.Fisco = f.fisco
		cfg.MarkFlag("fisco", "--fisco")
	}
	if f.set["no-tls"] {
		cfg.TLS.Enabled = !f.noTLS
		cfg.MarkFlag("tls.enabled", "--no-tls")
	}
	if f.set["local-like"] {
		cfg.Local.Like = f.localLike
		cfg.MarkFlag("local.like", "--local-like")
	}
	if f.noMouse {
		cfg.UI.Mouse = false
	}
	if f.noHistory {
		cfg.UI.PersistHistory = false
	}
	if f.set["max-incoming"] {
		cfg.MaxIncoming = int64(f.maxIncoming)
		cfg.MarkFlag("max_incoming", "--max-incoming")
	}
	if err := cfg.Check(); err != nil {
		return tuiPlan{}, &usageError{msg: err.Error()}
	}
	mode := amop.Unicast
	if f.mode != "" {
		m, err := amop.ParseMode(f.mode)
		if err != nil {
			return tuiPlan{}, usagef("--mode: %v", err)
		}
		mode = m
	}

	a := amop.Config{
		Endpoints: cfg.Nodes, ChainID: cfg.ChainID, GroupID: cfg.GroupID, SM: cfg.SMCrypto,
		SkipNodeVerify: !cfg.TLS.VerifyNode, VerifyHint: "pass --no-verify-node or set verify_node = false",
		SendTimeout: cfg.SendTimeout, MaxIncoming: int(cfg.MaxIncoming),
		AutoReply: amop.ParseReplyPolicy(cfg.Reply.Default),
		CAPEM:     []byte(cfg.TLS.CAPEM), CertPEM: []byte(cfg.TLS.CertPEM), KeyPEM: []byte(cfg.TLS.KeyPEM),
	}
	if len(cfg.Nodes) > 0 {
		if cfg.HasTLS() {
			a.CAFile, a.CertFile, a.KeyFile = cfg.TLSFiles()
		} else {
			f.connFlags.fisco = cfg.Fisco
			dir, found, err := f.connFlags.certDirFor(cfg.Nodes)
			if err != nil {
				return tuiPlan{}, err
			}
			a.CAFile, a.CertFile, a.KeyFile = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "sdk.crt"), filepath.Join(dir, "sdk.key")
			if found != amop.LineAuto && cfg.Line() == amop.LineAuto {
				// Found while choosing the certificates: no second probe.
				cfg.Fisco = found.String()
			}
		}
	}
	layout, _ := ui.ParseLayout(cfg.UI.Layout)
	theme, _ := ui.ParseTheme(cfg.UI.Theme)
	if os.Getenv("NO_COLOR") != "" {
		theme = ui.ThemeMono
	}
	policy := a.AutoReply
	plan := tuiPlan{
		adapter:      a,
		debugLog:     cfg.DebugLog,
		transcript:   cfg.Transcript,
		localLike:    cfg.Local.Like,
		dial:         dial.Options{Line: cfg.Line(), PlainWS: !cfg.TLS.Enabled},
		embeddedLine: cfg.EmbeddedLine(),
		mouse:        cfg.UI.Mouse,
		cfg:          cfg,
		ui: ui.Options{
			Topics: cfg.JoinTopics(), Publish: cfg.Topics.Publish, Mode: mode, AutoReply: &policy,
			Scrollback: cfg.UI.Scrollback, PaneBytes: cfg.UI.ScrollbackBytes, TotalBytes: cfg.UI.ScrollbackTotal,
			History: cfg.UI.InputHistory, TimeFormat: cfg.UI.TimestampFormat,
			Layout: layout, Theme: theme, SendTimeout: cfg.SendTimeout,
		},
	}
	replies, err := replyConfig(cfg)
	if err != nil {
		return tuiPlan{}, err
	}
	plan.ui.Replies = replies
	if cfg.UI.PersistHistory && cfg.UI.InputHistory > 0 {
		// No state directory is not an error: the history just does not
		// last.
		plan.history, _ = history.DefaultPath()
	}
	priv, err := privateTopics(cfg)
	if err != nil {
		return tuiPlan{}, err
	}
	plan.ui.Private = priv
	return plan, nil
}

// privateTopics loads the key files of [private]: a file that does not
// load is a configuration error, told before the TUI starts.
func privateTopics(cfg config.Config) ([]ui.PrivateTopic, error) {
	var out []ui.PrivateTopic
	for _, t := range cfg.PrivateTopics() {
		pt := ui.PrivateTopic{Topic: t}
		if f, ok := cfg.Private.Subscribe[t]; ok {
			k, err := amop.LoadPrivateKey(f)
			if err != nil {
				return nil, usagef("[private.subscribe] %q: %v", t, err)
			}
			pt.Key = k
		}
		if files, ok := cfg.Private.Publish[t]; ok {
			keys, err := amop.LoadPublicKeys(files)
			if err != nil {
				return nil, usagef("[private.publish] %q: %v", t, err)
			}
			pt.Allowed = keys
		}
		out = append(out, pt)
	}
	return out, nil
}
