package wiring_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/wiring"
)

// exportedOrder is a placed order of merchant m with one line.
func exportedOrder(m merchant.ID, id string) order.Order {
	dec := decimal.RequireFromString
	line := tax.TaxLine(tax.Decision{Regime: tax.Domestic, Country: "FR", Category: tax.Standard, Rate: dec("20")}, dec("120"), "EUR")
	amount := func(s string) money.Amount { return money.AmountIn(dec(s), "EUR") }
	return order.Order{
		ID: id, Merchant: m, Customer: "C1", CustomerKind: "pro", PlacedBy: order.PlacedBy{Role: "buyer", ID: "u1"},
		PlacedAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), Status: order.Accepted, Storefront: "fr", ShipFrom: "FR",
		Lines: []order.Line{{
			PricedLine: pricing.PricedLine{Ref: "VIS-M6", Quantity: 12, Packaging: "unit", Units: 12, UnitPrice: amount("10"), Gross: amount("120"), Total: amount("120")},
			Name:       "Vis M6", Tax: line, Allocations: []order.Allocation{{Warehouse: "LYON", Units: 12}},
		}},
		Shipping: order.Shipping{Method: "std", Country: "FR", Cost: decimal.Zero},
		Totals:   order.Totals{Currency: "EUR", Goods: dec("120"), Tax: tax.Summarize([]tax.LineTax{line}), NetEUR: dec("120")},
	}
}

// exportEnv is the order-export function on a fresh table and bucket,
// built by wiring.Load from the environment template.yaml gives it.
type exportEnv struct {
	*ingestEnv
	handler wiring.QueueHandler
}

func newExportEnv(t *testing.T) *exportEnv {
	t.Helper()
	e := newIngestEnv(t)
	env := map[string]string{
		"TABLE_NAME": e.table.Name, "ERP_BUCKET": e.bucket, "S3_PATH_STYLE": "true",
		"AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": testenv.Database(), "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.DynamoDBEndpointVar),
		"AWS_ENDPOINT_URL_S3":       testenv.Endpoint(t, testenv.SQSEndpointVar),
	}
	d, err := wiring.Load(context.Background(), "order-export", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	d.DynamoDB = e.table.Client
	d.Logger = slog.New(slog.DiscardHandler)
	return &exportEnv{ingestEnv: e, handler: wiring.OrderExport(d)}
}

// keys lists the bucket's keys under prefix.
func (e *exportEnv) keys(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := e.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(e.bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	slices.Sort(keys)
	return keys
}

func (e *exportEnv) read(t *testing.T, key string) string {
	t.Helper()
	out, err := e.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

// marks counts the order's export marks.
func (e *exportEnv) marks(t *testing.T, id string) int {
	t.Helper()
	out, err := e.table.Client.Query(context.Background(), &dynamodb.QueryInput{
		TableName:              aws.String(e.table.Name),
		KeyConditionExpression: aws.String("PK = :pk AND SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "M#hydro#ORDER#" + id}, ":sk": &types.AttributeValueMemberS{Value: "EXPORT"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Items)
}

func TestOrderExport_TheSameOrderTwiceWritesOneSetOfFilesAndOneMark(t *testing.T) {
	t.Parallel()
	e := newExportEnv(t)
	ctx := context.Background()
	o := exportedOrder("hydro", "20260302-K3M9Q2TX")
	o.Shipping.AddressID = "chantier"
	o.Lines[0].Name = "Vis tête fraisée; ø6"
	acc := &dynamo.Accounts{Table: e.table}
	c1 := customer.Customer{ID: "C1", Name: "Plomberie Hélène", Kind: customer.Pro, Country: "FR",
		Address:           customer.Address{Line1: "1 place Bellecour", PostalCode: "69002", City: "Lyon", Country: "FR"},
		DeliveryAddresses: []customer.DeliveryAddress{{ID: "chantier", Address: customer.Address{Line1: "8 rue Mercière", PostalCode: "69002", City: "Lyon", Country: "FR"}}}}
	if err := acc.Save(ctx, acc.NewBatch("hydro").Customer(c1).StockLevel(stock.Level{Ref: "VIS-M6", Warehouse: "LYON", OnHand: 100})); err != nil {
		t.Fatal(err)
	}
	if err := (&dynamo.Orders{Table: e.table}).Place(ctx, order.Placement{Order: o}); err != nil {
		t.Fatal(err)
	}
	body := `{"merchant":"hydro","order":"20260302-K3M9Q2TX"}`
	// Delivered twice at once (two invocations), then once more later.
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			if deliver(t, e.handler, "m"+string(rune('0'+i)), body) {
				t.Error("export failed")
			}
		})
	}
	wg.Wait()
	if deliver(t, e.handler, "m2", body) {
		t.Fatal("export failed")
	}
	prefix := "hydro/outbox/orders/"
	want := []string{prefix + "20260302-K3M9Q2TX.csv", prefix + "20260302-K3M9Q2TX.json", prefix + "20260302-K3M9Q2TX.sage.csv"}
	if got := e.keys(t, "hydro/"); !slices.Equal(got, want) {
		t.Fatalf("bucket holds %v, want %v", got, want)
	}
	if n := e.marks(t, o.ID); n != 1 {
		t.Errorf("%d export marks, want 1", n)
	}
	var view struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Lines  []struct {
			Ref string `json:"ref"`
		} `json:"lines"`
	}
	if err := json.Unmarshal([]byte(e.read(t, want[1])), &view); err != nil || view.ID != o.ID || len(view.Lines) != 1 || view.Lines[0].Ref != "VIS-M6" {
		t.Errorf("JSON file %+v, %v", view, err)
	}
	rows, err := csv.NewReader(strings.NewReader(e.read(t, want[0]))).ReadAll()
	if err != nil || len(rows) != 2 || !strings.Contains(strings.Join(rows[1], ";"), "VIS-M6") {
		t.Errorf("CSV file %v, %v: want a header and the order's line", rows, err)
	}

	// The Sage 100 file: Windows-1252, ';', the ERP's own codes.
	raw := e.read(t, want[2])
	if !strings.HasSuffix(raw, "\r\n") || !strings.Contains(raw, "t\xeate") {
		t.Errorf("Sage file is not Windows-1252 with CRLF: %q", raw)
	}
	sr := csv.NewReader(charmap.Windows1252.NewDecoder().Reader(strings.NewReader(raw)))
	sr.Comma, sr.FieldsPerRecord = ';', -1
	sage, err := sr.ReadAll()
	if err != nil || len(sage) != 2 || len(sage[0]) != len(order.SageDocumentColumns) || len(sage[1]) != len(order.SageLineColumns) {
		t.Fatalf("Sage file %q, %v: want the document's row and the order's line", sage, err)
	}
	cell := func(row []string, cols []string, name string) string { return row[slices.Index(cols, name)] }
	for name, v := range map[string]string{"DO_Type": "1", "DO_Ref": o.ID, "CT_Num": "C1", "DO_Date": "02/03/2026", "DE_No": "LYON",
		"LI_Intitule": "chantier", "LI_Adresse": "8 rue Mercière", "LI_Ville": "Lyon", "DO_TotalHT": "120,00"} {
		if got := cell(sage[0], order.SageDocumentColumns, name); got != v {
			t.Errorf("Sage document %s = %q, want %q", name, got, v)
		}
	}
	for name, v := range map[string]string{"AR_Ref": "VIS-M6", "DL_Design": "Vis tête fraisée; ø6", "DL_Qte": "12", "DL_MontantHT": "120,00", "DL_Taxe1": "20", "DE_No": "LYON"} {
		if got := cell(sage[1], order.SageLineColumns, name); got != v {
			t.Errorf("Sage line %s = %q, want %q", name, got, v)
		}
	}

	// Once marked, a message is acknowledged without writing.
	for _, k := range want {
		if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if deliver(t, e.handler, "m3", body) {
		t.Fatal("a marked order's message failed")
	}
	if got := e.keys(t, "hydro/"); len(got) != 0 {
		t.Errorf("a marked order was written again: %v", got)
	}
}

func TestOrderExport_RefusesWhatIsNotAnExportRequest(t *testing.T) {
	t.Parallel()
	e := newExportEnv(t)
	for _, body := range []string{
		`not json`,
		`{"merchant":"hydro"}`,
		`{"merchant":"hydro","order":"../../inbox/x"}`,
		`{"merchant":"hydro/inbox","order":"O-1"}`,
		`{"merchant":"hydro","order":"O-404"}`, // no such order
		`{"merchant":"hydro","order":"O-1","event":"shipped"}`,
	} {
		resp, err := e.handler(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: body}}})
		if err != nil || len(resp.BatchItemFailures) != 1 {
			t.Errorf("%s: %+v, %v; want a batch item failure (dead-lettered after the retries)", body, resp, err)
		}
	}
	if got := e.keys(t, ""); len(got) != 0 {
		t.Errorf("bucket holds %v", got)
	}
}

func TestOrderExport_ACancelledOrderIsExportedOnceAsCancelled(t *testing.T) {
	t.Parallel()
	e := newExportEnv(t)
	ctx := context.Background()
	o := exportedOrder("hydro", "20260302-C4NC3L1D")
	acc := &dynamo.Accounts{Table: e.table}
	if err := acc.Save(ctx, acc.NewBatch("hydro").StockLevel(stock.Level{Ref: "VIS-M6", Warehouse: "LYON", OnHand: 100})); err != nil {
		t.Fatal(err)
	}
	orders := &dynamo.Orders{Table: e.table}
	if err := orders.Place(ctx, order.Placement{Order: o}); err != nil {
		t.Fatal(err)
	}
	placed := `{"merchant":"hydro","order":"20260302-C4NC3L1D"}`
	cancelled := `{"merchant":"hydro","order":"20260302-C4NC3L1D","event":"cancelled"}`
	if _, err := orders.Cancel(ctx, "hydro", o.ID, order.PlacedBy{Role: "staff", ID: "s1"}, o.PlacedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The cancellation arrives before the placement: it waits.
	if !deliver(t, e.handler, "c0", cancelled) {
		t.Fatal("a cancellation exported before its order")
	}
	if got := e.keys(t, "hydro/"); len(got) != 0 {
		t.Fatalf("bucket holds %v before the order's own export", got)
	}
	if deliver(t, e.handler, "p0", placed) {
		t.Fatal("export failed")
	}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			if deliver(t, e.handler, "c"+string(rune('1'+i)), cancelled) {
				t.Error("cancellation export failed")
			}
		})
	}
	wg.Wait()
	prefix := "hydro/outbox/orders/20260302-C4NC3L1D."
	want := []string{prefix + "cancelled.csv", prefix + "cancelled.json", prefix + "cancelled.sage.csv", prefix + "csv", prefix + "json", prefix + "sage.csv"}
	if got := e.keys(t, "hydro/"); !slices.Equal(got, want) {
		t.Fatalf("bucket holds %v, want %v", got, want)
	}
	var view struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(e.read(t, prefix+"cancelled.json")), &view); err != nil || view.ID != o.ID || view.Status != string(order.Cancelled) {
		t.Errorf("cancellation file %+v, %v: want the order as cancelled", view, err)
	}
	if !strings.Contains(e.read(t, prefix+"cancelled.csv"), o.ID) {
		t.Error("cancellation CSV does not name the order")
	}
	// C1 has no account here: the document goes out without an address
	// but its country.
	sr := csv.NewReader(charmap.Windows1252.NewDecoder().Reader(strings.NewReader(e.read(t, prefix+"cancelled.sage.csv"))))
	sr.Comma, sr.FieldsPerRecord = ';', -1
	sage, err := sr.ReadAll()
	if err != nil || len(sage) != 2 || len(sage[0]) != len(order.SageDocumentColumns) {
		t.Fatalf("cancellation Sage file %q, %v", sage, err)
	}
	for name, v := range map[string]string{"DO_Ref": o.ID, "CT_Num": "C1", "status": "cancelled", "LI_Adresse": "", "LI_Pays": "FR"} {
		if got := sage[0][slices.Index(order.SageDocumentColumns, name)]; got != v {
			t.Errorf("cancellation Sage document %s = %q, want %q", name, got, v)
		}
	}
	out, err := e.table.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(e.table.Name),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "M#hydro#ORDER#" + o.ID}, ":sk": &types.AttributeValueMemberS{Value: "EXPORT"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sks []string
	for _, it := range out.Items {
		sks = append(sks, it["SK"].(*types.AttributeValueMemberS).Value)
	}
	slices.Sort(sks)
	if !slices.Equal(sks, []string{"EXPORT", "EXPORT#CANCELLED"}) {
		t.Errorf("export marks %v, want EXPORT and EXPORT#CANCELLED", sks)
	}
	// Marked: acknowledged without writing again.
	for _, k := range []string{prefix + "cancelled.json", prefix + "cancelled.sage.csv"} {
		if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if deliver(t, e.handler, "c9", cancelled) {
		t.Fatal("a marked cancellation's message failed")
	}
	if got := e.keys(t, prefix+"cancelled."); !slices.Equal(got, []string{prefix + "cancelled.csv"}) {
		t.Errorf("a marked cancellation was written again: %v", got)
	}
}
