package devstack_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/testenv"
)

// TestStack_AnOrderWrittenReachesTheLedgerAndTheERPOnceEvenWhenTheStreamIsReplayed
// runs the order events end to end on the local stack: an order placed in
// the table (as the checkout places it) is announced by the order-events
// function, which the runner triggers from the table's stream as
// template.yaml says; the vat-threshold worker counts it in the ledger,
// the order-export worker writes its three files in the ERP bucket's
// outbox, and the stock level that fell to its minimum raises an alert.
// Then the whole stream is played again from its start through the same
// deployed handler: nothing is counted, written or raised twice.
func TestStack_AnOrderWrittenReachesTheLedgerAndTheERPOnceEvenWhenTheStreamIsReplayed(t *testing.T) {
	t.Parallel()
	st := startStack(t, nil)
	ctx := context.Background()
	const m merchant.ID = "shop"
	tbl := st.Table()
	acc := &dynamo.Accounts{Table: tbl}
	if err := acc.Save(ctx, acc.NewBatch(m).
		Warehouse(stock.Warehouse{ID: "LYON", Name: "Lyon", Country: "FR"}).
		StockLevel(stock.Level{Ref: "VIS-M6", Warehouse: "LYON", OnHand: 100, Min: 90, Max: 200})); err != nil {
		t.Fatal(err)
	}

	// A consumer in Belgium buys from France: a distance sale the ledger
	// counts.
	dec := decimal.RequireFromString
	line := tax.TaxLine(tax.Decision{Regime: tax.DistanceSaleOrigin, Country: "FR", Category: tax.Standard, Rate: dec("20")}, dec("120"), "EUR")
	amount := func(s string) money.Amount { return money.AmountIn(dec(s), "EUR") }
	o := order.Order{
		ID: "20260302-STREAM01", Merchant: m, Customer: "C1", CustomerKind: "consumer", PlacedBy: order.PlacedBy{Role: "buyer", ID: "u1"},
		PlacedAt: time.Now().UTC(), Status: order.AwaitingPayment, Storefront: "fr", ShipFrom: "FR",
		Lines: []order.Line{{
			PricedLine: pricing.PricedLine{Ref: "VIS-M6", Quantity: 12, Packaging: "unit", Units: 12, UnitPrice: amount("10"), Gross: amount("120"), Total: amount("120")},
			Name:       "Vis M6", Tax: line, Allocations: []order.Allocation{{Warehouse: "LYON", Units: 12}},
		}},
		Shipping: order.Shipping{Method: "std", Country: "BE", Cost: decimal.Zero},
		Totals:   order.Totals{Currency: "EUR", Goods: dec("120"), Tax: tax.Summarize([]tax.LineTax{line}), NetEUR: dec("120")},
	}
	if err := (&dynamo.Orders{Table: tbl}).Place(ctx, order.Placement{Order: o}); err != nil {
		t.Fatal(err)
	}

	ledger := &dynamo.VATLedger{Table: tbl}
	euTotal := func() decimal.Decimal {
		s, err := ledger.State(ctx, m, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sum := decimal.Zero
		for _, scopes := range s.Totals {
			sum = sum.Add(scopes["EU"])
		}
		return sum
	}
	prefix := string(m) + "/outbox/orders/"
	wantFiles := []string{prefix + o.ID + ".csv", prefix + o.ID + ".json", prefix + o.ID + ".sage.csv"}
	outbox := func() []string {
		out, err := st.Clients.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(st.Resources.BucketName), Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, v := range out.Contents {
			keys = append(keys, aws.ToString(v.Key))
		}
		slices.Sort(keys)
		return keys
	}
	exportMarks := func() int {
		out, err := tbl.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(tbl.Name),
			KeyConditionExpression: aws.String("PK = :pk AND SK = :sk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: "M#shop#ORDER#" + o.ID}, ":sk": &types.AttributeValueMemberS{Value: "EXPORT"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Items)
	}
	alerts := func() []stock.Alert {
		a, err := (&dynamo.StockAlerts{Table: tbl}).List(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	type outcome struct {
		EU     string
		Files  []string
		Marks  int
		Alerts []stock.Alert
	}
	now := func() outcome { return outcome{euTotal().StringFixed(2), outbox(), exportMarks(), alerts()} }
	done := func(v outcome) bool {
		return v.EU == "120.00" && slices.Equal(v.Files, wantFiles) && v.Marks == 1 && len(v.Alerts) == 1
	}
	first := testenv.WaitFor(t, 90*time.Second, func() (outcome, bool) { v := now(); return v, done(v) })
	if a := first.Alerts[0]; a.Ref != "VIS-M6" || a.Available != 88 || a.Reorder != 112 {
		t.Errorf("stock alert %+v, want VIS-M6 with 88 available, 112 to reorder", a)
	}

	// The stream played again from its start, through the deployed handler.
	h, err := st.Functions.Stream(ctx, "order-events")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := st.Template.Function("order-events")
	replay := &devstack.StreamPoller{
		Streams: st.Clients.Streams, StreamARN: st.Resources.StreamARN, Function: "order-events-replay",
		Handler: h, Event: f.StreamEvents[0], SQS: st.Clients.SQS,
	}
	testenv.WaitFor(t, 30*time.Second, func() (int, bool) {
		if _, err := replay.PollOnce(ctx); err != nil {
			t.Fatal(err)
		}
		return replay.Invocations(), replay.Invocations() > 0
	})
	// Once the workers have taken every message the replay sent, nothing
	// changed.
	for _, q := range []string{"VatThresholdQueue", "OrderExportQueue"} {
		url := st.Resources.Queues[q].URL
		testenv.WaitFor(t, 60*time.Second, func() (string, bool) {
			out, err := st.Clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
				sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			}})
			if err != nil {
				t.Fatal(err)
			}
			visible, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
			hidden, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
			return q, visible+hidden == 0
		})
	}
	if again := now(); !done(again) || again.Alerts[0] != first.Alerts[0] {
		t.Errorf("after the replay %+v, want %+v unchanged", again, first)
	}
	for _, dlq := range []string{"VatThresholdDLQ", "OrderExportDLQ", "OrderEventsDLQ"} {
		out, err := st.Clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(st.Resources.Queues[dlq].URL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		if err != nil {
			t.Fatal(err)
		}
		if n := out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]; n != "0" {
			t.Errorf("%s holds %s messages", dlq, n)
		}
	}
}
