package loadtest

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Memory is the process's memory over a run. The server, its embedded
// database and the load all run in this one process, so the figures are an
// upper bound for the server alone.
type Memory struct {
	StartRSS uint64
	// PeakRSS is the kernel's resident-set high-water mark (VmHWM) since the
	// run started when HWMReset, else the highest VmRSS sampled.
	PeakRSS  uint64
	HWMReset bool
	// PeakHeap is the highest Go heap in use sampled.
	PeakHeap uint64
	// CPU is the user+system CPU time the process used during the run:
	// unlike latency it does not grow when other processes share the cores.
	CPU time.Duration
	// LoadAvg is the host's 1-minute load average at the start and the end
	// of the run: above the number of cores, latencies include waiting for one.
	LoadAvg [2]string
	Cores   int
}

func (m Memory) hwmNote() string {
	if m.HWMReset {
		return ", reset at the start of the run"
	}
	return " not resettable here: highest VmRSS sampled every 100 ms"
}

type memWatch struct {
	m    Memory
	stop func() Memory
}

// startMemory resets the kernel's high-water mark (writing 5 to clear_refs,
// Linux ≥ 4.0) so that VmHWM covers the run only, and samples RSS and heap
// until stopped.
func startMemory() *memWatch {
	w := &memWatch{}
	w.m.StartRSS = procStatus("VmRSS")
	w.m.Cores = runtime.NumCPU()
	w.m.LoadAvg[0] = loadAvg()
	cpu0 := cpuTime()
	w.m.HWMReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			w.sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	w.stop = func() Memory {
		close(done)
		<-finished
		w.sample()
		w.m.CPU = cpuTime() - cpu0
		w.m.LoadAvg[1] = loadAvg()
		if w.m.HWMReset {
			w.m.PeakRSS = max(w.m.PeakRSS, procStatus("VmHWM"))
		}
		return w.m
	}
	return w
}

func (w *memWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.m.PeakHeap = max(w.m.PeakHeap, ms.HeapInuse)
	w.m.PeakRSS = max(w.m.PeakRSS, procStatus("VmRSS"))
}

// procStatus reads one "kB" line of /proc/self/status, in bytes; 0 where there
// is no /proc.
func procStatus(key string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != key {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		kb, _ := strconv.ParseUint(f[0], 10, 64)
		return kb << 10
	}
	return 0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
