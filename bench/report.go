package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// The cases of one comparison. A round runs each NATS case right before the
// amoptui cases it is compared with, and each bare go-sdk case right after
// the whole-path case (A/B), so that whatever else loads the machine hits
// both alike. The like-for-like cases reach `amoptui node` running in a
// process of its own, as nats-server runs in its own: the publisher on one
// node, the subscribers on the other, as in the README's demo. The
// "in process" cases start the local network inside the measuring process
// (what issue 5 measured): they are kept as a secondary table, never
// compared with NATS in the goals.
const (
	caseNatsRR    = "NATS request/reply"
	caseAmopUni   = "amoptui unicast"
	caseNatsPub1  = "NATS publish+flush, 1 sub"
	caseAmopMc1   = "amoptui multicast, 1 sub"
	caseNatsPub10 = "NATS publish+flush, 10 subs"
	caseAmopMc10  = "amoptui multicast, 10 subs"
	caseTLSEcho   = "raw TLS 1.2 echo (floor)"
	caseBareUni   = "bare go-sdk unicast"
	caseBareMc1   = "bare go-sdk multicast, 1 sub"
	caseBareMc10  = "bare go-sdk multicast, 10 subs"
	// The floor of the guard's design: go-sdk through a relay that holds
	// the same two TLS sockets as the guard and does nothing between them
	// (guard.Relay). No guard can do less per message in a closed loop.
	caseRelayUni  = "go-sdk → null relay unicast (floor of the design)"
	caseRelayMc1  = "go-sdk → null relay multicast, 1 sub"
	caseRelayMc10 = "go-sdk → null relay multicast, 10 subs"
	caseNats1MiB  = "NATS request/reply, 1 MiB"
	caseAmop1MiB  = "amoptui unicast, 1 MiB"
	caseBare1MiB  = "bare go-sdk unicast, 1 MiB"

	inProcess      = " (nodes in process)"
	caseAmopUniIn  = caseAmopUni + inProcess
	caseBareUniIn  = caseBareUni + inProcess
	caseAmopMc1In  = caseAmopMc1 + inProcess
	caseAmopMc10In = caseAmopMc10 + inProcess
)

// legacyCase renames the cases of results files written before the node
// ran in its own process (issue 5's harness): their amoptui runs had the
// nodes in process, and must not be read as like-for-like.
func legacyCase(r record) string {
	if r.Node != "" || strings.HasPrefix(r.Case, "NATS") || strings.HasPrefix(r.Case, "raw TLS") {
		return r.Case
	}
	return r.Case + inProcess
}

// record is one run of one case, as written to the results file (JSON
// lines) and read back by `report`.
type record struct {
	Case    string `json:"case"`
	Round   int    `json:"round"`
	LoadAvg string `json:"loadavg"` // /proc/loadavg's 1, 5 and 15 min figures when the run started
	// OthersCores is how many cores other processes kept busy on average
	// during the run, StealCores the hypervisor's steal; -1 when unknown.
	OthersCores float64 `json:"others_cores"`
	StealCores  float64 `json:"steal_cores"`
	Result
}

// machine is what the report says about where it ran.
type machine struct {
	Cores         int
	CPU           string
	Kernel        string
	HarnessGo     string
	LoadAvgBefore string
	LoadAvgAfter  string
}

// figures gathers one case's runs.
type figures []record

func (f figures) med(get func(Result) float64) float64 {
	v := make([]float64, len(f))
	for i, r := range f {
		v[i] = get(r.Result)
	}
	return median(v)
}

func (f figures) sum(get func(Result) int64) int64 {
	var n int64
	for _, r := range f {
		n += get(r.Result)
	}
	return n
}

// median of v; the mean of the middle two for an even count; 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func byCase(recs []record) map[string]figures {
	m := map[string]figures{}
	for _, r := range recs {
		m[r.Case] = append(m[r.Case], r)
	}
	return m
}

func caseOrder(recs []record) []string {
	var names []string
	for _, r := range recs {
		if !slices.Contains(names, r.Case) {
			names = append(names, r.Case)
		}
	}
	return names
}

func p50(r Result) float64       { return r.P50us }
func p99(r Result) float64       { return r.P99us }
func msgsPerS(r Result) float64  { return r.MsgsPerS }
func cpuPerMsg(r Result) float64 { return r.CPUPerMsgUs }

// goal is one line of the goals table.
type goal struct {
	What     string
	Value    float64 // the ratio (or ms for the 1 MiB round trip)
	Rounds   []float64
	Unit     string // "×" or " ms"
	Target   string
	Met      string
	Ignored  bool // a side is missing from the results
	Extended string
}

// ratioGoal is num/den: the median of each round's own ratio, since the
// runs of a round are paired A/B and saw the same load (a ratio of the two
// medians could pair a quiet run with a loaded one); the ratio of the
// medians when the runs cannot be paired.
func ratioGoal(c map[string]figures, what, num, den string, get func(Result) float64, target string, ok func(float64) string) goal {
	a, b := c[num], c[den]
	g := goal{What: what, Unit: "×", Target: target}
	if len(a) == 0 || len(b) == 0 || b.med(get) == 0 {
		g.Ignored = true
		return g
	}
	for _, ra := range a {
		for _, rb := range b {
			if ra.Round == rb.Round && get(rb.Result) != 0 {
				g.Rounds = append(g.Rounds, get(ra.Result)/get(rb.Result))
			}
		}
	}
	if len(g.Rounds) > 0 {
		g.Value = median(g.Rounds)
	} else {
		g.Value = a.med(get) / b.med(get)
	}
	g.Met = ok(g.Value)
	return g
}

func atMost(limit float64) func(float64) string {
	return func(v float64) string { return yesNo(v <= limit) }
}

func atLeast(limit float64) func(float64) string {
	return func(v float64) string { return yesNo(v >= limit) }
}

func yesNo(b bool) string {
	if b {
		return "met"
	}
	return "missed"
}

// goals computes issue 14's goals, like for like: every amoptui case has
// its nodes in a process of their own, as nats-server is.
func goals(recs []record) []goal {
	c := byCase(recs)
	gs := []goal{
		ratioGoal(c, "unicast p50 / NATS request/reply p50", caseAmopUni, caseNatsRR, p50, "≤ 1.0", atMost(1.0)),
		ratioGoal(c, "unicast p99 / NATS request/reply p99", caseAmopUni, caseNatsRR, p99, "≤ 1.2", atMost(1.2)),
		ratioGoal(c, "multicast msgs/s / NATS publish+flush, 1 sub", caseAmopMc1, caseNatsPub1, msgsPerS, "≥ 1.0", atLeast(1.0)),
		ratioGoal(c, "multicast msgs/s / NATS publish+flush, 10 subs", caseAmopMc10, caseNatsPub10, msgsPerS, "≥ 0.8", atLeast(0.8)),
	}
	lossG := goal{What: "multicast loss / reordering seen by the adapter", Unit: "", Target: "0 / 0"}
	mc := append(slices.Clone(c[caseAmopMc1]), c[caseAmopMc10]...)
	if len(mc) == 0 {
		lossG.Ignored = true
	} else {
		lost, reord := mc.sum(func(r Result) int64 { return r.Lost }), mc.sum(func(r Result) int64 { return r.Reordered })
		lossG.Extended = fmt.Sprintf("%d / %d", lost, reord)
		lossG.Met = yesNo(lost == 0 && reord == 0)
	}
	gs = append(gs, lossG)
	mib := goal{What: "1 MiB unicast round trip, p50 (p99, max)", Unit: " ms", Target: "≤ 100 ms"}
	if f := c[caseAmop1MiB]; len(f) == 0 {
		mib.Ignored = true
	} else {
		mib.Value = f.med(p50) / 1e3
		mib.Extended = fmt.Sprintf("%.1f ms (%.1f, %.1f)", mib.Value, f.med(p99)/1e3, f.med(func(r Result) float64 { return r.MaxUs })/1e3)
		mib.Met = "p50 " + yesNo(mib.Value <= 100) + ", p99 " + yesNo(f.med(p99)/1e3 <= 100)
	}
	gs = append(gs, mib)
	gs = append(gs,
		ratioGoal(c, "guard overhead: whole path / bare go-sdk, unicast p50", caseAmopUni, caseBareUni, p50, "≤ 1.3", atMost(1.3)),
	)
	return gs
}

// floors are the ratios that say how far each goal is from what the
// guard's design allows at best: the null relay against bare go-sdk (what
// the two TLS sockets cost by themselves) and the whole path against the
// null relay (what the guard's and the adapter's own work cost).
func floors(recs []record) []goal {
	c := byCase(recs)
	none := func(float64) string { return "" }
	return []goal{
		ratioGoal(c, "floor of the design: null relay / bare go-sdk, unicast p50", caseRelayUni, caseBareUni, p50, "", none),
		ratioGoal(c, "floor of the design: null relay unicast p50 / NATS", caseRelayUni, caseNatsRR, p50, "", none),
		ratioGoal(c, "floor of the design: null relay unicast p99 / NATS", caseRelayUni, caseNatsRR, p99, "", none),
		ratioGoal(c, "floor of the design: null relay multicast msgs/s / NATS, 1 sub", caseRelayMc1, caseNatsPub1, msgsPerS, "", none),
		ratioGoal(c, "floor of the design: null relay multicast msgs/s / NATS, 10 subs", caseRelayMc10, caseNatsPub10, msgsPerS, "", none),
		ratioGoal(c, "above the floor: whole path / null relay, unicast p50", caseAmopUni, caseRelayUni, p50, "", none),
		ratioGoal(c, "above the floor: whole path / null relay, unicast p99", caseAmopUni, caseRelayUni, p99, "", none),
		ratioGoal(c, "above the floor: whole path / null relay, multicast msgs/s, 1 sub", caseAmopMc1, caseRelayMc1, msgsPerS, "", none),
		ratioGoal(c, "above the floor: whole path / null relay, multicast msgs/s, 10 subs", caseAmopMc10, caseRelayMc10, msgsPerS, "", none),
	}
}

// info are ratios the issue sets no goal for but that place the figures.
func info(recs []record) []goal {
	c := byCase(recs)
	none := func(float64) string { return "" }
	return []goal{
		ratioGoal(c, "bare go-sdk multicast msgs/s / whole path's, 1 sub", caseBareMc1, caseAmopMc1, msgsPerS, "", none),
		// go-sdk's own ceiling: what the goals would be with no guard and
		// no adapter at all (the same separate node).
		ratioGoal(c, "ceiling: bare go-sdk unicast p50 / NATS request/reply p50", caseBareUni, caseNatsRR, p50, "", none),
		ratioGoal(c, "ceiling: bare go-sdk multicast msgs/s / NATS, 1 sub", caseBareMc1, caseNatsPub1, msgsPerS, "", none),
		ratioGoal(c, "ceiling: bare go-sdk multicast msgs/s / NATS, 10 subs", caseBareMc10, caseNatsPub10, msgsPerS, "", none),
		ratioGoal(c, "bare go-sdk multicast msgs/s / whole path's, 10 subs", caseBareMc10, caseAmopMc10, msgsPerS, "", none),
		ratioGoal(c, "CPU per multicast, 10 subs: whole path / bare go-sdk", caseAmopMc10, caseBareMc10, cpuPerMsg, "", none),
		ratioGoal(c, "unicast p50 / raw TLS echo p50", caseAmopUni, caseTLSEcho, p50, "", none),
		ratioGoal(c, "NATS request/reply p50 / raw TLS echo p50", caseNatsRR, caseTLSEcho, p50, "", none),
		ratioGoal(c, "1 MiB unicast p50 / NATS 1 MiB request/reply p50", caseAmop1MiB, caseNats1MiB, p50, "", none),
		ratioGoal(c, "1 MiB unicast p50: whole path / bare go-sdk", caseAmop1MiB, caseBare1MiB, p50, "", none),
		ratioGoal(c, "CPU per unicast: whole path / bare go-sdk", caseAmopUni, caseBareUni, cpuPerMsg, "", none),
		ratioGoal(c, "CPU per unicast: amoptui / NATS request/reply (clients + server)", caseAmopUni, caseNatsRR, cpuPerMsg, "", none),
		ratioGoal(c, "CPU per multicast, 10 subs: amoptui / NATS", caseAmopMc10, caseNatsPub10, cpuPerMsg, "", none),
		ratioGoal(c, "unicast p50: nodes in process / nodes in their own process", caseAmopUniIn, caseAmopUni, p50, "", none),
		ratioGoal(c, "in process (secondary): unicast p50 / NATS request/reply p50", caseAmopUniIn, caseNatsRR, p50, "", none),
		ratioGoal(c, "in process (secondary): guard overhead, unicast p50", caseAmopUniIn, caseBareUniIn, p50, "", none),
		ratioGoal(c, "in process (secondary): multicast msgs/s / NATS, 10 subs", caseAmopMc10In, caseNatsPub10, msgsPerS, "", none),
	}
}

// writeReport prints the medians table and the goals as Markdown, so that
// the output can go into the README as it is.
func writeReport(w io.Writer, recs []record, m machine) {
	c := byCase(recs)
	rounds := 0
	for _, r := range recs {
		rounds = max(rounds, r.Round)
	}
	fmt.Fprintf(w, "Medians over %d interleaved round(s); latencies in µs.\n\n", rounds)
	var likeForLike, secondary []string
	for _, name := range caseOrder(recs) {
		if strings.HasSuffix(name, inProcess) {
			secondary = append(secondary, name)
		} else {
			likeForLike = append(likeForLike, name)
		}
	}
	fmt.Fprintln(w, "Like for like: `amoptui node` in a process of its own (publisher on one node, subscribers on the other), as nats-server is.")
	fmt.Fprintln(w)
	writeTable(w, c, likeForLike)
	if len(secondary) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Secondary: the local network inside the measuring process (no process boundary to the nodes; not comparable with NATS).")
		fmt.Fprintln(w)
		writeTable(w, c, secondary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Ratios: the median of the per-round A/B ratios.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| goal (issue 14, like for like) | measured | per round | target | |")
	fmt.Fprintln(w, "| --- | ---: | --- | --- | --- |")
	for _, g := range goals(recs) {
		writeGoal(w, g)
	}
	for _, g := range floors(recs) {
		writeGoal(w, g)
	}
	for _, g := range info(recs) {
		writeGoal(w, g)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Machine: %d cores, %s, Linux %s; harness %s", m.Cores, m.CPU, m.Kernel, m.HarnessGo)
	if f := c[caseAmopUni]; len(f) > 0 {
		fmt.Fprintf(w, ", amoptui built with %s", f[0].GoVersion)
	}
	for _, name := range []string{caseNatsRR, caseNatsPub1} {
		if f := c[name]; len(f) > 0 && f[0].Server != "" {
			fmt.Fprintf(w, "; %s (%s, mutual TLS)", f[0].Server, f[0].TLS)
			break
		}
	}
	if f := c[caseTLSEcho]; len(f) > 0 {
		fmt.Fprintf(w, "; floor %s", f[0].TLS)
	}
	fmt.Fprintf(w, ". Load average (1/5/15 min) %s before, %s after", m.LoadAvgBefore, m.LoadAvgAfter)
	var others, steal []float64
	for _, r := range recs {
		if r.OthersCores >= 0 && r.StealCores >= 0 {
			others, steal = append(others, r.OthersCores), append(steal, r.StealCores)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(w, "; other processes kept %.2f cores busy (median of the runs; %.2f at most), steal %.2f cores",
			median(others), slices.Max(others), median(steal))
	}
	fmt.Fprintln(w, ".")
	var firstErrs []string
	for _, r := range recs {
		if r.FirstError != "" {
			firstErrs = append(firstErrs, fmt.Sprintf("%s round %d: %s", r.Case, r.Round, r.FirstError))
		}
	}
	if len(firstErrs) > 0 {
		fmt.Fprintf(w, "\nErrors:\n- %s\n", strings.Join(firstErrs, "\n- "))
	}
}

// writeTable prints the medians of the named cases.
func writeTable(w io.Writer, c map[string]figures, names []string) {
	fmt.Fprintln(w, "| case | runs | msgs/s | deliveries/s | p50 | p90 | p99 | p99.9 | max | lost | reordered | errors | CPU µs/msg |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, name := range names {
		f := c[name]
		cpu := "–" // older results files, or /proc unreadable
		if v := f.med(cpuPerMsg); v > 0 {
			cpu = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %d | %d | %d | %s |\n",
			name, len(f), f.med(msgsPerS), f.med(func(r Result) float64 { return r.DeliveriesPerS }),
			f.med(p50), f.med(func(r Result) float64 { return r.P90us }), f.med(p99),
			f.med(func(r Result) float64 { return r.P999us }), f.med(func(r Result) float64 { return r.MaxUs }),
			f.sum(func(r Result) int64 { return r.Lost }), f.sum(func(r Result) int64 { return r.Reordered }),
			f.sum(func(r Result) int64 { return int64(r.Errors) }), cpu)
	}
}

func writeGoal(w io.Writer, g goal) {
	if g.Ignored {
		fmt.Fprintf(w, "| %s | not measured | | %s | |\n", g.What, g.Target)
		return
	}
	val := g.Extended
	if val == "" {
		// Three decimals, so that a value just under a goal never prints as
		// the goal itself.
		val = fmt.Sprintf("%.3f%s", g.Value, g.Unit)
	}
	var per []string
	for _, r := range g.Rounds {
		per = append(per, fmt.Sprintf("%.2f", r))
	}
	fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", g.What, val, strings.Join(per, ", "), g.Target, g.Met)
}
