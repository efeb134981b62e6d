//go:build linux

package functions_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/testenv"
)

// TestBootstraps builds the real bootstrap binaries of three functions (for
// the host: the emulator runs host binaries), runs each under the Lambda
// runtime interface emulator with the function's environment against the
// local DynamoDB, and invokes it with the sample events of events/. It checks
// what Lambda would see: the API Gateway response of an HTTP function and the
// partial batch response of SQS workers, and logs each function's init time.
func TestBootstraps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs the Lambda emulator; skipped with -short")
	}
	tbl := testenv.Table(t)
	ctx := context.Background()

	bin := buildBinaries(t, "catalog", "erp-ingest", "stock-update")

	baseEnv := functionEnv(tbl.Name)

	t.Run("catalog", func(t *testing.T) {
		hydro := merchant.ID("hydro")
		sf := merchant.Storefront{
			ID: "fr", Merchant: hydro, Host: "hydro-fr.localhost", Country: "FR", Language: "fr",
			Currency: "EUR", Mode: merchant.PartiallyOpen, MerchantLanguage: "fr",
		}
		if err := (&dynamo.Storefronts{Table: tbl}).Save(ctx, []merchant.Storefront{sf}); err != nil {
			t.Fatalf("save storefront: %v", err)
		}
		cats := []catalog.Category{
			{ID: "pompes", Names: map[string]string{"fr": "Pompes", "en": "Pumps"}, Position: 1},
			{ID: "raccords", Names: map[string]string{"fr": "Raccords", "en": "Fittings"}, Position: 2},
			{ID: "pompes-immergees", ParentID: "pompes", Names: map[string]string{"fr": "Pompes immergées"}, Position: 1},
			// Restricted: hidden from anonymous visitors of a partially open storefront.
			{ID: "tarifs-pro", Names: map[string]string{"fr": "Offres pros"}, Position: 3, Restricted: true},
		}
		if err := (&dynamo.Catalog{Table: tbl}).SaveCategories(ctx, hydro, cats); err != nil {
			t.Fatalf("save categories: %v", err)
		}

		fn := startFunction(t, bin["catalog"], baseEnv)
		event := readFixture(t, "api-catalog-categories.json")

		// Cold: a host no storefront answers for.
		unknown := withHost(t, event, "nobody.localhost")
		var resp events.APIGatewayV2HTTPResponse
		cold := fn.invoke(t, unknown, &resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown host: status %d, want 404; body %s", resp.StatusCode, responseBody(t, resp))
		}
		if ct := header(resp, "Content-Type"); ct != "application/problem+json" {
			t.Errorf("unknown host: Content-Type %q, want application/problem+json", ct)
		}
		var problem struct {
			Type   string `json:"type"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal(responseBody(t, resp), &problem); err != nil {
			t.Fatalf("unknown host: problem body: %v", err)
		}
		if !strings.HasSuffix(problem.Type, "unknown-storefront") || problem.Status != 404 {
			t.Errorf("unknown host: problem %+v, want type .../unknown-storefront and status 404", problem)
		}

		// Warm: the fixture as is, for the seeded storefront.
		resp = events.APIGatewayV2HTTPResponse{}
		warm := fn.invoke(t, event, &resp)
		body := responseBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("categories: status %d, want 200; body %s", resp.StatusCode, body)
		}
		var got struct {
			Categories []struct {
				ID, ParentID, Name, Language string
				Position                     int
			} `json:"categories"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("categories body %s: %v", body, err)
		}
		var ids []string
		for _, c := range got.Categories {
			ids = append(ids, c.ID)
		}
		if want := []string{"pompes", "raccords", "pompes-immergees"}; !slices.Equal(ids, want) {
			t.Errorf("categories %v, want %v (restricted one hidden); body %s", ids, want, body)
		}
		if len(got.Categories) > 0 && (got.Categories[0].Name != "Pompes" || got.Categories[0].Language != "fr") {
			t.Errorf("first category %+v, want name Pompes in fr", got.Categories[0])
		}
		fn.report(t, cold, warm)
	})

	t.Run("erp-ingest", func(t *testing.T) {
		// The sample notification names hydro/inbox/F_ARTICLE.csv, 127 bytes
		// with this content's MD5 as ETag, in the bucket comptoir-erp:
		// the handler checks the bucket, the merchant and the object.
		const content = "AR_Ref;AR_Design;FA_CodeFamille;AR_PrixVen\r\nVAN-PVC-50;Vanne PVC 50 mm;VANNES;18.40\r\nRAC-PE-32;Raccord PE 32 mm;RACCORDS;3.15\r\n"
		s3c := testenv.S3(t)
		bucket := testenv.UniqueName("erp")
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("create bucket: %v", err)
		}
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("hydro/inbox/F_ARTICLE.csv"), Body: strings.NewReader(content)}); err != nil {
			t.Fatalf("put object: %v", err)
		}
		acc := &dynamo.Accounts{Table: tbl}
		if err := acc.Save(ctx, acc.NewBatch("hydro").Merchant(dynamo.Merchant{ID: "hydro", Name: "Hydro"})); err != nil {
			t.Fatalf("save merchant: %v", err)
		}
		// The file's valid rows go on to the erp-sync queue as one chunk.
		sqsc := testenv.SQS(t)
		q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(testenv.UniqueName("erp-sync"))})
		if err != nil {
			t.Fatalf("create queue: %v", err)
		}
		t.Cleanup(func() { _, _ = sqsc.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
		env := append(slices.Clone(baseEnv), "ERP_BUCKET="+bucket, "S3_PATH_STYLE=true", "ERP_SYNC_QUEUE_URL="+aws.ToString(q.QueueUrl))
		fn := startFunction(t, bin["erp-ingest"], env)
		event := withBucket(t, readFixture(t, "s3-erp-object-created.json"), bucket)

		var resp events.SQSEventResponse
		cold := fn.invoke(t, event, &resp)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch item failures %+v, want none", resp.BatchItemFailures)
		}
		// The same notification again (SQS delivers at least once): still one job.
		resp = events.SQSEventResponse{}
		warm := fn.invoke(t, event, &resp)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("redelivery: batch item failures %+v, want none", resp.BatchItemFailures)
		}
		jobs, err := (&dynamo.ImportJobs{Table: tbl}).Jobs(ctx, "hydro")
		if err != nil {
			t.Fatalf("list import jobs: %v", err)
		}
		if len(jobs) != 1 {
			t.Fatalf("%d import jobs %+v, want 1", len(jobs), jobs)
		}
		j := jobs[0]
		if j.Bucket != bucket || j.Key != "hydro/inbox/F_ARTICLE.csv" || j.File != "F_ARTICLE.csv" || j.Size != int64(len(content)) {
			t.Errorf("import job %+v", j)
		}
		// One chunk of the two articles, sent once: the redelivered
		// notification found the file streamed.
		var chunks []erp.Chunk
		testenv.WaitFor(t, 30*time.Second, func() (int, bool) {
			out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatalf("receive: %v", err)
			}
			for _, m := range out.Messages {
				var c erp.Chunk
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &c); err != nil {
					t.Fatalf("chunk %s: %v", aws.ToString(m.Body), err)
				}
				chunks = append(chunks, c)
			}
			return len(chunks), len(chunks) >= 1
		})
		if len(chunks) != 1 || chunks[0].Kind != erp.KindProducts || chunks[0].Job != j.ID || len(chunks[0].Records) != 2 ||
			chunks[0].Records[0].Product == nil || chunks[0].Records[0].Product.Ref != "VAN-PVC-50" {
			t.Errorf("chunks %+v, want one of the 2 articles of job %s", chunks, j.ID)
		}

		// Refused notifications: a key outside the inbox becomes a failed
		// job, an unknown merchant is acknowledged, and a message that is
		// not an S3 event is the only batch item failure.
		resp = events.SQSEventResponse{}
		fn.invoke(t, withBucket(t, readFixture(t, "sqs-erp-ingest-refused.json"), bucket), &resp)
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "8e3f4a5b-6c7d-4e8f-a09b-1c2d3e4f5a6b" {
			t.Errorf("batch item failures %+v, want the message that is not an S3 event", resp.BatchItemFailures)
		}
		if jobs, err = (&dynamo.ImportJobs{Table: tbl}).Jobs(ctx, "hydro"); err != nil || len(jobs) != 2 {
			t.Fatalf("%d import jobs %+v (%v), want the received one and a failed one", len(jobs), jobs, err)
		}
		if f := jobs[1]; f.Status != "failed" || f.Reason != "bad-key" || f.Key != "hydro/exports/F_ARTICLE.csv" {
			t.Errorf("failed import job %+v", f)
		}
		fn.report(t, cold, warm)
	})

	t.Run("stock-update", func(t *testing.T) {
		fn := startFunction(t, bin["stock-update"], baseEnv)
		// The sample holds a chunk of two ERP stock levels (as erp-sync
		// forwards it) and a message that is not a chunk.
		event := readFixture(t, "sqs-stock-update.json")
		var in events.SQSEvent
		if err := json.Unmarshal(event, &in); err != nil {
			t.Fatal(err)
		}
		if len(in.Records) != 2 {
			t.Fatalf("fixture has %d messages, want 2", len(in.Records))
		}
		poison := in.Records[1].MessageId
		// The chunk's import job, as erp-ingest records it.
		if _, err := (&dynamo.ImportJobs{Table: tbl}).Record(ctx, erp.ImportJob{ID: "5d41402abc4b2a76b9719d911017c592", Merchant: "hydro",
			Bucket: "comptoir-erp", Key: "hydro/inbox/F_ARTSTOCK.csv", File: "F_ARTSTOCK.csv", Status: erp.StatusReceived, ReceivedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		var resp events.SQSEventResponse
		cold := fn.invoke(t, event, &resp)
		// The chunk applies; the other message is refused (retried, then
		// dead-lettered), never dropped.
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != poison {
			t.Fatalf("batch item failures %+v, want only %s", resp.BatchItemFailures, poison)
		}
		acc := &dynamo.Accounts{Table: tbl}
		if err := acc.Save(ctx, acc.NewBatch("hydro").Warehouse(stock.Warehouse{ID: "LYON", Name: "Lyon", Country: "FR"})); err != nil {
			t.Fatal(err)
		}
		levels, err := (&dynamo.Orders{Table: tbl}).Levels(ctx, "hydro", []string{"VAN-PVC-50"})
		if err != nil {
			t.Fatal(err)
		}
		if l := levels["VAN-PVC-50"]; len(l) != 1 || l[0].OnHand != 120 || l[0].Available() != 112 {
			t.Errorf("levels of VAN-PVC-50 %+v, want 120 on hand, 112 available in LYON", l)
		}
		// Delivered again: the same state, the same answer.
		resp = events.SQSEventResponse{}
		warm := fn.invoke(t, event, &resp)
		if len(resp.BatchItemFailures) != 1 {
			t.Fatalf("warm: batch item failures %+v, want 1", resp.BatchItemFailures)
		}
		fn.report(t, cold, warm)
	})
}

// buildBinaries builds the emulator and the bootstrap of each function for
// the host into a temp dir, the way they are built for deployment (static,
// lambda.norpc, stripped).
func buildBinaries(t *testing.T, functions ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	start := time.Now()
	goEnv := append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0", "GOFLAGS=")

	out := map[string]string{"rie": filepath.Join(dir, "aws-lambda-rie")}
	var wg sync.WaitGroup
	errs := make([]error, len(functions)+1)
	build := func(i int, args ...string) {
		defer wg.Done()
		cmd := exec.Command("go", append([]string{"build"}, args...)...)
		cmd.Env = goEnv
		if b, err := cmd.CombinedOutput(); err != nil {
			errs[i] = fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, b)
		}
	}
	wg.Add(1)
	go build(0, "-o", out["rie"], "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	for i, f := range functions {
		out[f] = filepath.Join(dir, f, "bootstrap")
		wg.Add(1)
		go build(i+1, "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out[f], "github.com/comptoir/comptoir/functions/"+f)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range functions {
		if st, err := os.Stat(out[f]); err == nil {
			t.Logf("%s bootstrap: %.1f MB (linux/%s, stripped)", f, float64(st.Size())/1e6, runtime.GOARCH)
		}
	}
	t.Logf("built the emulator and %d bootstraps in %s", len(functions), time.Since(start).Round(time.Millisecond))
	return out
}

// functionEnv is the environment template.yaml gives every function, pointed
// at the local stand-ins.
func functionEnv(table string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"TABLE_NAME=" + table,
		"AUTH_ISSUER=http://127.0.0.1:9/comptoir-local",
		"AUTH_AUDIENCE=comptoir-local",
		"AUTH_JWKS_URL=http://127.0.0.1:9/comptoir-local/.well-known/jwks.json",
		"LOG_LEVEL=info",
		"CURSOR_KEY=" + cursor.NewKey(),
		"AWS_ACCESS_KEY_ID=" + testenv.Database(),
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_REGION=eu-west-3",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
	}
	if v := os.Getenv("COMPTOIR_DYNAMODB_ENDPOINT"); v != "" {
		env = append(env, "AWS_ENDPOINT_URL_DYNAMODB="+v)
	}
	if v := os.Getenv("COMPTOIR_SQS_ENDPOINT"); v != "" {
		env = append(env, "AWS_ENDPOINT_URL_SQS="+v, "AWS_ENDPOINT_URL_S3="+v)
	}
	return env
}

// function is one bootstrap running under the emulator.
type function struct {
	name      string
	url       string
	out       *syncBuffer
	bootstrap string
	env       []string
}

// startFunction runs bootstrap under the emulator on free loopback ports
// (never the emulator's defaults, 8080 and 9001) and waits until it accepts
// connections. The emulator and the bootstrap are killed at cleanup.
func startFunction(t *testing.T, bootstrap string, env []string) *function {
	t.Helper()
	rie := filepath.Join(filepath.Dir(filepath.Dir(bootstrap)), "aws-lambda-rie")
	name := filepath.Base(filepath.Dir(bootstrap))
	addr, apiAddr := freeAddr(t), freeAddr(t)
	out := &syncBuffer{}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append(slices.Clone(env), "AWS_LAMBDA_FUNCTION_NAME=comptoir-"+name)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the bootstrap is the emulator's child
	if err := cmd.Start(); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	// The emulator starts the bootstrap in a process group of its own: kill
	// its children first, then the emulator. WaitDelay stops Wait from
	// blocking on a pipe a stray process would still hold.
	cmd.WaitDelay = 3 * time.Second
	t.Cleanup(func() {
		for _, pid := range childrenOf(cmd.Process.Pid) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s emulator output:\n%s", name, out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the emulator does not listen on %s: %v\n%s", name, addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &function{name: name, url: "http://" + addr + "/2015-03-31/functions/function/invocations", out: out, bootstrap: bootstrap, env: cmd.Env}
}

// invoke posts event and decodes the function's response into v; it returns
// the round-trip time seen by the caller.
func (f *function) invoke(t *testing.T, event []byte, v any) time.Duration {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	resp, err := client.Post(f.url, "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatalf("%s: invoke: %v\n%s", f.name, err, f.out.String())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("%s: read response: %v", f.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: emulator answered %d: %s\n%s", f.name, resp.StatusCode, body, f.out.String())
	}
	// A function error comes back as 200 with an errorMessage document.
	var fnErr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(body, &fnErr) == nil && fnErr.ErrorMessage != "" {
		t.Fatalf("%s: function error %s: %s\n%s", f.name, fnErr.ErrorType, fnErr.ErrorMessage, f.out.String())
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: response %s: %v", f.name, body, err)
	}
	return elapsed
}

var initDurationRE = regexp.MustCompile(`REPORT RequestId: \S+\s+Init Duration: ([0-9.]+) ms\s+Duration: ([0-9.]+) ms`)

// report logs the init duration the emulator measured (bootstrap start to its
// first call for the next event, in its REPORT line) and the caller-side
// times of the cold and a warm invocation.
func (f *function) report(t *testing.T, cold, warm time.Duration) {
	t.Helper()
	initReport := "not reported"
	deadline := time.Now().Add(2 * time.Second)
	for {
		if m := initDurationRE.FindStringSubmatch(f.out.String()); m != nil {
			ms, _ := strconv.ParseFloat(m[1], 64)
			initReport = fmt.Sprintf("%.2f ms (first invoke duration %s ms)", ms, m[2])
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	median, all := measureInit(t, f.bootstrap, f.env, 7)
	runs := make([]string, len(all))
	for i, d := range all {
		runs[i] = fmt.Sprintf("%.1f", float64(d.Microseconds())/1000)
	}
	t.Logf("%s: init (process start to first /next) median %.2f ms over %d runs [%s ms]", f.name,
		float64(median.Microseconds())/1000, len(all), strings.Join(runs, " "))
	t.Logf("%s: emulator REPORT Init Duration %s; caller-side cold invoke %s, warm invoke %s, cold-warm %s",
		f.name, initReport, cold.Round(10*time.Microsecond), warm.Round(10*time.Microsecond), (cold - warm).Round(10*time.Microsecond))
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			if k, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids
}

// measureInit measures a bootstrap's init the way Lambda defines it: from
// the start of the process to its first request for an event
// (GET /runtime/invocation/next), against a stand-in runtime API that never
// hands out an event. It returns the median of n runs. The emulator's own
// "Init Duration" does not measure this: its init call returns before the
// runtime is up.
func measureInit(t *testing.T, bootstrap string, env []string, n int) (median time.Duration, all []time.Duration) {
	t.Helper()
	next := make(chan time.Time, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/runtime/invocation/next") {
			select {
			case next <- time.Now():
			default:
			}
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	for range n {
		cmd := exec.Command(bootstrap)
		cmd.Env = append(slices.Clone(env), "AWS_LAMBDA_RUNTIME_API="+l.Addr().String(),
			"AWS_LAMBDA_FUNCTION_NAME=comptoir-init-probe", "_HANDLER=bootstrap")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bootstrap, err)
		}
		select {
		case at := <-next:
			all = append(all, at.Sub(start))
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("%s never asked for an event", bootstrap)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	return sorted[len(sorted)/2], all
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "events", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// withBucket returns the SQS event with every S3 notification's bucket
// renamed to bucket.
func withBucket(t *testing.T, event []byte, bucket string) []byte {
	t.Helper()
	var ev events.SQSEvent
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	for i, m := range ev.Records {
		var n map[string]any
		if json.Unmarshal([]byte(m.Body), &n) != nil {
			continue
		}
		recs, _ := n["Records"].([]any)
		for _, r := range recs {
			if s3, ok := r.(map[string]any)["s3"].(map[string]any); ok {
				b := s3["bucket"].(map[string]any)
				b["name"], b["arn"] = bucket, "arn:aws:s3:::"+bucket
			}
		}
		body, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		ev.Records[i].Body = string(body)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withHost returns the API Gateway event with another Host header.
func withHost(t *testing.T, event []byte, host string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	ev["headers"].(map[string]any)["host"] = host
	ev["requestContext"].(map[string]any)["domainName"] = host
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func header(r events.APIGatewayV2HTTPResponse, name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range r.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func responseBody(t *testing.T, r events.APIGatewayV2HTTPResponse) []byte {
	t.Helper()
	if !r.IsBase64Encoded {
		return []byte(r.Body)
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatalf("base64 body: %v", err)
	}
	return b
}

// syncBuffer collects the emulator's output from two pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
