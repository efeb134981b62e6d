package wiring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/wiring"
)

// ingestEnv is an ERP bucket on the local S3, a table on DynamoDB Local
// holding the merchant "hydro", and the erp-ingest function's
// dependencies built by wiring.Load from the environment template.yaml
// gives it.
type ingestEnv struct {
	table  dynamo.Table
	s3     *s3.Client
	bucket string
	deps   wiring.Deps
	logs   *syncBuffer
}

func newIngestEnv(t *testing.T) *ingestEnv {
	t.Helper()
	tbl := testenv.Table(t)
	s3c := testenv.S3(t)
	ctx := context.Background()
	e := &ingestEnv{table: tbl, s3: s3c, bucket: testenv.UniqueName("erp"), logs: &syncBuffer{}}
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emptyAndDeleteBucket(s3c, e.bucket) })
	acc := &dynamo.Accounts{Table: tbl}
	if err := acc.Save(ctx, acc.NewBatch("hydro").Merchant(dynamo.Merchant{ID: "hydro", Name: "Hydro", Country: "FR", DefaultLanguage: "fr", Currency: "EUR"})); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"TABLE_NAME": tbl.Name, "ERP_BUCKET": e.bucket, "S3_PATH_STYLE": "true", "LOG_LEVEL": "debug",
		"AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": testenv.Database(), "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.DynamoDBEndpointVar),
		"AWS_ENDPOINT_URL_S3":       testenv.Endpoint(t, testenv.SQSEndpointVar),
	}
	d, err := wiring.Load(ctx, "erp-ingest", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if d.S3 == nil {
		t.Fatal("erp-ingest has no S3 client")
	}
	d.Logger = logging.New(e.logs, "erp-ingest", slog.LevelDebug)
	e.deps = d
	return e
}

// put stores an object and returns the event S3 sends for it.
func (e *ingestEnv) put(t *testing.T, key, content string) erp.ObjectCreated {
	t.Helper()
	out, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), Body: strings.NewReader(content)})
	if err != nil {
		t.Fatal(err)
	}
	return erp.ObjectCreated{Bucket: e.bucket, Key: key, Size: int64(len(content)), ETag: strings.Trim(aws.ToString(out.ETag), `"`), Sequencer: "0067463F8E2B5A1C4D"}
}

func (e *ingestEnv) jobs(t *testing.T, m merchant.ID) []erp.ImportJob {
	t.Helper()
	jobs, err := (&dynamo.ImportJobs{Table: e.table}).Jobs(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// notification renders the SQS message S3 sends for ev: the key
// form-encoded segment by segment, as S3 does.
func notification(ev erp.ObjectCreated) string {
	segs := strings.Split(ev.Key, "/")
	for i, s := range segs {
		segs[i] = url.QueryEscape(s)
	}
	b, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-3", "eventName": "ObjectCreated:Put",
		"eventTime": "2026-11-26T21:05:12.345Z",
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "ErpInbox",
			"bucket": map[string]any{"name": ev.Bucket, "arn": "arn:aws:s3:::" + ev.Bucket},
			"object": map[string]any{"key": strings.Join(segs, "/"), "size": ev.Size, "eTag": ev.ETag, "sequencer": ev.Sequencer},
		},
	}}})
	return string(b)
}

// deliver invokes h with one SQS message and returns whether it was
// reported as failed (to be retried).
func deliver(t *testing.T, h wiring.QueueHandler, id, body string) bool {
	t.Helper()
	resp, err := h(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: id, Body: body, EventSource: "aws:sqs", Attributes: map[string]string{"ApproximateReceiveCount": "1"},
	}}})
	if err != nil {
		t.Fatalf("handler error %v: a handler error retries the whole batch", err)
	}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier != id {
			t.Fatalf("batch item failure %q is not the message %q", f.ItemIdentifier, id)
		}
	}
	return len(resp.BatchItemFailures) > 0
}

func TestERPIngest_ChecksBucketMerchantKeyAndObject(t *testing.T) {
	t.Parallel()
	e := newIngestEnv(t)
	h := wiring.ERPIngest(e.deps)
	ctx := context.Background()

	good := e.put(t, "hydro/inbox/articles 2026+v2.csv", "AR_Ref;AR_Design\nP-100;Pompe\n")
	e.put(t, "ghost/inbox/F_ARTICLE.csv", "AR_Ref\n")
	outside := e.put(t, "hydro/exports/F_ARTICLE.csv", "AR_Ref\n")
	deleted := e.put(t, "hydro/inbox/deleted.csv", "AR_Ref\n")
	if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(deleted.Key)}); err != nil {
		t.Fatal(err)
	}
	old := e.put(t, "hydro/inbox/F_TARIF.csv", "AR_Ref;TF_Prix\nP-100;10\n")
	replacement := e.put(t, "hydro/inbox/F_TARIF.csv", "AR_Ref;TF_Prix\nP-100;12.50\n")
	longKey := "hydro/inbox/" + strings.Repeat("x", 3000) + ".csv"

	cases := []struct {
		name   string
		ev     erp.ObjectCreated
		status string     // "" when nothing is stored
		reason erp.Reason // logged or stored
	}{
		{"object as notified", good, erp.StatusReceived, ""},
		{"replacement version", replacement, erp.StatusReceived, ""},
		{"foreign bucket", erp.ObjectCreated{Bucket: "someone-else", Key: good.Key, Size: good.Size, ETag: good.ETag}, "", erp.ReasonForeignBucket},
		{"unknown merchant", erp.ObjectCreated{Bucket: e.bucket, Key: "ghost/inbox/F_ARTICLE.csv", Size: 7, ETag: good.ETag}, "", erp.ReasonUnknownMerchant},
		{"over-long merchant", erp.ObjectCreated{Bucket: e.bucket, Key: strings.Repeat("m", 3000) + "/inbox/x.csv", Size: 7, ETag: good.ETag}, "", erp.ReasonUnknownMerchant},
		{"outside the inbox", outside, erp.StatusFailed, erp.ReasonBadKey},
		{"over-long key", erp.ObjectCreated{Bucket: e.bucket, Key: longKey, Size: 7, ETag: good.ETag}, erp.StatusFailed, erp.ReasonBadKey},
		{"over-long ETag", erp.ObjectCreated{Bucket: e.bucket, Key: good.Key, Size: good.Size, ETag: strings.Repeat("e", 3000)}, erp.StatusFailed, erp.ReasonBadEvent},
		{"object never created", erp.ObjectCreated{Bucket: e.bucket, Key: "hydro/inbox/never.csv", Size: 7, ETag: good.ETag}, erp.StatusFailed, erp.ReasonObjectMissing},
		{"deleted object", deleted, erp.StatusFailed, erp.ReasonObjectMissing},
		{"replaced object", old, erp.StatusFailed, erp.ReasonObjectReplaced},
	}
	want := 0
	for i, c := range cases {
		before := len(e.jobs(t, "hydro"))
		logged := strings.Count(e.logs.String(), `"reason":"`+string(c.reason)+`"`)
		body := notification(c.ev)
		for delivery := range 2 { // SQS delivers at least once
			if deliver(t, h, fmt.Sprintf("m%d-%d", i, delivery), body) {
				t.Errorf("%s: reported as failed: it would be retried, then dead-lettered", c.name)
			}
		}
		jobs := e.jobs(t, "hydro")
		if c.status == "" {
			if len(jobs) != before {
				t.Errorf("%s: %d jobs, want %d: nothing is stored", c.name, len(jobs), before)
			}
			if n := strings.Count(e.logs.String(), `"reason":"`+string(c.reason)+`"`) - logged; n != 2 {
				t.Errorf("%s: %d log lines with reason %s, want one per delivery", c.name, n, c.reason)
			}
			continue
		}
		want++
		if len(jobs) != want {
			t.Fatalf("%s: %d jobs, want %d (one per object version)", c.name, len(jobs), want)
		}
		var j *erp.ImportJob
		for k := range jobs {
			if jobs[k].ID == erp.JobID(c.ev.Key, c.ev.ETag) {
				j = &jobs[k]
			}
		}
		if j == nil {
			t.Fatalf("%s: no job %s in %+v", c.name, erp.JobID(c.ev.Key, c.ev.ETag), jobs)
		}
		if j.Status != c.status || j.Reason != c.reason || j.Merchant != "hydro" || j.Bucket != e.bucket || len(j.Key) > erp.MaxKeyBytes {
			t.Errorf("%s: job %+v", c.name, j)
		}
		if c.status == erp.StatusReceived && (j.Key != c.ev.Key || j.ETag != c.ev.ETag || j.Size != c.ev.Size || j.File == "") {
			t.Errorf("%s: job %+v, want the event's key, ETag and size", c.name, j)
		}
	}
	if jobs := e.jobs(t, "ghost"); len(jobs) != 0 {
		t.Errorf("jobs under an unknown merchant: %+v", jobs)
	}
	for line := range strings.SplitSeq(e.logs.String(), "\n") {
		if len(line) > 2000 {
			t.Errorf("log line of %d bytes: %.200s…", len(line), line)
		}
	}
}

func TestERPIngest_PoisonAndUnavailableStoresAreRetried(t *testing.T) {
	t.Parallel()
	e := newIngestEnv(t)
	ev := e.put(t, "hydro/inbox/F_ARTICLE.csv", "AR_Ref;AR_Design\nP-100;Pompe\n")
	dead := closedAddr(t)

	noTable := e.deps
	noTable.DynamoDB = dynamodb.NewFromConfig(aws.Config{Region: "eu-west-3", Credentials: e.deps.DynamoDB.Options().Credentials}, func(o *dynamodb.Options) {
		o.BaseEndpoint, o.RetryMaxAttempts = aws.String(dead), 1
	})
	noBucket := e.deps
	noBucket.S3 = s3.NewFromConfig(aws.Config{Region: "eu-west-3", Credentials: e.deps.S3.Options().Credentials}, func(o *s3.Options) {
		o.BaseEndpoint, o.RetryMaxAttempts, o.UsePathStyle = aws.String(dead), 1, true
	})

	for _, c := range []struct {
		name string
		deps wiring.Deps
		body string
	}{
		{"not JSON", e.deps, "nope"},
		{"not an S3 event", e.deps, `{"merchant":"hydro","ref":"P-100"}`},
		{"table unreachable", noTable, notification(ev)},
		{"bucket unreachable", noBucket, notification(ev)},
	} {
		if !deliver(t, wiring.ERPIngest(c.deps), "m1", c.body) {
			t.Errorf("%s: acknowledged; it must be retried, then dead-lettered", c.name)
		}
	}
	if jobs := e.jobs(t, "hydro"); len(jobs) != 0 {
		t.Fatalf("jobs %+v after failed deliveries, want none", jobs)
	}
	// Once the table and the bucket answer again, the retry records the job.
	if deliver(t, wiring.ERPIngest(e.deps), "m1", notification(ev)) {
		t.Fatal("retry failed")
	}
	if jobs := e.jobs(t, "hydro"); len(jobs) != 1 || jobs[0].Status != erp.StatusReceived {
		t.Errorf("jobs %+v, want one received", jobs)
	}
}

func TestLoad_OnlyTheBucketsFunctionsBuildAnS3Client(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "t", "ERP_BUCKET": "b", "AWS_REGION": "eu-west-3",
		"CURSOR_KEY": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}
	getenv := func(k string) string { return env[k] }
	for fn := range wiring.QueueFunctions {
		d, err := wiring.Load(context.Background(), fn, getenv)
		if err != nil {
			t.Fatal(err)
		}
		if (d.S3 != nil) != (fn == "erp-ingest" || fn == "order-export") {
			t.Errorf("%s: S3 client %v", fn, d.S3 != nil)
		}
	}
	for fn := range wiring.StreamFunctions {
		if d, err := wiring.Load(context.Background(), fn, getenv); err != nil || d.S3 != nil || d.SQS == nil {
			t.Errorf("%s: S3 client %v, SQS client %v, err %v", fn, d.S3 != nil, d.SQS != nil, err)
		}
	}
	for fn := range wiring.APIFunctions {
		// The admin function reads the import reports from the bucket.
		if d, err := wiring.Load(context.Background(), fn, getenv); err != nil || (d.S3 != nil) != (fn == "admin") {
			t.Errorf("%s: S3 client %v, err %v", fn, d.S3 != nil, err)
		}
	}
	for fn := range map[string]bool{"erp-ingest": true, "erp-sync": true} {
		if d, err := wiring.Load(context.Background(), fn, getenv); err != nil || d.SQS == nil {
			t.Errorf("%s sends to a queue: SQS client %v, err %v", fn, d.SQS != nil, err)
		}
	}
	delete(env, "ERP_BUCKET")
	if _, err := wiring.Load(context.Background(), "erp-ingest", getenv); err == nil {
		t.Error("erp-ingest loaded without ERP_BUCKET")
	}
	if d, err := wiring.Load(context.Background(), "admin", getenv); err != nil || d.S3 != nil {
		t.Errorf("admin without ERP_BUCKET: S3 client %v, err %v; it serves without the reports", d.S3 != nil, err)
	}
}

// closedAddr returns the URL of a loopback port nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func emptyAndDeleteBucket(c *s3.Client, bucket string) {
	ctx := context.Background()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}

// syncBuffer collects log lines.
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
