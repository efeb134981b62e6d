package devstack_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/wiring"
)

// running is a local stack started for one test, with its own names.
type running struct {
	*devstack.Stack
	URL    string
	Issuer *auth.DevIssuer
}

// startStack provisions a uniquely named stack, serves its gateway on a
// loopback port and runs its pollers; everything stops at cleanup, and the
// test fails if something does not stop.
func startStack(t *testing.T, modify func(*devstack.Config)) *running {
	t.Helper()
	ddb := testenv.Endpoint(t, testenv.DynamoDBEndpointVar)
	sqsURL := testenv.Endpoint(t, testenv.SQSEndpointVar)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	iss, err := auth.NewDevIssuer(base+"/dev-issuer", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	// Each stack works in a DynamoDB Local database of its own.
	prefix := testenv.UniqueName("t")
	cfg := devstack.Config{
		TemplatePath:      filepath.Join("..", "..", "template.yaml"),
		DynamoDBEndpoint:  ddb,
		SQSEndpoint:       sqsURL,
		Prefix:            prefix,
		Database:          prefix,
		Issuer:            iss,
		JWKSURL:           base + "/.well-known/jwks.json",
		VisibilityTimeout: time.Second,
	}
	if modify != nil {
		modify(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := devstack.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var serveErr error
	wg.Add(2)
	go func() { defer wg.Done(); serveErr = devstack.Serve(ctx, ln, st.Gateway) }()
	go func() { defer wg.Done(); _ = st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the stack did not stop within 10s of its context being cancelled")
		}
		if serveErr != nil {
			t.Errorf("serve: %v", serveErr)
		}
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		if err := localaws.DeleteTable(cctx, st.Clients.DynamoDB, st.Resources.TableName); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return &running{Stack: st, URL: base, Issuer: iss}
}

func TestProvision_CreatesWhatTheTemplateSays(t *testing.T) {
	t.Parallel()
	st := startStack(t, nil)
	ctx := context.Background()

	// Table: keys, indexes and TTL as declared.
	out, err := st.Clients.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(st.Resources.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(out.Table.GlobalSecondaryIndexes); got != len(st.Template.Table.GSIs) {
		t.Errorf("%d indexes, want %d", got, len(st.Template.Table.GSIs))
	}
	for _, g := range out.Table.GlobalSecondaryIndexes {
		if g.Projection.ProjectionType != ddbtypes.ProjectionTypeAll {
			t.Errorf("index %s projection %s", aws.ToString(g.IndexName), g.Projection.ProjectionType)
		}
	}
	ttl, err := st.Clients.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(st.Resources.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ttl.TimeToLiveDescription.AttributeName) != dynamo.AttrExpires {
		t.Errorf("TTL %+v", ttl.TimeToLiveDescription)
	}

	// Queues: every template queue, the redrive policies pointing at the DLQs.
	if len(st.Resources.Queues) != len(st.Template.Queues) {
		t.Errorf("%d queues provisioned, template has %d", len(st.Resources.Queues), len(st.Template.Queues))
	}
	for _, q := range st.Template.Queues {
		pq, ok := st.Resources.Queues[q.LogicalID]
		if !ok {
			t.Errorf("queue %s not provisioned", q.LogicalID)
			continue
		}
		attrs, err := st.Clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(pq.URL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		if attrs.Attributes["VisibilityTimeout"] != "1" {
			t.Errorf("%s visibility %s, want the local override 1", q.LogicalID, attrs.Attributes["VisibilityTimeout"])
		}
		if q.DLQ == "" {
			continue
		}
		var rp struct {
			Target string `json:"deadLetterTargetArn"`
			Max    any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(attrs.Attributes["RedrivePolicy"]), &rp); err != nil {
			t.Errorf("%s redrive policy %q: %v", q.LogicalID, attrs.Attributes["RedrivePolicy"], err)
			continue
		}
		if rp.Target != st.Resources.Queues[q.DLQ].ARN || strings.Trim(strings.TrimSpace(jsonString(rp.Max)), `"`) != strconv.Itoa(q.MaxReceiveCount) {
			t.Errorf("%s redrive policy %+v, want target %s max %d", q.LogicalID, rp, st.Resources.Queues[q.DLQ].ARN, q.MaxReceiveCount)
		}
	}

	// Bucket.
	if _, err := st.Clients.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(st.Resources.BucketName)}); err != nil {
		t.Errorf("bucket %s: %v", st.Resources.BucketName, err)
	}

	// Function environments resolve to the provisioned names.
	f, _ := st.Template.Function("order-events")
	env, err := st.Resources.Environ(f, devstack.LocalEnv{Issuer: "i", Audience: "a", JWKSURL: "j", CacheTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if env["TABLE_NAME"] != st.Resources.TableName || env["ORDER_EXPORT_QUEUE_URL"] != st.Resources.Queues["OrderExportQueue"].URL ||
		env["AUTH_ISSUER"] != "i" || env["S3_PATH_STYLE"] != "true" || env["CACHE_TTL"] != "1s" {
		t.Errorf("order-events env %v", env)
	}
	if _, ok := env["CURSOR_KEY"]; ok {
		t.Error("order-events is given the cursor key")
	}
	// The catalog seals its cursors with the key generated at start, or the
	// one the runner is given.
	cf, _ := st.Template.Function("catalog")
	for given, want := range map[string]string{"": st.Resources.CursorKey, "given": "given"} {
		env, err := st.Resources.Environ(cf, devstack.LocalEnv{CursorKey: given})
		if err != nil {
			t.Fatal(err)
		}
		if k, err := cursor.ParseKey(st.Resources.CursorKey); err != nil || len(k) != cursor.KeySize || env["CURSOR_KEY"] != want {
			t.Errorf("catalog CURSOR_KEY %q, want %q (%v)", env["CURSOR_KEY"], want, err)
		}
	}

	// Provisioning again changes nothing and fails on nothing.
	again, err := devstack.Provision(ctx, st.Template, st.Clients, devstack.ProvisionOptions{Prefix: st.Resources.Prefix, VisibilityTimeout: time.Second})
	if err != nil {
		t.Fatalf("second provisioning: %v", err)
	}
	for id, q := range again.Queues {
		if q.URL != st.Resources.Queues[id].URL || q.ARN != st.Resources.Queues[id].ARN {
			t.Errorf("queue %s changed: %+v vs %+v", id, q, st.Resources.Queues[id])
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func do(t *testing.T, method, url, host, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestStack_RoutesReachTheDeployedHandlers(t *testing.T) {
	t.Parallel()
	st := startStack(t, nil)
	ctx := context.Background()
	sf := merchant.Storefront{ID: "fr", Merchant: "shop", Host: "shop-fr.localhost", Country: "FR", Language: "fr", Currency: "EUR", Mode: merchant.Open, MerchantLanguage: "fr"}
	if err := (&dynamo.Storefronts{Table: st.Table()}).Save(ctx, []merchant.Storefront{sf}); err != nil {
		t.Fatal(err)
	}

	t.Run("known storefront gets the catalog as JSON", func(t *testing.T) {
		resp, body := do(t, "GET", st.URL+"/catalog/categories", "shop-fr.localhost:3000", "")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var out struct {
			Categories []json.RawMessage `json:"categories"`
		}
		if err := json.Unmarshal(body, &out); err != nil || out.Categories == nil {
			t.Errorf("body %s: %v", body, err)
		}
		if resp.Header.Get("Apigw-Requestid") == "" {
			t.Error("no Apigw-Requestid header")
		}
	})
	t.Run("unknown host gets the catalog's problem", func(t *testing.T) {
		resp, body := do(t, "GET", st.URL+"/catalog/categories", "nowhere.localhost:3000", "")
		var p struct {
			Type string `json:"type"`
		}
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" ||
			json.Unmarshal(body, &p) != nil || p.Type != "https://comptoir.dev/problems/unknown-storefront" {
			t.Errorf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("authorized route without a token is refused by the authorizer", func(t *testing.T) {
		resp, body := do(t, "GET", st.URL+"/orders", "shop-fr.localhost:3000", "")
		if resp.StatusCode != 401 || strings.TrimSpace(string(body)) != `{"message":"Unauthorized"}` {
			t.Errorf("%d: %s", resp.StatusCode, body)
		}
	})
	t.Run("authorized route with a dev token reaches its function", func(t *testing.T) {
		tok, err := st.Issuer.Sign(identity.Caller{Role: identity.Staff, Subject: "s1", Merchant: "shop"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := do(t, "GET", st.URL+"/orders", "shop-fr.localhost:3000", tok)
		// The orders function answers the staff member's list: the
		// request went past the authorizer to the function.
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), `"items"`) {
			t.Errorf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("unrouted path", func(t *testing.T) {
		resp, body := do(t, "GET", st.URL+"/nothing/here", "shop-fr.localhost:3000", "")
		if resp.StatusCode != 404 || strings.TrimSpace(string(body)) != `{"message":"Not Found"}` {
			t.Errorf("%d: %s", resp.StatusCode, body)
		}
	})
}

func TestStack_FailedMessageIsRetriedThenDeadLettered(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := map[string]int{}
	handler := func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		mu.Lock()
		defer mu.Unlock()
		for _, m := range ev.Records {
			calls[m.Body]++
			if m.EventSource != "aws:sqs" || m.EventSourceARN == "" || m.Attributes["ApproximateReceiveCount"] != strconv.Itoa(calls[m.Body]) {
				calls["bad-event"]++
			}
			if m.Body == "fail" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return resp, nil
	}
	st := startStack(t, func(c *devstack.Config) {
		c.QueueHandlers = map[string]wiring.QueueHandler{"erp-sync": handler}
	})
	ctx := context.Background()
	q := st.Resources.Queues["ErpSyncQueue"]
	dlq := st.Resources.Queues[q.DLQ]
	for _, body := range []string{"ok", "fail"} {
		if _, err := st.Clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	var dead []sqstypes.Message
	for len(dead) == 0 && time.Now().Before(deadline) {
		out, err := st.Clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.URL), WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		dead = out.Messages
	}
	if len(dead) != 1 || aws.ToString(dead[0].Body) != "fail" {
		t.Fatalf("dead-letter queue holds %v", dead)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["fail"] != q.MaxReceiveCount {
		t.Errorf("failing message handled %d times, want maxReceiveCount %d", calls["fail"], q.MaxReceiveCount)
	}
	if calls["ok"] != 1 {
		t.Errorf("successful message handled %d times, want 1 (it must be deleted)", calls["ok"])
	}
	if calls["bad-event"] != 0 {
		t.Errorf("%d events lacked source, ARN or receive count", calls["bad-event"])
	}
}

func TestStack_HandlerErrorRetriesTheWholeBatch(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	st := startStack(t, func(c *devstack.Config) {
		c.QueueHandlers = map[string]wiring.QueueHandler{"vat-threshold": func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			if calls.Add(1) == 1 {
				return events.SQSEventResponse{}, errors.New("cold start failure")
			}
			return events.SQSEventResponse{}, nil
		}}
	})
	ctx := context.Background()
	q := st.Resources.Queues["VatThresholdQueue"]
	if _, err := st.Clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if calls.Load() < 2 {
		t.Fatalf("message delivered %d times after a handler error, want a retry", calls.Load())
	}
	time.Sleep(2500 * time.Millisecond) // more than the visibility timeout
	if n := calls.Load(); n != 2 {
		t.Errorf("handled %d times, want 2: the retry succeeded and must delete the message", n)
	}
}

func TestStack_ObjectInBucketBecomesAnImportJob(t *testing.T) {
	t.Parallel()
	st := startStack(t, nil)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: st.Table()}
	if err := acc.Save(ctx, acc.NewBatch("hydro").Merchant(dynamo.Merchant{ID: "hydro", Name: "Hydro"})); err != nil {
		t.Fatal(err)
	}
	key := "hydro/inbox/articles 2026+v2.csv"
	put, err := st.Clients.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(st.Resources.BucketName), Key: aws.String(key), Body: strings.NewReader("AR_Ref;AR_Design\nP-100;Pompe\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	jobs := &dynamo.ImportJobs{Table: st.Table()}
	var got []erp.ImportJob
	deadline := time.Now().Add(20 * time.Second)
	for len(got) == 0 && time.Now().Before(deadline) {
		if got, err = jobs.Jobs(ctx, "hydro"); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d import jobs, want 1", len(got))
	}
	j := got[0]
	if j.Key != key || j.File != "articles 2026+v2.csv" || j.Bucket != st.Resources.BucketName ||
		j.ETag != strings.Trim(aws.ToString(put.ETag), `"`) || j.Size != 29 || j.Sequencer == "" || j.Status != "received" {
		t.Errorf("job %+v", j)
	}

	// The same object again is not a new event; a new version is.
	time.Sleep(1200 * time.Millisecond)
	if got, _ = jobs.Jobs(ctx, "hydro"); len(got) != 1 {
		t.Errorf("%d jobs without a new upload, want 1", len(got))
	}
	if _, err := st.Clients.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(st.Resources.BucketName), Key: aws.String(key), Body: strings.NewReader("AR_Ref;AR_Design\nP-100;Pompe doseuse\n"),
	}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if got, err = jobs.Jobs(ctx, "hydro"); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d jobs after a second upload, want 2", len(got))
	}
	if got[0].Sequencer == got[1].Sequencer {
		t.Error("two uploads share a sequencer")
	}
}
