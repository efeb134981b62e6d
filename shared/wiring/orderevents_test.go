package wiring_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/wiring"
)

// followerFixture is a stream follower on a fresh table and two fresh
// queues.
type followerFixture struct {
	tbl              dynamo.Table
	sqs              *sqs.Client
	vat, export      string
	follower         *wiring.StreamFollower
	seq              int
	placedAt, before time.Time
}

func newFollowerFixture(t *testing.T) *followerFixture {
	t.Helper()
	tbl := testenv.Table(t)
	sq := testenv.SQS(t)
	queue := func(prefix string) string {
		out, err := sq.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(testenv.UniqueName(prefix))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = sq.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
		return aws.ToString(out.QueueUrl)
	}
	f := &followerFixture{tbl: tbl, sqs: sq, vat: queue("vat"), export: queue("export"),
		placedAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	f.follower = &wiring.StreamFollower{
		SQS: sq, VATQueue: f.vat, ExportQueue: f.export,
		Alerts: &dynamo.StockAlerts{Table: tbl}, Holds: &dynamo.OrderFollowUp{Table: tbl},
		Logger: slog.New(slog.DiscardHandler),
	}
	return f
}

// testOrder is a placed order of merchant m1.
func (f *followerFixture) testOrder(id string, status order.Status) order.Order {
	return order.Order{
		ID: id, Merchant: "m1", Customer: "C1", CustomerKind: "pro", PlacedAt: f.placedAt, Status: status,
		Storefront: "fr", ShipFrom: "FR", Shipping: order.Shipping{Method: "std", Country: "FR", Cost: decimal.Zero},
		Totals: order.Totals{Currency: "EUR", Goods: decimal.RequireFromString("100"),
			Tax: tax.Summary{Net: decimal.RequireFromString("100"), VAT: decimal.RequireFromString("20"), Gross: decimal.RequireFromString("120")}},
	}
}

// record is a stream record of the item (pk, sk) with its images.
func (f *followerFixture) record(name, pk, sk string, oldImg, newImg map[string]events.DynamoDBAttributeValue, at time.Time) events.DynamoDBEventRecord {
	f.seq++
	keys := map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute(pk), "SK": events.NewStringAttribute(sk)}
	return events.DynamoDBEventRecord{
		EventID: fmt.Sprint("e", f.seq), EventName: name, EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{
			Keys: keys, OldImage: oldImg, NewImage: newImg, SequenceNumber: fmt.Sprintf("%021d", f.seq),
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: at}, StreamViewType: "NEW_AND_OLD_IMAGES",
		},
	}
}

func orderImg(t *testing.T, o order.Order) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	doc, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]events.DynamoDBAttributeValue{
		"PK": events.NewStringAttribute("M#m1#ORDER#" + o.ID), "SK": events.NewStringAttribute("ORDER"),
		"Type": events.NewStringAttribute("ORDER"), "Doc": events.NewStringAttribute(string(doc)),
		"Status": events.NewStringAttribute(string(o.Status)),
	}
}

func levelImg(t *testing.T, l stock.Level, available int64) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	doc, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]events.DynamoDBAttributeValue{
		"Type": events.NewStringAttribute("STOCK"), "Doc": events.NewStringAttribute(string(doc)),
		"Available": events.NewNumberAttribute(strconv.FormatInt(available, 10)), "SiteOrders": events.NewNumberAttribute("0"),
	}
}

func (f *followerFixture) handle(t *testing.T, recs ...events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	t.Helper()
	resp, err := f.follower.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// drain reads every message of a queue.
func (f *followerFixture) drain(t *testing.T, url string) []string {
	t.Helper()
	var bodies []string
	for {
		out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := f.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestOrderEvents_AnnouncesPlacedAndCancelledOrders(t *testing.T) {
	t.Parallel()
	f := newFollowerFixture(t)
	placed := f.testOrder("O-1", order.Accepted)
	cancelled := placed
	cancelled.Status = order.Cancelled
	at := f.placedAt.Add(time.Hour)
	cancelled.CancelledAt = &at
	bornCancelled := f.testOrder("O-2", order.Cancelled)
	awaiting := f.testOrder("O-3", order.AwaitingPayment)
	paid := awaiting
	paid.Status = order.Accepted
	pk := "M#m1#ORDER#O-1"
	resp := f.handle(t,
		f.record("INSERT", pk, "ORDER", nil, orderImg(t, placed), f.placedAt),
		f.record("INSERT", "M#m1#ORDER#O-2", "ORDER", nil, orderImg(t, bornCancelled), f.placedAt),
		f.record("INSERT", "M#m1#ORDER#O-3", "ORDER", nil, orderImg(t, awaiting), f.placedAt),
		f.record("MODIFY", "M#m1#ORDER#O-3", "ORDER", orderImg(t, awaiting), orderImg(t, paid), f.placedAt),
		f.record("MODIFY", pk, "ORDER", orderImg(t, placed), orderImg(t, cancelled), at),
		f.record("MODIFY", pk, "ORDER", orderImg(t, cancelled), orderImg(t, cancelled), at),
		f.record("REMOVE", pk, "ORDER", orderImg(t, cancelled), nil, at),
	)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", resp.BatchItemFailures)
	}
	var got []string
	for _, b := range f.drain(t, f.vat) {
		ev, err := orderevent.Parse([]byte(b))
		if err != nil {
			t.Fatalf("the vat-threshold worker would refuse %s: %v", b, err)
		}
		if ev.Merchant != "m1" || !ev.Order.Gross.Equal(decimal.RequireFromString("120")) {
			t.Errorf("event %+v", ev)
		}
		got = append(got, string(ev.Type)+" "+ev.Order.ID)
	}
	want := map[string]bool{"order.placed O-1": true, "order.placed O-3": true, "order.cancelled O-1": true}
	if len(got) != len(want) {
		t.Errorf("vat-threshold queue got %v, want %v", got, want)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected event %s (all: %v)", g, got)
		}
	}
	exports := map[string]bool{}
	for _, b := range f.drain(t, f.export) {
		req, err := wiring.ParseExportRequest(b)
		if err != nil || req.Merchant != "m1" {
			t.Fatalf("export message %s: %v", b, err)
		}
		exports[req.Order+" "+req.Event] = true
	}
	if len(exports) != 3 || !exports["O-1 "] || !exports["O-3 "] || !exports["O-1 cancelled"] {
		t.Errorf("export queue got %v, want O-1 and O-3 placed, O-1 cancelled", exports)
	}
}

func TestOrderEvents_AnOrderWhoseVATEventDoesNotValidateIsStillExported(t *testing.T) {
	t.Parallel()
	f := newFollowerFixture(t)
	var logs strings.Builder
	f.follower.Logger = slog.New(slog.NewJSONHandler(&syncWriter{w: &logs}, nil))
	bad := f.testOrder("O-BAD", order.Accepted)
	bad.CustomerKind = "wholesale" // the event schema knows pro and consumer only
	cancelled := bad
	cancelled.Status = order.Cancelled
	good := f.testOrder("O-GOOD", order.Accepted)
	resp := f.handle(t,
		f.record("INSERT", "M#m1#ORDER#O-BAD", "ORDER", nil, orderImg(t, bad), f.placedAt),
		f.record("MODIFY", "M#m1#ORDER#O-BAD", "ORDER", orderImg(t, bad), orderImg(t, cancelled), f.placedAt),
		f.record("INSERT", "M#m1#ORDER#O-GOOD", "ORDER", nil, orderImg(t, good), f.placedAt),
	)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v: a VAT event must not hold the batch back", resp.BatchItemFailures)
	}
	exports := map[string]bool{}
	for _, b := range f.drain(t, f.export) {
		req, err := wiring.ParseExportRequest(b)
		if err != nil {
			t.Fatalf("export message %s: %v", b, err)
		}
		exports[req.Order+" "+req.Event] = true
	}
	if len(exports) != 3 || !exports["O-BAD "] || !exports["O-BAD cancelled"] || !exports["O-GOOD "] {
		t.Errorf("export queue got %v, want O-BAD placed and cancelled, O-GOOD placed", exports)
	}
	refused, valid := 0, 0
	for _, b := range f.drain(t, f.vat) {
		if _, err := orderevent.Parse([]byte(b)); err != nil {
			if !strings.Contains(b, "O-BAD") {
				t.Errorf("refused event %s is not O-BAD's", b)
			}
			refused++
			continue
		}
		valid++
	}
	if refused != 2 || valid != 1 {
		t.Errorf("vat-threshold queue: %d events that do not validate (want O-BAD's 2, for the worker to dead-letter), %d valid (want 1)", refused, valid)
	}
	if n := strings.Count(logs.String(), `"order":"O-BAD"`); n != 2 {
		t.Errorf("%d log lines name O-BAD, want 2 (placed and cancelled events): %s", n, logs.String())
	}
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func TestOrderEvents_StockFallingToItsMinimumRaisesOneAlert(t *testing.T) {
	t.Parallel()
	f := newFollowerFixture(t)
	l := stock.Level{Ref: "VIS-M6", Warehouse: "LYON", OnHand: 12, Min: 10, Max: 50}
	pk, sk := "M#m1#P#VIS-M6", "STOCK#LYON"
	t1 := f.placedAt
	crossing := f.record("MODIFY", pk, sk, levelImg(t, l, 12), levelImg(t, l, 9), t1)
	resp := f.handle(t,
		f.record("MODIFY", pk, sk, levelImg(t, l, 14), levelImg(t, l, 12), t1.Add(-time.Minute)), // above: nothing
		crossing,
		f.record("MODIFY", pk, sk, levelImg(t, l, 9), levelImg(t, l, 5), t1.Add(time.Minute)),                                                                                // below already: nothing new
		f.record("MODIFY", "M#m1#P#X", "STOCK#LYON", levelImg(t, stock.Level{Ref: "X", Warehouse: "LYON"}, 3), levelImg(t, stock.Level{Ref: "X", Warehouse: "LYON"}, 0), t1), // no thresholds
	)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", resp.BatchItemFailures)
	}
	f.handle(t, crossing) // replayed
	alerts, err := (&dynamo.StockAlerts{Table: f.tbl}).List(context.Background(), "m1")
	if err != nil {
		t.Fatal(err)
	}
	want := stock.Alert{Ref: "VIS-M6", Warehouse: "LYON", Available: 9, Min: 10, Max: 50, Reorder: 41, RaisedAt: t1}
	if len(alerts) != 1 || alerts[0] != want {
		t.Fatalf("alerts %+v, want %+v", alerts, want)
	}
}

// holdFixture loads a level and returns its numeric Available and
// SiteOrders.
func (f *followerFixture) putLevel(t *testing.T, l stock.Level) {
	t.Helper()
	acc := &dynamo.Accounts{Table: f.tbl}
	if err := acc.Save(context.Background(), acc.NewBatch("m1").StockLevel(l)); err != nil {
		t.Fatal(err)
	}
}

func (f *followerFixture) levelNumbers(t *testing.T, ref, wh string) (available, siteOrders string) {
	t.Helper()
	out, err := f.tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.tbl.Name), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "M#m1#P#" + ref}, "SK": &types.AttributeValueMemberS{Value: "STOCK#" + wh},
	}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := out.Item["Available"].(*types.AttributeValueMemberN)
	s, _ := out.Item["SiteOrders"].(*types.AttributeValueMemberN)
	if a == nil || s == nil {
		t.Fatalf("level %s/%s without numbers: %v", ref, wh, out.Item)
	}
	return a.Value, s.Value
}

func (f *followerFixture) takeUnits(t *testing.T, ref, wh string, units int) {
	t.Helper()
	_, err := f.tbl.Client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(f.tbl.Name),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "M#m1#P#" + ref}, "SK": &types.AttributeValueMemberS{Value: "STOCK#" + wh},
		},
		UpdateExpression:          aws.String("SET Available = Available - :u, SiteOrders = SiteOrders + :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberN{Value: strconv.Itoa(units)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func holdImg(t *testing.T, takes []dynamo.HeldStock, expires time.Time, typ string) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	doc, err := json.Marshal(takes)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]events.DynamoDBAttributeValue{
		"Type": events.NewStringAttribute(typ), "Doc": events.NewStringAttribute(string(doc)),
		"ExpiresAt": events.NewNumberAttribute(strconv.FormatInt(expires.Unix(), 10)),
	}
}

func TestOrderEvents_AnExpiredHoldWithoutItsOrderGivesItsStockBackOnce(t *testing.T) {
	t.Parallel()
	f := newFollowerFixture(t)
	f.putLevel(t, stock.Level{Ref: "A", Warehouse: "LYON", OnHand: 100})
	f.putLevel(t, stock.Level{Ref: "B", Warehouse: "PARIS", OnHand: 50})
	takes := []dynamo.HeldStock{{Ref: "A", Warehouse: "LYON", Units: 30}, {Ref: "B", Warehouse: "PARIS", Units: 5}, {Ref: "GONE", Warehouse: "LYON", Units: 1}}
	f.takeUnits(t, "A", "LYON", 30)
	f.takeUnits(t, "B", "PARIS", 5)
	expires := f.placedAt.Add(15 * time.Minute)
	expired := f.record("REMOVE", "M#m1#ORDER#O-9", "HOLD#0", holdImg(t, takes, expires, "HOLD"), nil, expires.Add(time.Hour))
	resp := f.handle(t,
		// Consumed by its order's write, then expired: left alone.
		f.record("REMOVE", "M#m1#ORDER#O-9", "HOLD#1", holdImg(t, takes, expires, "HOLD-CONSUMED"), nil, expires.Add(time.Hour)),
		// Given back by the checkout already, then expired: left alone.
		f.record("REMOVE", "M#m1#ORDER#O-9", "HOLD#2", holdImg(t, takes, expires, "HOLD-RETURNED"), nil, expires.Add(time.Hour)),
		expired,
	)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", resp.BatchItemFailures)
	}
	f.handle(t, expired) // replayed: given back once
	if a, s := f.levelNumbers(t, "A", "LYON"); a != "100" || s != "0" {
		t.Errorf("A: available %s, site orders %s; want 100 and 0", a, s)
	}
	if a, s := f.levelNumbers(t, "B", "PARIS"); a != "50" || s != "0" {
		t.Errorf("B: available %s, site orders %s; want 50 and 0", a, s)
	}
}

// A checkout that died between its chunks left HOLD#0; its retry (same
// Idempotency-Key, same order number) placed the order with stock of its
// own. The dead attempt's hold, never consumed, gives its stock back when
// it expires although the order exists.
func TestOrderEvents_AnUnconsumedHoldGivesItsStockBackEvenWhenItsOrderWasPlaced(t *testing.T) {
	t.Parallel()
	f := newFollowerFixture(t)
	f.putLevel(t, stock.Level{Ref: "A", Warehouse: "LYON", OnHand: 100})
	f.takeUnits(t, "A", "LYON", 30) // the dead attempt's hold
	f.takeUnits(t, "A", "LYON", 30) // the retry's order
	o := f.testOrder("O-7", order.Accepted)
	doc, _ := json.Marshal(o)
	if _, err := f.tbl.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.tbl.Name), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "M#m1#ORDER#O-7"}, "SK": &types.AttributeValueMemberS{Value: "ORDER"},
		"Type": &types.AttributeValueMemberS{Value: "ORDER"}, "Doc": &types.AttributeValueMemberS{Value: string(doc)},
	}}); err != nil {
		t.Fatal(err)
	}
	expires := f.placedAt.Add(15 * time.Minute)
	held := []dynamo.HeldStock{{Ref: "A", Warehouse: "LYON", Units: 30}}
	rec := f.record("REMOVE", "M#m1#ORDER#O-7", "HOLD#0", holdImg(t, held, expires, "HOLD"), nil, expires.Add(time.Hour))
	if resp := f.handle(t, rec, rec); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", resp.BatchItemFailures)
	}
	if a, s := f.levelNumbers(t, "A", "LYON"); a != "70" || s != "30" {
		t.Errorf("A: available %s, site orders %s; want 70 and 30 (the order keeps its own stock, the dead hold's comes back once)", a, s)
	}
}

func TestOrderEvents_StopsAtTheFirstRecordThatFails(t *testing.T) {
	t.Parallel()
	f := newFollowerFixture(t)
	f.follower.ExportQueue = "" // the export queue cannot be reached
	ok := f.record("MODIFY", "M#m1#P#A", "STOCK#LYON", levelImg(t, stock.Level{Ref: "A", Warehouse: "LYON", Min: 5, Max: 9}, 9), levelImg(t, stock.Level{Ref: "A", Warehouse: "LYON", Min: 5, Max: 9}, 8), f.placedAt)
	placed := f.record("INSERT", "M#m1#ORDER#O-1", "ORDER", nil, orderImg(t, f.testOrder("O-1", order.Accepted)), f.placedAt)
	bad := f.record("INSERT", "M#m1#ORDER#O-2", "ORDER", nil, map[string]events.DynamoDBAttributeValue{"Doc": events.NewStringAttribute("{")}, f.placedAt)
	resp := f.handle(t, ok, placed, bad)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != placed.Change.SequenceNumber {
		t.Fatalf("failures %+v, want the order whose export could not be sent (%s)", resp.BatchItemFailures, placed.Change.SequenceNumber)
	}
	f.follower.ExportQueue = f.export
	resp = f.handle(t, placed, bad)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != bad.Change.SequenceNumber {
		t.Fatalf("failures %+v, want the undecodable record %s", resp.BatchItemFailures, bad.Change.SequenceNumber)
	}
	if got := f.drain(t, f.export); len(got) != 1 {
		t.Errorf("export queue got %v, want O-1 once", got)
	}
}
