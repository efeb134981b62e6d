package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/roundtrip"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/vatledger"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sale is the placement of a consumer order shipped from France to shipTo,
// in euros.
func sale(m merchant.ID, order, shipTo, net, placedAt string) orderevent.Event {
	n := dec(net)
	vat := n.Mul(dec("0.21")).Round(2)
	return orderevent.Event{
		Schema: orderevent.Schema, Version: orderevent.Version, ID: "ev-" + order + "-placed", Type: orderevent.Placed,
		Merchant: m, OccurredAt: at(placedAt),
		Order: orderevent.Order{
			ID: order, PlacedAt: at(placedAt), Customer: "cust-" + order, CustomerKind: orderevent.Consumer,
			ShipFrom: "FR", ShipTo: shipTo, Currency: "EUR", Net: n, VAT: vat, Gross: n.Add(vat), NetEUR: n,
		},
	}
}

// cancellation is the cancellation of a placed order.
func cancellation(placed orderevent.Event) orderevent.Event {
	c := placed
	c.ID, c.Type = "ev-"+placed.Order.ID+"-cancelled", orderevent.Cancelled
	c.OccurredAt = placed.OccurredAt.Add(time.Hour)
	return c
}

func totalsOf(t *testing.T, l *dynamo.VATLedger, m merchant.ID, on time.Time) map[int]map[string]decimal.Decimal {
	t.Helper()
	st, err := l.State(context.Background(), m, on)
	if err != nil {
		t.Fatal(err)
	}
	return st.Totals
}

// sameTotals compares totals, a missing total counting as zero.
func sameTotals(a, b map[int]map[string]decimal.Decimal) bool {
	years := map[int]bool{}
	for y := range a {
		years[y] = true
	}
	for y := range b {
		years[y] = true
	}
	for y := range years {
		scopes := map[string]bool{}
		for s := range a[y] {
			scopes[s] = true
		}
		for s := range b[y] {
			scopes[s] = true
		}
		for s := range scopes {
			if !a[y][s].Equal(b[y][s]) {
				return false
			}
		}
	}
	return true
}

func TestVATLedger_ThresholdCrossedMidStream_OneAlertAndTheStateSwitches(t *testing.T) {
	t.Parallel()
	l := &dynamo.VATLedger{Table: testenv.Table(t)}
	ctx := context.Background()
	const m = "hairstore"
	on := at("2026-05-10T10:00:00Z")
	stream := []orderevent.Event{
		sale(m, "A1", "BE", "3000.00", "2026-03-01T10:00:00Z"),
		sale(m, "A2", "DE", "3000.00", "2026-03-02T10:00:00Z"),
		sale(m, "A3", "IT", "3000.00", "2026-03-03T10:00:00Z"),
		// Not counted: B2B, domestic, export.
		func() orderevent.Event {
			e := sale(m, "B1", "BE", "50000.00", "2026-03-04T10:00:00Z")
			e.Order.CustomerKind = orderevent.Pro
			return e
		}(),
		sale(m, "D1", "FR", "50000.00", "2026-03-04T11:00:00Z"),
		sale(m, "X1", "US", "50000.00", "2026-03-04T12:00:00Z"),
	}
	if err := l.Apply(ctx, m, defaultZone, stream); err != nil {
		t.Fatal(err)
	}
	calls := roundtrip.WithCounter(ctx)
	st, err := l.State(calls, m, on)
	if err != nil {
		t.Fatal(err)
	}
	if n := roundtrip.Calls(calls); n != 1 {
		t.Errorf("State took %d round trips, want 1", n)
	}
	if !st.Total(2026, vatledger.EU).Equal(dec("9000")) || !st.Total(2026, "BE").Equal(dec("3000")) || !st.Total(2026, "FR").IsZero() {
		t.Fatalf("totals %v, want EU 9000, BE 3000, nothing for domestic, B2B or export", st.Totals)
	}
	// At the threshold: 9,000 + 1,000 = 10,000 does not exceed it.
	if d := st.DistanceSale("ES", dec("1000.00"), on); d.Destination {
		t.Errorf("a total of exactly 10,000 is taxed at destination: %+v", d)
	}
	// The order that takes the total over is taxed at destination.
	if d := st.DistanceSale("ES", dec("1000.01"), on); !d.Destination {
		t.Errorf("the order that takes the total over is taxed at origin: %+v", d)
	}
	if as, err := l.Alerts(ctx, m); err != nil || len(as) != 0 {
		t.Fatalf("alerts %+v, %v before any crossing", as, err)
	}

	// The crossing order, then more orders, some delivered twice, in
	// several batches.
	rest := []orderevent.Event{sale(m, "A4", "ES", "1000.01", "2026-04-01T10:00:00Z")}
	for i := range 5 {
		rest = append(rest, sale(m, fmt.Sprintf("A%d", 5+i), "BE", "500.00", "2026-04-02T10:00:00Z"))
	}
	for _, batch := range [][]orderevent.Event{rest[:1], rest[:3], rest[2:], rest} {
		if err := l.Apply(ctx, m, defaultZone, batch); err != nil {
			t.Fatal(err)
		}
	}
	st, err = l.State(ctx, m, on)
	if err != nil {
		t.Fatal(err)
	}
	if want := dec("12500.01"); !st.Total(2026, vatledger.EU).Equal(want) {
		t.Fatalf("EU total %s, want %s", st.Total(2026, vatledger.EU), want)
	}
	if d := st.DistanceSale("PT", dec("1"), on); !d.Destination {
		t.Errorf("after the crossing a sale is taxed at origin: %+v", d)
	}
	as, err := l.Alerts(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].ID != "2026-EU" || as[0].Scope != vatledger.EU || as[0].Year != 2026 || !as[0].Threshold.Equal(dec("10000")) || !as[0].Total.GreaterThan(dec("10000")) || as[0].Text == "" {
		t.Fatalf("alerts %+v, want exactly one EU alert for 2026", as)
	}
}

// errAlertThrottled is what the flaky client answers to the first alert
// written, as DynamoDB would when throttled.
var errAlertThrottled = errors.New("alert write throttled")

// failFirstAlert returns a client of tbl whose first PutItem of an alert
// fails before it reaches DynamoDB Local; every other call goes through.
func failFirstAlert(tbl dynamo.Table) (dynamo.Table, *atomic.Int32) {
	var failed atomic.Int32
	tbl.Client = dynamodb.New(tbl.Client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("FailFirstAlert", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if p, ok := in.Parameters.(*dynamodb.PutItemInput); ok {
					if ty, _ := p.Item[dynamo.AttrType].(*types.AttributeValueMemberS); ty != nil && ty.Value == "VATAlert" && failed.CompareAndSwap(0, 1) {
						return middleware.InitializeOutput{}, middleware.Metadata{}, errAlertThrottled
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
		})
	})
	return tbl, &failed
}

// TestVATLedger_AlertWriteFailsOnce_TheRedeliveryRaisesIt: the batch that
// crosses the threshold commits its totals, then writing the alert fails
// (throttled); the redelivery of the same events, all duplicates by then,
// still raises exactly one alert, and further redeliveries add none.
func TestVATLedger_AlertWriteFailsOnce_TheRedeliveryRaisesIt(t *testing.T) {
	t.Parallel()
	flaky, failed := failFirstAlert(testenv.Table(t))
	l := &dynamo.VATLedger{Table: flaky}
	ctx := context.Background()
	const m = "hairstore"
	var batch []orderevent.Event
	for i := range 11 { // 11 × 1,000: over the €10,000 threshold
		batch = append(batch, sale(m, fmt.Sprintf("A%02d", i), []string{"BE", "DE"}[i%2], "1000.00", "2026-03-01T10:00:00Z"))
	}
	if err := l.Apply(ctx, m, defaultZone, batch); !errors.Is(err, errAlertThrottled) {
		t.Fatalf("Apply: %v, want the failed alert write", err)
	}
	if failed.Load() != 1 {
		t.Fatal("the alert write was not attempted")
	}
	if got := totalsOf(t, l, m, at("2026-05-01T00:00:00Z"))[2026][vatledger.EU]; !got.Equal(dec("11000")) {
		t.Fatalf("EU total %s after the failed alert, want the committed 11000", got)
	}
	if as, err := l.Alerts(ctx, m); err != nil || len(as) != 0 {
		t.Fatalf("alerts %+v, %v: the write failed, want none yet", as, err)
	}
	for range 2 { // the queue delivers the batch again, and once more
		if err := l.Apply(ctx, m, defaultZone, batch); err != nil {
			t.Fatal(err)
		}
	}
	// A redelivery of a single message of the batch raises nothing more.
	if err := l.Apply(ctx, m, defaultZone, batch[3:4]); err != nil {
		t.Fatal(err)
	}
	as, err := l.Alerts(ctx, m)
	if err != nil || len(as) != 1 || as[0].ID != "2026-EU" || !as[0].Total.Equal(dec("11000")) {
		t.Fatalf("alerts %+v, %v: want exactly the 2026 EU alert", as, err)
	}
	if got := totalsOf(t, l, m, at("2026-05-01T00:00:00Z"))[2026][vatledger.EU]; !got.Equal(dec("11000")) {
		t.Errorf("EU total %s after the redeliveries, want 11000", got)
	}
}

// TestVATLedger_MonacoCountsForFrance: a German merchant's consumer sale
// shipped to Monaco counts in France's total (Monaco is France for VAT,
// as the quote decides it), its cancellation takes it back out, and a
// French merchant's sale to Monaco is domestic.
func TestVATLedger_MonacoCountsForFrance(t *testing.T) {
	t.Parallel()
	l := &dynamo.VATLedger{Table: testenv.Table(t)}
	ctx := context.Background()
	const m = "bergsport"
	monaco := sale(m, "MC1", "MC", "400.00", "2026-03-01T10:00:00Z")
	monaco.Order.ShipFrom = "DE"
	gone := sale(m, "MC2", "MC", "90.00", "2026-03-01T11:00:00Z")
	gone.Order.ShipFrom = "DE"
	domestic := sale(m, "MC3", "MC", "7000.00", "2026-03-01T12:00:00Z") // FR→MC
	if err := l.Apply(ctx, m, defaultZone, []orderevent.Event{monaco, gone, domestic, cancellation(gone)}); err != nil {
		t.Fatal(err)
	}
	got := totalsOf(t, l, m, at("2026-05-01T00:00:00Z"))[2026]
	if !got["FR"].Equal(dec("400")) || !got[vatledger.EU].Equal(dec("400")) || !got["MC"].IsZero() {
		t.Errorf("totals %v, want FR and EU 400 (the Monaco sale from Germany), nothing for MC", got)
	}
	if _, err := l.Recompute(ctx, m); err != nil {
		t.Fatal(err)
	}
	if again := totalsOf(t, l, m, at("2026-05-01T00:00:00Z"))[2026]; !sameTotals(map[int]map[string]decimal.Decimal{2026: again}, map[int]map[string]decimal.Decimal{2026: got}) {
		t.Errorf("recomputed %v, want the incremental %v", again, got)
	}
}

// events is a stream with duplicates, cancellations before and after their
// placements, and what the ledger must end with.
func eventsWithCancellations(m merchant.ID) (evs []orderevent.Event, want map[string]decimal.Decimal) {
	for i := range 30 {
		country := []string{"BE", "DE", "IT", "ES"}[i%4]
		p := sale(m, fmt.Sprintf("O%02d", i), country, fmt.Sprintf("%d.%02d", 100+i*37, i), "2026-06-01T10:00:00Z")
		evs = append(evs, p)
		switch i % 5 {
		case 1: // cancelled after its placement
			evs = append(evs, cancellation(p))
		case 2: // cancelled before its placement arrives
			evs = append([]orderevent.Event{cancellation(p)}, evs...)
		case 3: // delivered twice
			evs = append(evs, p)
		}
	}
	want = map[string]decimal.Decimal{}
	for i := range 30 {
		if i%5 == 1 || i%5 == 2 {
			continue
		}
		country := []string{"BE", "DE", "IT", "ES"}[i%4]
		n := dec(fmt.Sprintf("%d.%02d", 100+i*37, i))
		want[country] = want[country].Add(n)
		want[vatledger.EU] = want[vatledger.EU].Add(n)
	}
	return evs, want
}

func TestVATLedger_DuplicateOutOfOrderAndCancelledEvents_EndInTheSameLedger(t *testing.T) {
	t.Parallel()
	l := &dynamo.VATLedger{Table: testenv.Table(t)}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(8, 59))
	orders := map[string]func([]orderevent.Event) [][]orderevent.Event{
		"in order, one batch": func(evs []orderevent.Event) [][]orderevent.Event { return [][]orderevent.Event{evs} },
		"reversed, one by one": func(evs []orderevent.Event) [][]orderevent.Event {
			var out [][]orderevent.Event
			for i := len(evs) - 1; i >= 0; i-- {
				out = append(out, evs[i:i+1])
			}
			return out
		},
		"shuffled, batches of 10, every batch twice": func(evs []orderevent.Event) [][]orderevent.Event {
			s := slices.Clone(evs)
			rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
			var out [][]orderevent.Event
			for i := 0; i < len(s); i += 10 {
				b := s[i:min(i+10, len(s))]
				out = append(out, b, b)
			}
			return out
		},
	}
	for name, batches := range orders {
		m := merchant.ID(fmt.Sprintf("m%d", len(name)))
		evs, want := eventsWithCancellations(m)
		for _, b := range batches(evs) {
			if err := l.Apply(ctx, m, defaultZone, b); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		got := totalsOf(t, l, m, at("2026-12-31T00:00:00Z"))[2026]
		if !sameTotals(map[int]map[string]decimal.Decimal{2026: got}, map[int]map[string]decimal.Decimal{2026: want}) {
			t.Errorf("%s: totals %v, want %v", name, got, want)
		}
	}
}

func TestVATLedger_ManyConcurrentWriters_ExactTotalsAndOneAlert(t *testing.T) {
	t.Parallel()
	l := &dynamo.VATLedger{Table: testenv.Table(t)}
	ctx := context.Background()
	const m = "busy"
	evs, want := eventsWithCancellations(m)
	for i := range 40 { // 40 × 300 = 12,000: over the threshold
		evs = append(evs, sale(m, fmt.Sprintf("C%02d", i), "NL", "300.00", "2026-07-01T10:00:00Z"))
	}
	want["NL"] = dec("12000")
	want[vatledger.EU] = want[vatledger.EU].Add(dec("12000"))

	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			s := slices.Clone(evs)
			rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
			for i := 0; i < len(s); i += 10 {
				if err := l.Apply(ctx, m, defaultZone, s[i:min(i+10, len(s))]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := totalsOf(t, l, m, at("2026-12-31T00:00:00Z"))
	if !sameTotals(got, map[int]map[string]decimal.Decimal{2026: want}) {
		t.Fatalf("totals %v, want %v", got[2026], want)
	}
	as, err := l.Alerts(ctx, m)
	if err != nil || len(as) != 1 || as[0].ID != "2026-EU" {
		t.Fatalf("alerts %+v, %v: want exactly one", as, err)
	}
}

func TestVATLedger_YearRollover_PreviousYearDecidesOnFirstJanuary(t *testing.T) {
	t.Parallel()
	l := &dynamo.VATLedger{Table: testenv.Table(t)}
	ctx := context.Background()
	over := []orderevent.Event{
		sale("over", "Y1", "BE", "6000.00", "2026-02-01T10:00:00Z"),
		sale("over", "Y2", "DE", "6000.00", "2026-12-31T22:59:59Z"), // 23:59:59 in Paris
	}
	under := []orderevent.Event{sale("under", "Y1", "BE", "9999.99", "2026-11-01T10:00:00Z")}
	if err := l.Apply(ctx, "over", defaultZone, over); err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(ctx, "under", defaultZone, under); err != nil {
		t.Fatal(err)
	}
	newYear := at("2027-01-01T00:00:00Z")
	for _, c := range []struct {
		m    merchant.ID
		on   time.Time
		want bool
	}{
		{"over", newYear, true},                     // 2026's €12,000 decides 2027
		{"over", at("2027-12-31T23:59:59Z"), true},  // the whole of 2027
		{"over", at("2028-01-01T00:00:00Z"), false}, // 2027 had nothing
		{"under", newYear, false},                   // €9,999.99 in 2026, a fresh 2027
		{"under", at("2026-12-31T12:00:00Z"), true}, // on the last day of 2026 the next €100 goes over
	} {
		st, err := l.State(ctx, c.m, c.on)
		if err != nil {
			t.Fatal(err)
		}
		if d := st.DistanceSale("IT", dec("100"), c.on); d.Destination != c.want {
			t.Errorf("%s on %s: %+v, want destination %v", c.m, c.on.Format(time.DateOnly), d, c.want)
		}
	}
}

// TestVATLedger_OrdersCountInTheMerchantsCalendarYear: an order placed at
// 23:30 UTC on 31 December 2026, 00:30 on 1 January 2027 in Paris, counts
// in 2027 for a merchant in Paris (its entry in the 2027 partition, its
// totals 2027#…) and in 2026 for a merchant whose zone is UTC; its
// cancellation reverses it in the same year, and a recomputation finds the
// incremental ledger right.
func TestVATLedger_OrdersCountInTheMerchantsCalendarYear(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	l := &dynamo.VATLedger{Table: tbl, Now: func() time.Time { return at("2027-01-01T00:10:00Z") }}
	ctx := context.Background()
	utc, err := time.LoadLocation("UTC")
	if err != nil {
		t.Fatal(err)
	}
	paris := merchant.Merchant{TimeZone: "Europe/Paris"}.Location()
	entryYears := func(m merchant.ID, order string) []int {
		t.Helper()
		var years []int
		for _, y := range []int{2026, 2027} {
			out, err := tbl.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tbl.Name), Key: map[string]types.AttributeValue{
				dynamo.AttrPK: &types.AttributeValueMemberS{Value: fmt.Sprintf("M#%s#VATORDER#%d", m, y)},
				dynamo.AttrSK: &types.AttributeValueMemberS{Value: order},
			}, ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Item != nil {
				years = append(years, y)
			}
		}
		return years
	}
	for _, c := range []struct {
		m    merchant.ID
		loc  *time.Location
		year int
	}{{"paris", paris, 2027}, {"london-utc", utc, 2026}} {
		t.Run(string(c.m), func(t *testing.T) {
			ev := sale(c.m, "NY1", "BE", "250.00", "2026-12-31T23:30:00Z")
			if err := l.Apply(ctx, c.m, c.loc, []orderevent.Event{ev}); err != nil {
				t.Fatal(err)
			}
			if got := entryYears(c.m, "NY1"); !slices.Equal(got, []int{c.year}) {
				t.Errorf("entry in the partitions of %v, want %d only", got, c.year)
			}
			totals := totalsOf(t, l, c.m, at("2027-01-01T00:00:00Z"))
			want := map[int]map[string]decimal.Decimal{c.year: {"BE": dec("250.00"), vatledger.EU: dec("250.00")}}
			if !sameTotals(totals, want) || totals[c.year] == nil {
				t.Errorf("totals %v, want %v", totals, want)
			}
			res, err := l.Recompute(ctx, c.m)
			if err != nil || len(res.Changes) != 0 || res.Orders != 1 {
				t.Errorf("recomputed %+v, %v; want the order found and nothing corrected", res, err)
			}
			if err := l.Apply(ctx, c.m, c.loc, []orderevent.Event{cancellation(ev)}); err != nil {
				t.Fatal(err)
			}
			if got := entryYears(c.m, "NY1"); !slices.Equal(got, []int{c.year}) {
				t.Errorf("after the cancellation, entry in the partitions of %v, want %d only", got, c.year)
			}
			if got := totalsOf(t, l, c.m, at("2027-01-01T00:00:00Z")); !got[c.year][vatledger.EU].IsZero() || !got[c.year]["BE"].IsZero() {
				t.Errorf("after the cancellation, totals %v, want zero in %d", got, c.year)
			}
		})
	}
}

func TestVATLedger_PerCountryThresholdAlongsideTheEURule(t *testing.T) {
	t.Parallel()
	l := &dynamo.VATLedger{Table: testenv.Table(t)}
	ctx := context.Background()
	const m = "hairstore"
	s, err := l.UpdateSettings(ctx, m, func(s *vatledger.Settings) error {
		s.CountryThresholds = map[string]decimal.Decimal{"BE": dec("35000")}
		return nil
	})
	if err != nil || s.Version != 1 || !s.EUThreshold.Equal(dec("10000")) {
		t.Fatalf("settings %+v, %v", s, err)
	}
	evs := []orderevent.Event{
		sale(m, "B1", "BE", "30000.00", "2026-02-01T10:00:00Z"),
		sale(m, "D1", "DE", "4000.00", "2026-02-02T10:00:00Z"),
	}
	if err := l.Apply(ctx, m, defaultZone, evs); err != nil {
		t.Fatal(err)
	}
	on := at("2026-03-01T10:00:00Z")
	st, err := l.State(ctx, m, on)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		to, net string
		want    bool
	}{
		{"BE", "5000.00", false}, // BE: 30,000 + 5,000 = 35,000, at its own threshold
		{"BE", "5000.01", true},  // over BE's own threshold
		{"DE", "100.00", true},   // the EU-wide total (34,000) is over €10,000
	} {
		if d := st.DistanceSale(c.to, dec(c.net), on); d.Destination != c.want {
			t.Errorf("%s %s: %+v, want destination %v", c.to, c.net, d, c.want)
		}
	}
	if err := l.Apply(ctx, m, defaultZone, []orderevent.Event{sale(m, "B2", "BE", "5000.01", "2026-03-01T10:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	as, err := l.Alerts(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	if !slices.Equal(ids, []string{"2026-BE", "2026-EU"}) {
		t.Errorf("alerts %v, want BE's own and the EU-wide one", ids)
	}

	// Settings: invalid ones are refused, concurrent updates all land.
	if _, err := l.UpdateSettings(ctx, m, func(s *vatledger.Settings) error { s.CountryThresholds["CH"] = dec("1"); return nil }); !errors.Is(err, vatledger.ErrInvalidSettings) {
		t.Errorf("a threshold for Switzerland: %v", err)
	}
	var wg sync.WaitGroup
	for _, c := range []string{"AT", "ES", "IT", "IE", "DE", "NL"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.UpdateSettings(ctx, m, func(s *vatledger.Settings) error {
				s.CountryThresholds[c] = dec("35000")
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, err = l.State(ctx, m, on)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(st.Settings.CountryThresholds)); !slices.Equal(got, []string{"AT", "BE", "DE", "ES", "IE", "IT", "NL"}) || st.Settings.Version != 7 {
		t.Errorf("thresholds for %v at version %d: a concurrent update was lost", got, st.Settings.Version)
	}
	// Opt-in from a day: destination from then on, whatever the totals.
	if _, err := l.UpdateSettings(ctx, "small", func(s *vatledger.Settings) error {
		s.OptIn = &vatledger.OptIn{From: at("2026-09-01T00:00:00Z"), By: "claire@hairstore.fr"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for day, want := range map[string]bool{"2026-08-31T23:00:00Z": false, "2026-09-01T08:00:00Z": true} {
		st, err := l.State(ctx, "small", at(day))
		if err != nil {
			t.Fatal(err)
		}
		if d := st.DistanceSale("DE", dec("10"), at(day)); d.Destination != want {
			t.Errorf("opt-in, sale on %s: %+v", day, d)
		}
	}
}

func TestVATLedger_Recompute_EqualsTheIncrementalLedger(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	l := &dynamo.VATLedger{Table: tbl, Now: func() time.Time { return at("2026-08-01T00:00:00Z") }}
	ctx := context.Background()
	const m = "hairstore"
	evs, _ := eventsWithCancellations(m)
	evs = append(evs, sale(m, "L1", "AT", "1234.56", "2025-10-01T10:00:00Z"), sale(m, "L2", "BE", "11000.00", "2025-11-01T10:00:00Z"))
	if err := l.Apply(ctx, m, defaultZone, evs); err != nil {
		t.Fatal(err)
	}
	incremental := totalsOf(t, l, m, at("2026-08-01T00:00:00Z"))
	res, err := l.Recompute(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 0 || !sameTotals(res.Totals, incremental) || res.Orders != 32 {
		t.Fatalf("recomputed %+v, incremental %v: they differ", res, incremental)
	}

	// A total gone wrong (written by hand) is corrected to the orders' sum.
	corrupt(t, tbl, "2026#BE", "1")
	res, err = l.Recompute(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || res.Changes[0].Scope != "BE" || !res.Changes[0].Before.Equal(dec("1")) || !res.Changes[0].After.Equal(incremental[2026]["BE"]) {
		t.Fatalf("changes %+v", res.Changes)
	}
	if got := totalsOf(t, l, m, at("2026-08-01T00:00:00Z")); !sameTotals(got, incremental) {
		t.Fatalf("after recomputation %v, want %v", got, incremental)
	}

	// Recomputations racing with writers: the totals end exact.
	more := make([]orderevent.Event, 0, 60)
	for i := range 60 {
		more = append(more, sale(m, fmt.Sprintf("R%02d", i), "PL", "10.00", "2026-07-01T10:00:00Z"))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := w * 15; i < (w+1)*15; i += 5 {
				if err := l.Apply(ctx, m, defaultZone, more[i:i+5]); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := l.Recompute(ctx, m); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	want := incremental
	want[2026]["PL"] = dec("600")
	want[2026][vatledger.EU] = want[2026][vatledger.EU].Add(dec("600"))
	if got := totalsOf(t, l, m, at("2026-08-01T00:00:00Z")); !sameTotals(got, want) {
		t.Fatalf("after racing recomputations %v, want %v", got, want)
	}
	if res, err := l.Recompute(ctx, m); err != nil || len(res.Changes) != 0 {
		t.Fatalf("a last recomputation changed %+v, %v", res.Changes, err)
	}
	// One alert per year over the EU-wide threshold, however many
	// recomputations and writers saw it.
	as, err := l.Alerts(ctx, m)
	if err != nil || len(as) != 2 || as[0].ID != "2025-EU" || as[1].ID != "2026-EU" {
		t.Errorf("alerts %+v, %v", as, err)
	}
}

// corrupt sets the total whose sort key is sk, found by a scan of the
// test's own table, to value.
func corrupt(t *testing.T, tbl dynamo.Table, sk, value string) {
	t.Helper()
	ctx := context.Background()
	out, err := tbl.Client.Scan(ctx, &dynamodb.ScanInput{
		TableName: aws.String(tbl.Name), FilterExpression: aws.String("SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":sk": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("scan for %s: %d items, %v", sk, len(out.Items), err)
	}
	it := out.Items[0]
	if _, err := tbl.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(tbl.Name), Key: map[string]types.AttributeValue{dynamo.AttrPK: it[dynamo.AttrPK], dynamo.AttrSK: it[dynamo.AttrSK]},
		UpdateExpression:          aws.String("SET #t = :v"),
		ExpressionAttributeNames:  map[string]string{"#t": dynamo.AttrTotal},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: value}},
	}); err != nil {
		t.Fatal(err)
	}
}

// defaultZone is the time zone of a merchant whose record names none.
var defaultZone = merchant.Merchant{}.Location()
