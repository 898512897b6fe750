package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The machine is shared: other processes' CPU use during a run is the noise
// the A/B interleaving is there to spread evenly, and the report says how
// much of it there was. It is measured as the machine's busy time
// (/proc/stat) less this process's, its waited-for children's (the amoptui
// runs), nats-server's and the node process's, over the wall time of the run.

// clockTick is USER_HZ, the unit of /proc's CPU times; 100 on every Linux
// the harness is meant for.
const clockTick = 100.0

// cpuSample is one reading of the counters, in CPU seconds.
type cpuSample struct {
	wall  time.Time
	busy  float64 // the machine's non-idle time, steal included
	steal float64 // time the hypervisor gave to other guests
	ours  float64 // this process, its children and nats-server
}

// sampleCPU reads the counters; servers are the pids of the broker or node
// processes the measured side uses (0s are skipped).
func sampleCPU(servers ...int) (cpuSample, error) {
	s := cpuSample{wall: time.Now()}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return s, errors.New("/proc/stat: unexpected first line")
	}
	var v [8]float64
	for i := range v {
		if v[i], err = strconv.ParseFloat(f[i+1], 64); err != nil {
			return s, err
		}
	}
	// user nice system idle iowait irq softirq steal
	s.busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / clockTick
	s.steal = v[7] / clockTick
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return s, err
		}
		s.ours += tv(ru.Utime) + tv(ru.Stime)
	}
	for _, pid := range servers {
		if pid <= 0 {
			continue
		}
		t, err := procCPU(pid)
		if err != nil {
			return s, err
		}
		s.ours += t
	}
	return s, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// procCPU is the user and system time of process pid, from /proc/PID/stat.
func procCPU(pid int) (float64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces: count the
	// fields after it. utime and stime are fields 14 and 15 of the line,
	// 12th and 13th after the name.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, errors.New("/proc/PID/stat: no command name")
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("/proc/PID/stat: too few fields")
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (u + st) / clockTick, nil
}

// othersCores is the average number of cores other processes kept busy
// between a and b, and the hypervisor's steal as cores.
func othersCores(a, b cpuSample) (others, steal float64) {
	wall := b.wall.Sub(a.wall).Seconds()
	if wall <= 0 {
		return 0, 0
	}
	others = max(0, (b.busy-a.busy)-(b.ours-a.ours)) / wall
	return others, (b.steal - a.steal) / wall
}
