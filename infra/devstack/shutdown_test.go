//go:build linux

package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopDeadline is how soon after SIGINT everything make dev started must
// be gone.
const stopDeadline = 10 * time.Second

// TestMakeDev_SIGINTStopsEverything runs make dev on free ports, waits for
// its API, interrupts it and polls until make, the script, the runner,
// DynamoDB Local and fauxqs are all gone. Ctrl-C interrupts the whole
// process group; kill -INT <pid of make> only make, which does not pass the
// signal on.
func TestMakeDev_SIGINTStopsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole local stack")
	}
	for _, tool := range []string{"make", "java", "node", "curl", "setsid"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("make dev needs %s: %v", tool, err)
		}
	}
	tests := []struct {
		name      string
		interrupt func(makePid int) error
	}{
		{"Ctrl-C: SIGINT to the process group", func(pid int) error { return syscall.Kill(-pid, syscall.SIGINT) }},
		{"SIGINT to make alone", func(pid int) error { return syscall.Kill(pid, syscall.SIGINT) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := startMakeDev(t)
			procs := d.processes(t)
			start := time.Now()
			if err := tt.interrupt(d.cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			for {
				left := d.running(procs)
				if len(left) == 0 {
					t.Logf("everything stopped %v after SIGINT", time.Since(start).Round(10*time.Millisecond))
					return
				}
				if time.Since(start) > stopDeadline {
					t.Fatalf("%v after SIGINT, still running: %s\nmake dev's output:\n%s", stopDeadline, strings.Join(left, "; "), d.output())
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// makeDev is a make dev started by a test in its own process group, as a
// shell starts a foreground job.
type makeDev struct {
	cmd    *exec.Cmd
	state  string
	mu     sync.Mutex
	out    bytes.Buffer
	exited chan struct{}
}

func (d *makeDev) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.Write(p)
}

func (d *makeDev) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

func startMakeDev(t *testing.T) *makeDev {
	t.Helper()
	api, ddb, sqs := freePort(t), freePort(t), freePort(t)
	d := &makeDev{state: filepath.Join(t.TempDir(), "stack"), exited: make(chan struct{})}
	d.cmd = exec.Command("make", "--no-print-directory", "dev")
	d.cmd.Dir = filepath.Join("..", "..")
	d.cmd.Env = append(os.Environ(),
		"API_PORT="+strconv.Itoa(api), "DYNAMODB_PORT="+strconv.Itoa(ddb), "SQS_PORT="+strconv.Itoa(sqs),
		"DEV_STATE_DIR="+d.state)
	d.cmd.Stdout, d.cmd.Stderr = d, d
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A terminal's job starts with SIGINT at its default action, not ignored
	// as a background job of a script would: while the Go runtime catches
	// SIGINT, exec gives the child the default action.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	err := d.cmd.Start()
	signal.Stop(sig)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		// Whatever the test left: the group, then the servers.
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		for _, pid := range d.serverPids() {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		<-d.exited
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/openapi.yaml", api)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(4 * time.Minute)
	for {
		select {
		case <-d.exited:
			t.Fatalf("make dev exited before serving:\n%s", d.output())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("make dev does not serve %s after 4 minutes:\n%s", url, d.output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// serverPids are the pids (and process groups) of DynamoDB Local and fauxqs.
func (d *makeDev) serverPids() []int {
	var pids []int
	for _, name := range []string{"dynamodb", "fauxqs"} {
		b, err := os.ReadFile(filepath.Join(d.state, name+".pid"))
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// process is a process make dev started, known by pid and command line.
type process struct {
	pid  int
	name string
}

// processes lists what make dev runs: every process of its group (make,
// the script, the runner) and the two servers, each in its own session.
func (d *makeDev) processes(t *testing.T) []process {
	t.Helper()
	var out []process
	pgid := d.cmd.Process.Pid
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, _, ok := procStat(pid); ok && g == pgid {
			out = append(out, process{pid, cmdline(pid)})
		}
	}
	servers := d.serverPids()
	if len(servers) != 2 {
		t.Fatalf("want the pids of DynamoDB Local and fauxqs in %s, found %v", d.state, servers)
	}
	for _, pid := range servers {
		out = append(out, process{pid, cmdline(pid)})
	}
	var runner bool
	for _, p := range out {
		runner = runner || strings.HasPrefix(fullCmdline(p.pid), filepath.Join(d.state, "devstack")+" ")
	}
	if !runner {
		t.Fatalf("no runner among %v", out)
	}
	return out
}

// running lists the processes still alive (zombies waiting to be reaped
// are gone), and any new process of make's group.
func (d *makeDev) running(procs []process) []string {
	var left []string
	select {
	case <-d.exited:
	default:
		left = append(left, "make")
	}
	seen := map[int]bool{d.cmd.Process.Pid: true}
	for _, p := range procs {
		if seen[p.pid] {
			continue
		}
		seen[p.pid] = true
		if _, state, ok := procStat(p.pid); ok && state != 'Z' {
			left = append(left, fmt.Sprintf("%d %s", p.pid, p.name))
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || seen[pid] {
			continue
		}
		if g, state, ok := procStat(pid); ok && g == d.cmd.Process.Pid && state != 'Z' {
			left = append(left, fmt.Sprintf("%d %s", pid, cmdline(pid)))
		}
	}
	return left
}

// procStat reads a process's group and state from /proc/<pid>/stat.
func procStat(pid int) (pgid int, state byte, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 3 {
		return 0, 0, false
	}
	g, err := strconv.Atoi(f[2])
	if err != nil {
		return 0, 0, false
	}
	return g, f[0][0], true
}

func fullCmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// cmdline is the start of a process's command line, for messages.
func cmdline(pid int) string {
	s := fullCmdline(pid)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
