package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/wiring"
)

// helloName is the baseline function's name in the report.
const helloName = "hello-world (baseline)"

// sizeLimit is the target for a stripped arm64 bootstrap.
const sizeLimit = 15 << 20

// builtFunctions are the bootstraps built for the run.
type builtFunctions struct {
	dir string
	// names are the folders under functions/, sorted.
	names []string
	// arm64 and host map a folder (or "hello") to its binary.
	arm64, host map[string]string
	rie         string
}

// buildFunctions builds every functions/<f> and the hello-world baseline
// as Lambda deploys them (linux/arm64, stripped) and for this machine, and
// the runtime interface emulator.
func buildFunctions(ctx context.Context) (*builtFunctions, error) {
	entries, err := os.ReadDir("functions")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	dir, err := os.MkdirTemp("", "comptoir-bench-")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	b := &builtFunctions{dir: dir, arm64: map[string]string{}, host: map[string]string{}}
	pkgs := []string{"./scripts/bench/hello"}
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join("functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			b.names = append(b.names, e.Name())
			pkgs = append(pkgs, "./functions/"+e.Name())
		}
	}
	if len(b.names) == 0 {
		return b, errors.New("build: no function under functions/")
	}
	for _, target := range []struct {
		arch string
		out  map[string]string
	}{{"arm64", b.arm64}, {runtime.GOARCH, b.host}} {
		out := filepath.Join(dir, target.arch)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return b, fmt.Errorf("build: %w", err)
		}
		args := append([]string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out + string(os.PathSeparator)}, pkgs...)
		if err := goCmd(ctx, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + target.arch}, args...); err != nil {
			return b, fmt.Errorf("build for linux/%s: %w", target.arch, err)
		}
		for _, p := range pkgs {
			target.out[filepath.Base(p)] = filepath.Join(out, filepath.Base(p))
		}
	}
	b.rie = filepath.Join(dir, "aws-lambda-rie")
	if err := goCmd(ctx, nil, "build", "-o", b.rie, "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"); err != nil {
		return b, fmt.Errorf("build the runtime interface emulator: %w", err)
	}
	return b, nil
}

func goCmd(ctx context.Context, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// measureFunctions reports each function's arm64 size and its init time
// under the emulator, next to the hello-world baseline.
func measureFunctions(ctx context.Context, o options, b *builtFunctions, table string) (*FunctionsReport, error) {
	tpl, err := samtemplate.Load(o.template)
	if err != nil {
		return nil, fmt.Errorf("init times: %w", err)
	}
	if table == "" {
		table = "comptoir-bench-Table"
	}
	res := tableOnlyResources(tpl, table)
	local := devstack.LocalEnv{Issuer: "https://issuer.bench.localhost", Audience: "comptoir-bench", JWKSURL: "http://127.0.0.1:1/jwks.json", LogLevel: "error"}
	rep := &FunctionsReport{ColdStarts: o.coldStarts, HostArch: runtime.GOARCH, SizeLimitBytes: sizeLimit}

	measure := func(name, folder string, env map[string]string, event []byte) FunctionStats {
		fs := FunctionStats{Name: name}
		if st, err := os.Stat(b.arm64[folder]); err == nil {
			fs.SizeBytes = st.Size()
		}
		logf("init time of %s: %d cold starts", name, o.coldStarts)
		for range o.coldStarts {
			c, err := coldStart(ctx, b.rie, b.host[folder], env, event)
			if err != nil {
				fs.Error = err.Error()
				break
			}
			fs.InitMS = append(fs.InitMS, c.initMS)
			fs.FirstInvokeMS = append(fs.FirstInvokeMS, c.firstMS)
			fs.WarmInvokeMS = append(fs.WarmInvokeMS, c.warmMS)
			fs.Source = c.source
			fs.EmulatorInitMS = append(fs.EmulatorInitMS, c.emulatorInitMS)
		}
		fs.InitMedianMS = median(fs.InitMS)
		return fs
	}

	helloEnv := map[string]string{"AWS_REGION": "eu-west-3"}
	rep.Hello = measure(helloName, "hello", helloEnv, []byte(`{}`))
	if rep.Hello.Error != "" {
		return rep, fmt.Errorf("init time of the baseline: %s", rep.Hello.Error)
	}
	for _, folder := range b.names {
		f, ok := tpl.Function(folder)
		if !ok {
			rep.Functions = append(rep.Functions, FunctionStats{Name: folder, Error: "not in " + o.template})
			continue
		}
		env, err := res.Environ(f, local)
		if err != nil {
			return rep, fmt.Errorf("init times: %w", err)
		}
		env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_REGION"] = "local", "local", "eu-west-3"
		env["AWS_EC2_METADATA_DISABLED"] = "true"
		if o.dynamodb != "" {
			env["AWS_ENDPOINT_URL_DYNAMODB"] = o.dynamodb
		} else {
			env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:1"
		}
		env["AWS_ENDPOINT_URL_SQS"], env["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:1", "http://127.0.0.1:1"
		event, err := invocationEvent(folder)
		if err != nil {
			return rep, err
		}
		rep.Functions = append(rep.Functions, measure(folder, folder, env, event))
	}
	return rep, nil
}

// invocationEvent is a minimal event of the function's trigger: an API
// request the function answers without data (an unknown storefront), or an
// empty SQS batch.
func invocationEvent(folder string) ([]byte, error) {
	var ev any
	switch {
	case wiring.APIFunctions[folder] != nil:
		ev = events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: "GET /catalog/categories", RawPath: "/catalog/categories",
			Headers: map[string]string{"host": "unknown.bench.localhost"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				DomainName: "unknown.bench.localhost", Stage: "$default", RequestID: "bench",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodGet, Path: "/catalog/categories", SourceIP: "127.0.0.1"},
			},
		}
	case wiring.QueueFunctions[folder] != nil:
		ev = events.SQSEvent{Records: []events.SQSMessage{}}
	default:
		return nil, fmt.Errorf("init times: %s is neither in wiring.APIFunctions nor in wiring.QueueFunctions", folder)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("init times: event of %s: %w", folder, err)
	}
	return b, nil
}

// coldResult is one cold start under the emulator.
type coldResult struct {
	initMS, firstMS, warmMS float64
	// emulatorInitMS is the emulator's Init Duration, -1 when not printed.
	emulatorInitMS float64
	// source says where initMS comes from.
	source string
}

var (
	reportLine   = regexp.MustCompile(`^REPORT RequestId: `)
	initDuration = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)
	duration     = regexp.MustCompile(`\tDuration: ([0-9.]+) ms`)
)

// coldStart starts the emulator on two free loopback ports with bootstrap,
// invokes it twice (cold, then warm) and stops it.
func coldStart(ctx context.Context, rie, bootstrap string, env map[string]string, event []byte) (coldResult, error) {
	apiAddr, err := freeAddr()
	if err != nil {
		return coldResult{}, err
	}
	runtimeAddr, err := freeAddr()
	if err != nil {
		return coldResult{}, err
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", apiAddr, "--runtime-api-address", runtimeAddr, bootstrap)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "AWS_LAMBDA_FUNCTION_TIMEOUT=30"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// Its own process group, so that stopping it stops the bootstrap too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return coldResult{}, fmt.Errorf("emulator: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return coldResult{}, fmt.Errorf("start emulator: %w", err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	reports := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if reportLine.MatchString(sc.Text()) {
				reports <- sc.Text()
			}
		}
		close(reports)
	}()
	if err := waitListening(ctx, apiAddr, 10*time.Second); err != nil {
		return coldResult{}, fmt.Errorf("emulator: %w: %s", err, stderr.String())
	}
	url := "http://" + apiAddr + "/2015-03-31/functions/function/invocations"
	first, firstReport, err := invoke(ctx, url, event, reports)
	if err != nil {
		return coldResult{}, fmt.Errorf("cold invocation: %w: %s", err, lastLines(stderr.String(), 3))
	}
	warm, warmReport, err := invoke(ctx, url, event, reports)
	if err != nil {
		return coldResult{}, fmt.Errorf("warm invocation: %w: %s", err, lastLines(stderr.String(), 3))
	}
	r := coldResult{firstMS: ms(first), warmMS: ms(warm), emulatorInitMS: -1}
	if m := duration.FindStringSubmatch(firstReport); m != nil {
		r.firstMS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := duration.FindStringSubmatch(warmReport); m != nil {
		r.warmMS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := initDuration.FindStringSubmatch(firstReport); m != nil {
		r.emulatorInitMS, _ = strconv.ParseFloat(m[1], 64)
	}
	// This emulator starts the runtime asynchronously: its Init Duration
	// only times the dispatch (hundredths of a millisecond), and the first
	// invocation waits for the init. Its figure is only trusted when it
	// could be a process start.
	if r.emulatorInitMS >= minPlausibleInitMS {
		r.initMS, r.source = r.emulatorInitMS, "emulator REPORT Init Duration"
		return r, nil
	}
	r.initMS = max(0, r.firstMS-r.warmMS)
	r.source = "first invocation minus warm invocation (emulator REPORT Durations)"
	return r, nil
}

// minPlausibleInitMS is the shortest init an emulator figure may show to be
// believed: no process starts faster.
const minPlausibleInitMS = 1.0

// invoke posts the event and waits for the emulator's REPORT line.
func invoke(ctx context.Context, url string, event []byte, reports <-chan string) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
	if err != nil {
		return 0, "", fmt.Errorf("invoke: %w", err)
	}
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("invoke: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errorType"`)) {
		return d, "", fmt.Errorf("invoke: status %d: %s", resp.StatusCode, body)
	}
	select {
	case line, ok := <-reports:
		if !ok {
			return d, "", errors.New("invoke: the emulator stopped")
		}
		return d, line, nil
	case <-time.After(5 * time.Second):
		return d, "", nil
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// freeAddr returns a loopback address with a port free at the time of the
// call.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitListening(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s never listened: %w", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
