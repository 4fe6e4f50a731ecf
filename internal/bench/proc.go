package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat. Linux has reported USER_HZ = 100 to
// user space on every architecture Go supports for years; CPUTime is therefore 10 ms grained, which is
// why CPU time per request is taken over whole load runs of thousands of requests.
const clockTick = 10 * time.Millisecond

// Proc reads the resource usage of one running process from /proc.
type Proc struct{ PID int }

// CPUTime returns the user plus system CPU time the process (all its threads) has used.
func (p Proc) CPUTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID))
	if err != nil {
		return 0, fmt.Errorf("bench: cpu time of %d: %w", p.PID, err)
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/<pid>/stat line. The command name
// (field 2) is in parentheses and may itself contain spaces and parentheses, so fields are counted
// from the last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bench: malformed stat: no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, errors.New("bench: malformed stat: too few fields")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("bench: malformed stat: %w", err)
	}
	return time.Duration(ut+st) * clockTick, nil
}

// Memory is a process's resident memory: current (VmRSS) and peak since start or the last
// ResetPeak (VmHWM).
type Memory struct{ RSS, Peak int64 }

// Memory reads VmRSS and VmHWM from /proc/<pid>/status.
func (p Proc) Memory() (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID))
	if err != nil {
		return Memory{}, fmt.Errorf("bench: memory of %d: %w", p.PID, err)
	}
	return parseStatusMemory(b)
}

func parseStatusMemory(b []byte) (Memory, error) {
	var m Memory
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("bench: malformed status line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("bench: malformed status line %q: %w", sc.Text(), err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
		seen++
	}
	if seen != 2 {
		return m, errors.New("bench: status has no VmRSS/VmHWM")
	}
	return m, nil
}

// ResetPeak sets VmHWM back to the current RSS (writing 5 to /proc/<pid>/clear_refs, Linux ≥ 4.0), so
// that the next Memory().Peak is the peak of what happens in between.
func (p Proc) ResetPeak() error {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.PID), []byte("5"), 0); err != nil {
		return fmt.Errorf("bench: reset peak RSS of %d: %w", p.PID, err)
	}
	return nil
}

// Machine describes the machine a run happened on.
type Machine struct {
	CPUs      int    // logical CPUs (nproc)
	CPUModel  string // lscpu "Model name"
	MemTotal  string // /proc/meminfo MemTotal
	Kernel    string
	GoVersion string
}

// ReadMachine collects the machine facts; missing sources leave fields empty.
func ReadMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if out, err := exec.Command("nproc").Output(); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil {
			m.CPUs = n
		}
	}
	if out, err := exec.Command("lscpu").Output(); err == nil {
		m.CPUModel = lscpuField(string(out), "Model name")
	}
	if m.CPUModel == "" {
		if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
			m.CPUModel = lscpuField(string(b), "model name")
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotal = memTotal(lscpuField(string(b), "MemTotal"))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	return m
}

// lscpuField returns the value of the first "key: value" line with that key.
func lscpuField(text, key string) string {
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// memTotal writes /proc/meminfo's "24683656 kB" as "23.5 GiB" (unchanged when it is not in kB).
func memTotal(v string) string {
	f := strings.Fields(v)
	if len(f) != 2 || f[1] != "kB" {
		return v
	}
	kb, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return v
	}
	return fmt.Sprintf("%.1f GiB", kb/(1<<20))
}
