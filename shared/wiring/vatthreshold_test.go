package wiring_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/vatledger"
	"github.com/comptoir/comptoir/shared/wiring"
)

// vatEnv is a table on DynamoDB Local and the vat-threshold function's
// dependencies built by wiring.Load from its environment.
type vatEnv struct {
	table  dynamo.Table
	deps   wiring.Deps
	logs   *syncBuffer
	ledger *dynamo.VATLedger
}

func newVATEnv(t *testing.T) *vatEnv {
	t.Helper()
	tbl := testenv.Table(t)
	env := map[string]string{
		"TABLE_NAME": tbl.Name, "LOG_LEVEL": "debug",
		"AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": testenv.Database(), "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.DynamoDBEndpointVar),
	}
	d, err := wiring.Load(context.Background(), "vat-threshold", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	e := &vatEnv{table: tbl, logs: &syncBuffer{}, ledger: &dynamo.VATLedger{Table: tbl}}
	d.Logger = logging.New(e.logs, "vat-threshold", slog.LevelDebug)
	e.deps = d
	return e
}

func placed(m merchant.ID, order, shipTo, net, placedAt string) orderevent.Event {
	n := decimal.RequireFromString(net)
	vat := n.Mul(decimal.RequireFromString("0.21")).Round(2)
	t, err := time.Parse(time.RFC3339, placedAt)
	if err != nil {
		panic(err)
	}
	return orderevent.Event{
		ID: "ev-" + order + "-placed", Type: orderevent.Placed, Merchant: m, OccurredAt: t,
		Order: orderevent.Order{
			ID: order, PlacedAt: t, Customer: "cust-" + order, CustomerKind: orderevent.Consumer,
			ShipFrom: "FR", ShipTo: shipTo, Currency: "EUR", Net: n, VAT: vat, Gross: n.Add(vat), NetEUR: n,
		},
	}
}

func cancelled(p orderevent.Event) orderevent.Event {
	p.ID, p.Type, p.OccurredAt = "ev-"+p.Order.ID+"-cancelled", orderevent.Cancelled, p.OccurredAt.Add(time.Hour)
	return p
}

func body(t *testing.T, ev orderevent.Event) string {
	t.Helper()
	b, err := orderevent.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// vatQueue creates the vat-threshold queue and its dead-letter queue on
// the local SQS as template.yaml declares them (redrive policy and
// maxReceiveCount), with a one-second visibility timeout so that retries
// come within seconds.
func vatQueue(t *testing.T, c *sqs.Client) (q, dlq devstack.Queue) {
	t.Helper()
	tpl, err := testenv.Template()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tq := range tpl.Queues {
		if tq.LogicalID == "VatThresholdQueue" {
			q = devstack.Queue{LogicalID: tq.LogicalID, DLQ: tq.DLQ, MaxReceiveCount: tq.MaxReceiveCount, VisibilityTimeout: time.Second}
		}
	}
	if q.DLQ != "VatThresholdDLQ" || q.MaxReceiveCount < 2 {
		t.Fatalf("template.yaml's vat-threshold queue %+v has no dead-letter queue", q)
	}
	create := func(name string, attrs map[string]string) devstack.Queue {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		url := aws.ToString(out.QueueUrl)
		t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}) })
		a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		return devstack.Queue{Name: name, URL: url, ARN: a.Attributes["QueueArn"]}
	}
	dlq = create(testenv.UniqueName("vat-dlq"), nil)
	redrive, _ := json.Marshal(map[string]any{"deadLetterTargetArn": dlq.ARN, "maxReceiveCount": q.MaxReceiveCount})
	made := create(testenv.UniqueName("vat"), map[string]string{"VisibilityTimeout": "1", "RedrivePolicy": string(redrive)})
	q.Name, q.URL, q.ARN = made.Name, made.URL, made.ARN
	return q, dlq
}

// TestVATThreshold_EventsOnTheRealQueueMoveTheLedger sends order events
// to the local SQS queue, read by a poller playing the event source
// mapping (batches of 10, partial batch failures) in front of the deployed
// handler: a stream that crosses the threshold in the middle, with
// duplicates, a cancellation before its placement and one after, B2B and
// domestic orders, and a recomputation request, ends in the exact ledger
// with one alert; poison messages reach the dead-letter queue after
// maxReceiveCount deliveries, and nothing else does.
func TestVATThreshold_EventsOnTheRealQueueMoveTheLedger(t *testing.T) {
	t.Parallel()
	e := newVATEnv(t)
	client := testenv.SQS(t)
	q, dlq := vatQueue(t, client)
	var mu sync.Mutex
	deliveries := map[string]int{}
	h := wiring.VATThreshold(e.deps)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p := &devstack.Poller{
		Client: client, Queue: q, Function: "vat-threshold", BatchSize: 10, ReportBatchItemFailures: true, Wait: time.Second,
		Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			mu.Lock()
			for _, m := range ev.Records {
				deliveries[m.Body]++
			}
			mu.Unlock()
			return h(ctx, ev)
		},
	}
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	const m = "hairstore"
	var bodies []string
	want := decimal.Zero
	for i := range 12 { // 12 × 1,000 = 12,000: the 11th takes the total over
		ev := placed(m, fmt.Sprintf("CMD-%03d", i), []string{"BE", "DE", "IT"}[i%3], "1000.00", "2026-05-01T10:00:00Z")
		bodies = append(bodies, body(t, ev))
		want = want.Add(ev.Order.NetEUR)
		if i%4 == 0 {
			bodies = append(bodies, body(t, ev)) // delivered twice
		}
	}
	gone := placed(m, "CMD-900", "BE", "700.00", "2026-05-02T10:00:00Z")
	early := placed(m, "CMD-901", "ES", "800.00", "2026-05-02T10:00:00Z")
	bodies = append(bodies, body(t, gone), body(t, cancelled(gone)), body(t, cancelled(early)))
	pro := placed(m, "CMD-902", "BE", "5000.00", "2026-05-02T10:00:00Z")
	pro.Order.CustomerKind = orderevent.Pro
	domestic := placed(m, "CMD-903", "FR", "5000.00", "2026-05-02T10:00:00Z")
	bodies = append(bodies, body(t, pro), body(t, domestic))
	recompute, _ := json.Marshal(vatledger.NewRecomputeRequest(m, "claire@hairstore.fr", "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"))
	bodies = append(bodies, string(recompute))
	version2 := strings.Replace(body(t, placed(m, "CMD-999", "BE", "1.00", "2026-05-02T10:00:00Z")), `"version":1`, `"version":2`, 1)
	poison := []string{"nope", version2}
	for _, b := range append(bodies, poison...) {
		if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	// The late placement of the order cancelled first comes after
	// everything else.
	if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body(t, early))}); err != nil {
		t.Fatal(err)
	}

	var dead []string
	testenv.WaitFor(t, 90*time.Second, func() ([]string, bool) {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.URL), WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range out.Messages {
			dead = append(dead, aws.ToString(msg.Body))
		}
		return dead, len(dead) >= len(poison)
	})
	if len(dead) != 2 || !(dead[0] == poison[0] && dead[1] == poison[1] || dead[0] == poison[1] && dead[1] == poison[0]) {
		t.Fatalf("dead-letter queue holds %q, want the two poison messages only", dead)
	}
	on, _ := time.Parse(time.RFC3339, "2026-06-01T00:00:00Z")
	st := testenv.WaitFor(t, 30*time.Second, func() (vatledger.State, bool) {
		st, err := e.ledger.State(context.Background(), m, on)
		if err != nil {
			t.Fatal(err)
		}
		return st, st.Total(2026, vatledger.EU).Equal(want)
	})
	for c, w := range map[string]string{"BE": "4000", "DE": "4000", "IT": "4000", "ES": "0", "FR": "0"} {
		if got := st.Total(2026, c); !got.Equal(decimal.RequireFromString(w)) {
			t.Errorf("total %s %s, want %s", c, got, w)
		}
	}
	if d := st.DistanceSale("PT", decimal.NewFromInt(1), on); !d.Destination {
		t.Errorf("after the crossing: %+v", d)
	}
	as, err := e.ledger.Alerts(context.Background(), m)
	if err != nil || len(as) != 1 || as[0].ID != "2026-EU" {
		t.Errorf("alerts %+v, %v: want exactly one", as, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range poison {
		if deliveries[p] != q.MaxReceiveCount {
			t.Errorf("poison %.30q delivered %d times, want maxReceiveCount %d", p, deliveries[p], q.MaxReceiveCount)
		}
	}
	for _, b := range bodies {
		if deliveries[b] == 0 {
			t.Errorf("never delivered: %.80s", b)
		}
	}
	if !strings.Contains(e.logs.String(), `"msg":"ledger recomputed"`) {
		t.Error("the recomputation request was not processed")
	}
}

// TestVATThreshold_PartialBatchFailures reports exactly the poison
// messages of a batch, and every message when the table cannot be
// reached.
func TestVATThreshold_PartialBatchFailures(t *testing.T) {
	t.Parallel()
	e := newVATEnv(t)
	ev := placed("hairstore", "CMD-1", "BE", "100.00", "2026-05-01T10:00:00Z")
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "good", Body: body(t, ev)},
		{MessageId: "not-json", Body: "nope"},
		{MessageId: "bad-country", Body: strings.Replace(body(t, ev), `"shipTo":"BE"`, `"shipTo":"EL"`, 1)},
		{MessageId: "bad-recompute", Body: `{"type":"ledger.recompute","merchant":"a b"}`},
	}}
	resp, err := wiring.VATThreshold(e.deps)(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if strings.Join(failed, ",") != "not-json,bad-country,bad-recompute" {
		t.Errorf("failed %v, want the three poison messages", failed)
	}
	if n := strings.Count(e.logs.String(), `"msg":"poison message;`); n != 3 {
		t.Errorf("%d poison log lines, want 3", n)
	}
	st, err := e.ledger.State(context.Background(), "hairstore", ev.Order.PlacedAt)
	if err != nil || !st.Total(2026, "BE").Equal(decimal.NewFromInt(100)) {
		t.Fatalf("BE total %v, %v", st.Totals, err)
	}

	noTable := e.deps
	noTable.DynamoDB = dynamodb.NewFromConfig(aws.Config{Region: "eu-west-3", Credentials: e.deps.DynamoDB.Options().Credentials}, func(o *dynamodb.Options) {
		o.BaseEndpoint, o.RetryMaxAttempts = aws.String(closedAddr(t)), 1
	})
	resp, err = wiring.VATThreshold(noTable)(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "a", Body: body(t, placed("hairstore", "CMD-2", "BE", "1.00", "2026-05-01T10:00:00Z"))},
		{MessageId: "b", Body: `{"type":"ledger.recompute","merchant":"hairstore","requestedBy":"claire","id":"r1"}`},
	}})
	if err != nil || len(resp.BatchItemFailures) != 2 {
		t.Errorf("table unreachable: failures %+v, %v; want both retried", resp.BatchItemFailures, err)
	}
}

// scriptedLedger is the real ledger on DynamoDB Local behind the
// worker's port, recording each call and failing those refuse picks.
type scriptedLedger struct {
	wiring.LedgerStore
	refuse func(m merchant.ID, evs []orderevent.Event) error

	mu         sync.Mutex
	applies    []string // "<merchant>:<order>,<order>" per call
	recomputes []merchant.ID
}

func (s *scriptedLedger) Apply(ctx context.Context, m merchant.ID, loc *time.Location, evs []orderevent.Event) error {
	var orders []string
	for _, ev := range evs {
		orders = append(orders, ev.Order.ID)
	}
	s.mu.Lock()
	s.applies = append(s.applies, string(m)+":"+strings.Join(orders, ","))
	s.mu.Unlock()
	if s.refuse != nil {
		if err := s.refuse(m, evs); err != nil {
			return err
		}
	}
	return s.LedgerStore.Apply(ctx, m, loc, evs)
}

func (s *scriptedLedger) Recompute(ctx context.Context, m merchant.ID) (vatledger.Recomputed, error) {
	s.mu.Lock()
	s.recomputes = append(s.recomputes, m)
	s.mu.Unlock()
	return s.LedgerStore.Recompute(ctx, m)
}

func failedIDs(resp events.SQSEventResponse) string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return strings.Join(ids, ",")
}

// TestVATThreshold_LedgerConflict_ReportsTheMerchantsMessagesWithoutRetryingEach:
// when a merchant's batch loses to other writers through every attempt,
// its messages are reported as failed at once (SQS redelivers them after
// the visibility timeout) and not applied again one by one; another
// merchant's messages of the same batch are applied. A cancelled
// invocation reports everything without writing. Any other failure still
// applies each message on its own, so that only the bad one is reported.
func TestVATThreshold_LedgerConflict_ReportsTheMerchantsMessagesWithoutRetryingEach(t *testing.T) {
	t.Parallel()
	e := newVATEnv(t)
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "h1", Body: body(t, placed("hairstore", "H1", "BE", "100.00", "2026-05-01T10:00:00Z"))},
		{MessageId: "b1", Body: body(t, placed("bikeshop", "B1", "DE", "40.00", "2026-05-01T10:00:00Z"))},
		{MessageId: "h2", Body: body(t, placed("hairstore", "H2", "DE", "200.00", "2026-05-01T10:00:00Z"))},
		{MessageId: "h3", Body: body(t, placed("hairstore", "H3", "IT", "300.00", "2026-05-01T10:00:00Z"))},
	}}
	on := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	eu := func(m merchant.ID) decimal.Decimal {
		st, err := e.ledger.State(context.Background(), m, on)
		if err != nil {
			t.Fatal(err)
		}
		return st.Total(2026, vatledger.EU)
	}

	t.Run("conflict", func(t *testing.T) {
		l := &scriptedLedger{LedgerStore: e.ledger, refuse: func(m merchant.ID, _ []orderevent.Event) error {
			if m == "hairstore" {
				return fmt.Errorf("apply 3 orders of %s: 25 attempts: %w", m, dynamo.ErrLedgerConflict)
			}
			return nil
		}}
		w := &wiring.VATWorker{Ledger: l, Logger: e.deps.Logger}
		resp, err := w.Handle(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		if got := failedIDs(resp); got != "h1,h2,h3" {
			t.Errorf("failed %q, want the contended merchant's three messages", got)
		}
		if got := strings.Join(l.applies, " "); got != "hairstore:H1,H2,H3 bikeshop:B1" {
			t.Errorf("ledger writes %q, want one per merchant and no message applied alone", got)
		}
		if got := eu("bikeshop"); !got.Equal(decimal.NewFromInt(40)) {
			t.Errorf("bikeshop's EU total %s, want 40", got)
		}
	})

	t.Run("cancelled invocation", func(t *testing.T) {
		l := &scriptedLedger{LedgerStore: e.ledger}
		w := &wiring.VATWorker{Ledger: l, Logger: e.deps.Logger}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		recompute, _ := json.Marshal(vatledger.NewRecomputeRequest("hairstore", "claire", "r-cancelled"))
		resp, err := w.Handle(ctx, events.SQSEvent{Records: append(slices.Clone(batch.Records), events.SQSMessage{MessageId: "r", Body: string(recompute)})})
		if err != nil {
			t.Fatal(err)
		}
		if got := failedIDs(resp); got != "h1,h2,h3,b1,r" {
			t.Errorf("failed %q, want every message", got)
		}
		if len(l.applies) != 0 || len(l.recomputes) != 0 {
			t.Errorf("writes %q and recomputations %v with the invocation's time up", l.applies, l.recomputes)
		}
	})

	t.Run("a bad message is isolated", func(t *testing.T) {
		l := &scriptedLedger{LedgerStore: e.ledger, refuse: func(_ merchant.ID, evs []orderevent.Event) error {
			for _, ev := range evs {
				if ev.Order.ID == "H2" {
					return fmt.Errorf("order %s: %w", ev.Order.ID, errors.New("item too large"))
				}
			}
			return nil
		}}
		w := &wiring.VATWorker{Ledger: l, Logger: e.deps.Logger}
		resp, err := w.Handle(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		if got := failedIDs(resp); got != "h2" {
			t.Errorf("failed %q, want only h2", got)
		}
		if got := strings.Join(l.applies, " "); got != "hairstore:H1,H2,H3 hairstore:H1 hairstore:H2 hairstore:H3 bikeshop:B1" {
			t.Errorf("ledger writes %q, want the batch, then each message alone", got)
		}
		if got := eu("hairstore"); !got.Equal(decimal.NewFromInt(400)) {
			t.Errorf("hairstore's EU total %s, want H1 + H3 = 400", got)
		}
	})
}

// TestVATThreshold_RecomputeRequests_OneRebuildPerMerchantPerBatch: three
// requests for one merchant and one for another in a batch run two
// rebuilds, and every request is acknowledged and logged.
func TestVATThreshold_RecomputeRequests_OneRebuildPerMerchantPerBatch(t *testing.T) {
	t.Parallel()
	e := newVATEnv(t)
	if err := e.ledger.Apply(context.Background(), "hairstore", defaultZone, []orderevent.Event{placed("hairstore", "H1", "BE", "100.00", "2026-05-01T10:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	req := func(m merchant.ID, id string) string {
		b, err := json.Marshal(vatledger.NewRecomputeRequest(m, "claire@"+string(m)+".fr", id))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	l := &scriptedLedger{LedgerStore: e.ledger}
	w := &wiring.VATWorker{Ledger: l, Logger: e.deps.Logger}
	resp, err := w.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "r1", Body: req("hairstore", "r1")},
		{MessageId: "r2", Body: req("bikeshop", "r2")},
		{MessageId: "r3", Body: req("hairstore", "r3")},
		{MessageId: "e1", Body: body(t, placed("hairstore", "H2", "DE", "50.00", "2026-05-01T10:00:00Z"))},
		{MessageId: "r4", Body: req("hairstore", "r4")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(resp); got != "" {
		t.Errorf("failed %q, want every request acknowledged", got)
	}
	if fmt.Sprint(l.recomputes) != "[hairstore bikeshop]" {
		t.Errorf("rebuilds %v, want one per merchant", l.recomputes)
	}
	logs := e.logs.String()
	for _, id := range []string{"r1", "r2", "r3", "r4"} {
		if !strings.Contains(logs, `"request":"`+id+`"`) {
			t.Errorf("request %s not logged as recomputed", id)
		}
	}
	if n := strings.Count(logs, `"msg":"ledger recomputed"`); n != 4 {
		t.Errorf("%d requests logged as recomputed, want 4", n)
	}
	st, err := e.ledger.State(context.Background(), "hairstore", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !st.Total(2026, vatledger.EU).Equal(decimal.NewFromInt(150)) {
		t.Errorf("hairstore's totals %v, %v; want EU 150", st.Totals, err)
	}
}

// TestVATThreshold_OrdersCountInTheMerchantsCalendarYear: an order placed
// at 23:30 UTC on 31 December 2026, 00:30 on 1 January 2027 in Paris,
// counts in 2027 for a merchant in Paris, and for a merchant whose record
// names no zone or who has no record (Europe/Paris by default), and in
// 2026 for a merchant in UTC.
func TestVATThreshold_OrdersCountInTheMerchantsCalendarYear(t *testing.T) {
	t.Parallel()
	e := newVATEnv(t)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: e.table}
	for m, zone := range map[merchant.ID]string{"parisshop": "Europe/Paris", "utcshop": "UTC", "nozone": ""} {
		if err := acc.Save(ctx, acc.NewBatch(m).Merchant(dynamo.Merchant{ID: m, Name: string(m), Country: "FR", TimeZone: zone})); err != nil {
			t.Fatal(err)
		}
	}
	want := map[merchant.ID]int{"parisshop": 2027, "utcshop": 2026, "nozone": 2027, "norecord": 2027}
	var batch events.SQSEvent
	for _, m := range []merchant.ID{"parisshop", "utcshop", "nozone", "norecord"} {
		batch.Records = append(batch.Records, events.SQSMessage{MessageId: string(m), Body: body(t, placed(m, "NY-1", "BE", "250.00", "2026-12-31T23:30:00Z"))})
	}
	resp, err := wiring.VATThreshold(e.deps)(ctx, batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v, %v", resp.BatchItemFailures, err)
	}
	for m, y := range want {
		st, err := e.ledger.State(ctx, m, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		other := 2026
		if y == 2026 {
			other = 2027
		}
		if !st.Total(y, vatledger.EU).Equal(decimal.NewFromInt(250)) || !st.Total(y, "BE").Equal(decimal.NewFromInt(250)) || !st.Total(other, vatledger.EU).IsZero() {
			t.Errorf("%s: totals %v, want 250.00 in %d only", m, st.Totals, y)
		}
	}
}

// defaultZone is the time zone of a merchant whose record names none.
var defaultZone = merchant.Merchant{}.Location()
