package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// amoptuiRun is one `amoptui bench` invocation. The harness runs the binary
// built from the root module instead of importing it, so that neither
// module's dependencies leak into the other's.
type amoptuiRun struct {
	Bin         string
	Mode        string // unicast or multicast
	Bare        bool   // bare go-sdk → node instead of the adapter path
	Relay       bool   // bare go-sdk through a null relay (the floor of the guard's design)
	Subscribers int
	Extra       []string // more flags, e.g. --cpuprofile FILE
	Env         []string // more environment, e.g. GOMAXPROCS=1
	loopOptions
}

// args is the command line of r, without the binary.
func (r amoptuiRun) args() []string {
	a := []string{"bench", "--json", "--mode", r.Mode,
		"--size", strconv.Itoa(r.Size),
		"--duration", r.Duration.String(), "--warmup", r.Warmup.String(), "--timeout", r.Timeout.String(),
		"--publishers", strconv.Itoa(r.Publishers), "--subscribers", strconv.Itoa(r.Subscribers)}
	switch {
	case r.Relay:
		a = append(a, "--relay")
	case r.Bare:
		a = append(a, "--bare")
	}
	return append(a, r.Extra...)
}

// run executes the binary and decodes its JSON line. amoptui exits 1 when a
// run saw errors or loss but still prints its figures; those are returned
// with the exit status noted in FirstError, so the table shows them.
func (r amoptuiRun) run(ctx context.Context) (Result, error) {
	res, _, err := r.runWithUsage(ctx)
	return res, err
}

// runWithUsage is run, plus the CPU time (user and system, in seconds) the
// bench process used.
func (r amoptuiRun) runWithUsage(ctx context.Context) (Result, float64, error) {
	// The binary starts and stops its own local network around the run.
	ctx, cancel := context.WithTimeout(ctx, r.Warmup+r.Duration+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Bin, r.args()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if len(r.Env) > 0 {
		cmd.Env = append(os.Environ(), r.Env...)
	}
	runErr := cmd.Run()
	var res Result
	var cpu float64
	if ps := cmd.ProcessState; ps != nil {
		cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	line := bytes.TrimSpace(stdout.Bytes())
	if err := json.Unmarshal(line, &res); err != nil {
		if runErr != nil {
			return res, cpu, fmt.Errorf("%s %s: %v: %s", r.Bin, strings.Join(r.args(), " "), runErr, lastLine(stderr.String()))
		}
		return res, cpu, fmt.Errorf("amoptui bench --json printed no JSON: %v: %q", err, line)
	}
	if runErr != nil && res.FirstError == "" {
		res.FirstError = runErr.Error() + ": " + lastLine(stderr.String())
	}
	return res, cpu, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
