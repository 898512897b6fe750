package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// abCase is one amoptui case of an A/B comparison of two builds.
type abCase struct {
	name  string
	mode  string
	subs  int
	bare  bool
	relay bool
}

var abCases = map[string]abCase{
	"uni":        {caseAmopUni, "unicast", 1, false, false},
	"bare-uni":   {caseBareUni, "unicast", 1, true, false},
	"mc1":        {caseAmopMc1, "multicast", 1, false, false},
	"bare-mc1":   {caseBareMc1, "multicast", 1, true, false},
	"mc10":       {caseAmopMc10, "multicast", 10, false, false},
	"bare-mc10":  {caseBareMc10, "multicast", 10, true, false},
	"relay-uni":  {caseRelayUni, "unicast", 1, false, true},
	"relay-mc1":  {caseRelayMc1, "multicast", 1, false, true},
	"relay-mc10": {caseRelayMc10, "multicast", 10, false, true},
}

// abRecord is one run of one side of an A/B comparison, as written to
// --out.
type abRecord struct {
	Side  string `json:"side"` // "A" or "B"
	Bin   string `json:"bin"`
	Case  string `json:"case"`
	Round int    `json:"round"`
	// CPUPerMsgUs is the bench process's and the node process's CPU over
	// the messages acknowledged (warm-up included).
	CPUPerMsgUs float64 `json:"cpu_us_per_msg"`
	LoadAvg     string  `json:"loadavg"`
	Result
}

// cmdAB compares two amoptui builds on the like-for-like cases: each side
// has its own `amoptui node` process, every case runs A then B (B then A in
// even rounds), and the figure of a case is the median of the rounds'
// paired ratios B/A — on a shared machine only runs taken next to each
// other compare.
func cmdAB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ab", stderr)
	var c common
	c.register(fs)
	binA := fs.String("a", "", "the amoptui binary of side A (the baseline)")
	binB := fs.String("b", "", "the amoptui binary of side B (the change)")
	rounds := fs.Int("rounds", 5, "interleaved rounds")
	cases := fs.String("cases", "uni,bare-uni,mc1,mc10", "comma-separated: uni, bare-uni, mc1, bare-mc1, mc10, bare-mc10")
	out := fs.String("out", "", "append every run as one JSON line to this file")
	envA := fs.String("a-env", "", "space-separated NAME=VALUE added to side A's bench processes' environment")
	envB := fs.String("b-env", "", "the same for side B (e.g. GOMAXPROCS=1 to compare a runtime setting with one binary)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *binA == "" || *binB == "" {
		return errors.New("--a and --b are required")
	}
	var sel []abCase
	for _, k := range strings.Split(*cases, ",") {
		cs, ok := abCases[strings.TrimSpace(k)]
		if !ok {
			return fmt.Errorf("--cases: unknown case %q", k)
		}
		sel = append(sel, cs)
	}
	var sink io.Writer = io.Discard
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		sink = f
	}
	nodeA, err := startNode(ctx, *binA, "", stderr)
	if err != nil {
		return err
	}
	defer nodeA.stop()
	nodeB, err := startNode(ctx, *binB, "", stderr)
	if err != nil {
		return err
	}
	defer nodeB.stop()
	type side struct {
		name string
		bin  string
		node *nodeProc
		env  []string
	}
	sides := []side{{"A", *binA, nodeA, strings.Fields(*envA)}, {"B", *binB, nodeB, strings.Fields(*envB)}}
	var recs []abRecord
	o := c.loopOptions
	for round := 1; round <= *rounds; round++ {
		for _, cs := range sel {
			order := sides
			if round%2 == 0 {
				order = []side{sides[1], sides[0]}
			}
			for _, sd := range order {
				r := amoptuiRun{Bin: sd.bin, Mode: cs.mode, Bare: cs.bare, Relay: cs.relay, Subscribers: cs.subs, loopOptions: o,
					Extra: append([]string{"--certs", sd.node.certs}, sd.node.addrs...), Env: sd.env}
				la := loadAvg()
				before, _ := procCPU(sd.node.pid())
				res, cpu, err := r.runWithUsage(ctx)
				if err != nil {
					return fmt.Errorf("%s %s round %d: %w", sd.name, cs.name, round, err)
				}
				if !sd.node.alive() {
					return fmt.Errorf("%s: node exited: %s", sd.name, sd.node.lastOutput())
				}
				after, _ := procCPU(sd.node.pid())
				rec := abRecord{Side: sd.name, Bin: sd.bin, Case: cs.name, Round: round, LoadAvg: la, Result: res, CPUPerMsgUs: -1}
				if n := res.MsgsPerS * (res.DurationS + o.Warmup.Seconds()); n > 0 {
					rec.CPUPerMsgUs = (cpu + after - before) * 1e6 / n
				}
				fmt.Fprintf(stderr, "round %d %s %-28s load %s  %8.0f msgs/s %8.0f deliv/s  p50 %6.0f  p99 %6.0f  cpu %5.0f µs/msg  lost %d reord %d err %d\n",
					round, sd.name, cs.name, la, res.MsgsPerS, res.DeliveriesPerS, res.P50us, res.P99us, rec.CPUPerMsgUs, res.Lost, res.Reordered, res.Errors)
				recs = append(recs, rec)
				line, err := json.Marshal(rec)
				if err != nil {
					return err
				}
				if _, err := sink.Write(append(line, '\n')); err != nil {
					return err
				}
			}
		}
	}
	writeAB(stdout, recs, sel)
	return nil
}

// writeAB prints, per case, both sides' medians and the median of the
// paired ratios B/A.
func writeAB(w io.Writer, recs []abRecord, sel []abCase) {
	metrics := []struct {
		name string
		get  func(abRecord) float64
	}{
		{"msgs/s", func(r abRecord) float64 { return r.MsgsPerS }},
		{"deliveries/s", func(r abRecord) float64 { return r.DeliveriesPerS }},
		{"p50 µs", func(r abRecord) float64 { return r.P50us }},
		{"p99 µs", func(r abRecord) float64 { return r.P99us }},
		{"CPU µs/msg", func(r abRecord) float64 { return r.CPUPerMsgUs }},
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tmetric\tA median\tB median\tB/A (median of rounds)\tper round\t")
	for _, cs := range sel {
		byRound := map[int][2]*abRecord{}
		for i := range recs {
			r := &recs[i]
			if r.Case != cs.name {
				continue
			}
			p := byRound[r.Round]
			if r.Side == "A" {
				p[0] = r
			} else {
				p[1] = r
			}
			byRound[r.Round] = p
		}
		for _, m := range metrics {
			var a, b, ratios []float64
			var per []string
			for round := 1; round <= len(byRound); round++ {
				p := byRound[round]
				if p[0] == nil || p[1] == nil {
					continue
				}
				va, vb := m.get(*p[0]), m.get(*p[1])
				a, b = append(a, va), append(b, vb)
				if va > 0 {
					ratios = append(ratios, vb/va)
					per = append(per, fmt.Sprintf("%.2f", vb/va))
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.3f\t%s\t\n", cs.name, m.name, median(a), median(b), median(ratios), strings.Join(per, " "))
		}
	}
	tw.Flush()
}
