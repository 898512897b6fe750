package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/ui"
)

func planFor(t *testing.T, args ...string) (tuiPlan, error) {
	t.Helper()
	fs := newFlagSet("", stdio{err: &ntBuffer{}})
	var f tuiFlags
	f.connFlags.register(fs)
	fs.StringVar(&f.config, "config", "", "")
	fs.Var(&f.nodes, "node", "")
	fs.Var(&f.topics, "topic", "")
	fs.Var(&f.publish, "publish", "")
	fs.StringVar(&f.mode, "mode", "", "")
	fs.StringVar(&f.reply, "reply", "", "")
	fs.StringVar(&f.layout, "layout", "", "")
	fs.StringVar(&f.theme, "theme", "", "")
	fs.StringVar(&f.transcript, "transcript", "", "")
	fs.StringVar(&f.localLike, "local-like", "", "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return planTUI(&f)
}

func TestPlanFromExampleConfigAndFlags(t *testing.T) {
	p, err := planFor(t, "--config", "../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.adapter.Endpoints) != 2 || p.adapter.Endpoints[0] != "127.0.0.1:20200" || p.adapter.ChainID != 1 {
		t.Fatalf("adapter config from the example: %+v", p.adapter)
	}
	if len(p.ui.Topics) != 1 || p.ui.Topics[0] != "hello" || p.ui.Scrollback != 10000 || p.ui.TimeFormat != "15:04:05.000" {
		t.Fatalf("ui options from the example: %+v", p.ui)
	}
	p, err = planFor(t, "--config", "../config.example.toml", "--node", "127.0.0.1:30300", "--topic", "a", "--topic", "b",
		"--mode", "multicast", "--reply", "pong", "--layout", "single", "--transcript", "t.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.adapter.Endpoints) != 1 || p.adapter.Endpoints[0] != "127.0.0.1:30300" || strings.Join(p.ui.Topics, ",") != "a,b" ||
		p.ui.Mode != amop.Multicast || p.adapter.AutoReply.Text != "pong" || p.ui.Layout != ui.LayoutSingle || p.transcript != "t.jsonl" {
		t.Fatalf("flags did not override the file: %+v %+v", p.adapter, p.ui)
	}
	// No config and no node: the embedded network decides the endpoints.
	p, err = planFor(t)
	if err != nil || len(p.adapter.Endpoints) != 0 || p.ui.Topics[0] != "hello" {
		t.Fatalf("defaults: %+v %v", p, err)
	}
}

// TestPlanPublish: --publish gives send-only panes and, alone, joins nothing
// (not even the default topic); with --topic both apply.
func TestPlanPublish(t *testing.T) {
	p, err := planFor(t, "--publish", "svc", "--publish", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.ui.Publish, ",") != "svc,orders" || len(p.ui.Topics) != 0 {
		t.Fatalf("publish %q topics %q", p.ui.Publish, p.ui.Topics)
	}
	p, err = planFor(t, "--publish", "svc", "--topic", "news")
	if err != nil || strings.Join(p.ui.Publish, ",") != "svc" || strings.Join(p.ui.Topics, ",") != "news" {
		t.Fatalf("publish %q topics %q %v", p.ui.Publish, p.ui.Topics, err)
	}
	if _, err := planFor(t, "--publish", "_block_notify_1"); err == nil || !strings.Contains(err.Error(), "--publish") {
		t.Fatalf("a reserved topic: %v", err)
	}
}

func TestBadConfigExitsTwoNamingTheLine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("chain_id = 1\n\n[ui]\nscrolback = 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "", "--config", bad)
	if code != exitUsage || !strings.Contains(errOut, "bad.toml:4") || !strings.Contains(errOut, "scrolback") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "", "--node", "nowhere")
	if code != exitUsage || !strings.Contains(errOut, "--node") {
		t.Fatalf("bad --node: exit %d, stderr %q", code, errOut)
	}
}

// TestPlanPrivateTopics: [private] key files, relative to the config file,
// are loaded before the TUI starts; one that does not load is a
// configuration error (exit 2) naming the topic and the file.
func TestPlanPrivateTopics(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCmd(t, "", "keygen", filepath.Join(dir, "k.key")); code != exitOK {
		t.Fatalf("keygen: %s", errOut)
	}
	cfg := filepath.Join(dir, "c.toml")
	doc := "[private.subscribe]\nvault = \"k.key\"\n[private.publish]\nvault = [\"k.pub\"]\nlist = [\"k.pub\", \"k.pub\"]\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := planFor(t, "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := p.ui.Private
	if len(got) != 2 || got[0].Topic != "list" || got[0].Key != nil || len(got[0].Allowed) != 2 ||
		got[1].Topic != "vault" || got[1].Key == nil || len(got[1].Allowed) != 1 || !got[1].Allowed[0].Equal(got[1].Key.Public()) {
		t.Fatalf("private topics %+v", got)
	}
	if got[1].Key.Source != filepath.Join(dir, "k.key") {
		t.Fatalf("key source %q", got[1].Key.Source)
	}

	if err := os.WriteFile(cfg, []byte("[private.subscribe]\nvault = \"missing.key\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "", "--config", cfg)
	if code != exitUsage || !strings.Contains(errOut, "c.toml:2:1: private.subscribe.vault: ") || !strings.Contains(errOut, "missing.key does not exist") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestPlanMaxIncoming: max_incoming comes from the file, --max-incoming
// overrides it, and the default is 16 MiB.
func TestPlanMaxIncoming(t *testing.T) {
	p, err := planFor(t)
	if err != nil || p.adapter.MaxIncoming != 16<<20 {
		t.Fatalf("default: %d, %v", p.adapter.MaxIncoming, err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(file, []byte("max_incoming = \"2MiB\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err = planFor(t, "--config", file); err != nil || p.adapter.MaxIncoming != 2<<20 {
		t.Fatalf("file: %d, %v", p.adapter.MaxIncoming, err)
	}
	if p, err = planFor(t, "--config", file, "--max-incoming", "64KiB"); err != nil || p.adapter.MaxIncoming != 64<<10 {
		t.Fatalf("flag: %d, %v", p.adapter.MaxIncoming, err)
	}
	fs := newFlagSet("", stdio{err: &ntBuffer{}})
	var c connFlags
	c.register(fs)
	if err := fs.Parse([]string{"--max-incoming", "1GiB"}); err == nil {
		t.Fatal("--max-incoming 1GiB accepted")
	}
}

// TestThemeMono: --theme mono (documented) is accepted, from the flag and
// from the config file, and means no colours.
func TestThemeMono(t *testing.T) {
	p, err := planFor(t, "--theme", "mono")
	if err != nil || p.ui.Theme != ui.ThemeMono {
		t.Fatalf("--theme mono: %v %v", p.ui.Theme, err)
	}
	cfg := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(cfg, []byte("[ui]\ntheme = \"mono\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := planFor(t, "--config", cfg); err != nil || p.ui.Theme != ui.ThemeMono {
		t.Fatalf("theme = \"mono\": %v %v", p.ui.Theme, err)
	}
	if _, err := planFor(t, "--theme", "blue"); err == nil || !strings.Contains(err.Error(), `"blue" is not "auto", "dark", "light" or "mono"`) {
		t.Fatalf("--theme blue: %v", err)
	}
}
