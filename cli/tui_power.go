package cli

import (
	"os"
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/config"
	"github.com/amoptui/amoptui/history"
	"github.com/amoptui/amoptui/responder"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/tmpl"
	"github.com/amoptui/amoptui/ui"
)

// replyConfig turns [reply.topics], [[reply.match]] and [[reply.exec]]
// into the UI's responders. A command that cannot be found is a
// configuration error, told before the TUI starts.
func replyConfig(cfg config.Config) (ui.ReplyConfig, error) {
	rc := ui.ReplyConfig{
		Topics: map[string]amop.ReplyPolicy{},
		Rules:  map[string][]responder.Rule{},
		Exec:   map[string]*responder.Exec{},
	}
	for t, p := range cfg.Reply.Topics {
		rc.Topics[t] = amop.ParseReplyPolicy(p)
	}
	base := ""
	if cfg.File != "" {
		base = filepath.Dir(cfg.File)
	}
	for i, m := range cfg.Reply.Match {
		r, err := responder.ParseRule(m.Regex, m.Reply, tmpl.Options{BaseDir: base})
		if err != nil {
			return rc, usagef("reply.match[%d]: %v", i, err)
		}
		rc.Rules[m.Topic] = append(rc.Rules[m.Topic], r)
	}
	for i, e := range cfg.Reply.Exec {
		x, _, err := responder.NewExec(responder.ExecOptions{Command: e.Command, Shell: e.Shell, Timeout: e.Timeout, MaxOutput: e.MaxOutput, Dir: base})
		if err != nil {
			return rc, usagef("reply.exec[%d]: %v", i, err)
		}
		rc.Exec[e.Topic] = x
	}
	return rc, nil
}

// power sets up what the TUI needs beyond the network: the lasting input
// history (loaded now, before the program owns the terminal), where y
// copies to, and mouse mode. It returns the program options.
func (plan *tuiPlan) power(std stdio) []tea.ProgramOption {
	if plan.history != "" {
		store := history.Open(plan.history, history.Options{PerTopic: plan.ui.History})
		loaded, err := store.Load()
		if err != nil {
			plan.ui.Banner = append(plan.ui.Banner, "input history: "+sanitize.String(strings.TrimPrefix(err.Error(), "history: "))+" (it will be replaced)")
		}
		plan.ui.HistoryStore, plan.ui.HistoryLoaded = store, loaded
	}
	clip := ui.Clipboard{System: true}
	if f, ok := std.out.(*os.File); ok {
		// The same *os.File Bubble Tea renders to: Go serialises writes
		// to one file, so the OSC 52 sequence never lands inside a frame.
		clip.Terminal = f
	}
	if dir, err := history.DefaultPath(); err == nil {
		clip.File = filepath.Join(filepath.Dir(dir), "clipboard")
	}
	plan.ui.Clipboard = clip
	if plan.mouse {
		return []tea.ProgramOption{tea.WithMouseCellMotion()}
	}
	return nil
}
