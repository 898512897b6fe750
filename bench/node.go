package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// nodeProc is `amoptui node` running in a process of its own, as a real
// node always does and as nats-server does in the comparison: two nodes on
// free loopback ports, certificates in a scratch directory of their own.
type nodeProc struct {
	cmd    *exec.Cmd
	addrs  []string
	certs  string
	out    lockedBuffer
	done   chan struct{}
	exited error
}

// startNode starts the node process and waits until both nodes accept
// connections. profile, when set, is passed as --cpuprofile.
func startNode(ctx context.Context, bin, profile string, stderr io.Writer) (*nodeProc, error) {
	dir, err := os.MkdirTemp("", "amoptui-bench-node-")
	if err != nil {
		return nil, err
	}
	p := &nodeProc{certs: filepath.Join(dir, "certs"), done: make(chan struct{})}
	for range 2 {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		p.addrs = append(p.addrs, "127.0.0.1:"+strconv.Itoa(port))
	}
	args := []string{"node", "--listen", p.addrs[0] + "," + p.addrs[1], "--certs", p.certs}
	if profile != "" {
		args = append(args, "--cpuprofile", profile)
	}
	// Not CommandContext: the node is stopped by SIGTERM (so that its
	// profile is written), by its pid, in stop.
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start amoptui node: %w", err)
	}
	go func() {
		p.exited = p.cmd.Wait()
		close(p.done)
		os.RemoveAll(dir)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for _, a := range p.addrs {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if !p.alive() || time.Now().After(deadline) || ctx.Err() != nil {
				p.stop()
				return nil, fmt.Errorf("amoptui node did not listen on %s: %s", a, p.lastOutput())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	fmt.Fprintf(stderr, "amoptui node (pid %d) on %s and %s\n", p.cmd.Process.Pid, p.addrs[0], p.addrs[1])
	return p, nil
}

func (p *nodeProc) pid() int {
	if p == nil || !p.alive() {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *nodeProc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits up to 10 s, then kills the process.
func (p *nodeProc) stop() {
	if !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// lastOutput is the end of what the node printed, for an error message.
func (p *nodeProc) lastOutput() string {
	s := p.out.String()
	if len(s) > 600 {
		s = s[len(s)-600:]
	}
	if p.exited != nil && !errors.Is(p.exited, os.ErrProcessDone) {
		s = p.exited.Error() + ": " + s
	}
	return s
}

// lockedBuffer is a bytes.Buffer the node's output goroutines and the
// harness may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		l.b.Reset() // bounded: only the end matters
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
