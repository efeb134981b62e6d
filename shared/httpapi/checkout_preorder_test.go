package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/stock"
)

// The pre-order products of the checkout world (coNow is 15 January
// 2026): season PE2026 takes pre-orders from 1 to 31 January, JARDIN26
// from 10 to 20 January, AH2026 only from February.
const (
	// preA (€20) has a minimum of 2 units and 50 units in stock, which
	// its pre-orders never touch; preB (€30) is capped at 10 units.
	preA = "CO-PRE-A"
	preB = "CO-PRE-B"
	// preD is of season JARDIN26, preC of the closed season AH2026.
	preD = "CO-PRE-D"
	preC = "CO-PRE-C"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// preProduct is a product taken on pre-order in season, open from opens
// to closes, expected on availableFrom.
func preProduct(ref, price, season, opens, closes, availableFrom string, capUnits, minimum int64) catalog.Product {
	p := coProduct(ref, price, false)
	p.PreOrder = &catalog.PreOrder{Season: season, Opens: day(opens), Closes: day(closes), AvailableFrom: day(availableFrom), Cap: capUnits, MinQuantity: minimum}
	from := p.PreOrder.AvailableFrom
	p.AvailableFrom = &from
	return p
}

// newPreOrderFixture is the checkout world with its pre-order products.
func newPreOrderFixture(t *testing.T) *checkoutFixture {
	t.Helper()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	ctx := context.Background()
	err := (&dynamo.Catalog{Table: f.table}).SaveProducts(ctx, coMerchant, []catalog.Product{
		preProduct(preA, "20.00", "PE2026", "2026-01-01", "2026-01-31", "2026-04-01", 0, 2),
		preProduct(preB, "30.00", "PE2026", "2026-01-01", "2026-01-31", "2026-04-15", 10, 0),
		preProduct(preD, "40.00", "JARDIN26", "2026-01-10", "2026-01-20", "2026-03-01", 0, 0),
		preProduct(preC, "10.00", "AH2026", "2026-02-01", "2026-03-01", "2026-09-01", 0, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	acc := &dynamo.Accounts{Table: f.table}
	if err := acc.Save(ctx, acc.NewBatch(coMerchant).StockLevel(stock.Level{Ref: preA, Warehouse: "W1", OnHand: 50})); err != nil {
		t.Fatal(err)
	}
	return f
}

// preTotal reads one item of a season's totals (SK REF#<ref>,
// C#<customer>#<ref> or O#<id>) in shard n: its units and lines.
func (f *checkoutFixture) preTotal(t *testing.T, season string, n int, sk string) (units, lines int64) {
	t.Helper()
	return f.preItem(t, fmt.Sprintf("M#%s#PRE#%s#%02d", coMerchant, season, n), sk)
}

// preSum sums an item of a season's totals over its shards.
func (f *checkoutFixture) preSum(t *testing.T, season, sk string) (units, lines int64) {
	t.Helper()
	for n := range order.TotalsShards {
		u, l := f.preTotal(t, season, n, sk)
		units, lines = units+u, lines+l
	}
	return units, lines
}

// preCapped reads a capped product's count.
func (f *checkoutFixture) preCapped(t *testing.T, season, ref string) int64 {
	t.Helper()
	u, _ := f.preItem(t, fmt.Sprintf("M#%s#PRE#%s#CAP", coMerchant, season), "REF#"+ref)
	return u
}

func (f *checkoutFixture) preItem(t *testing.T, pk, sk string) (units, lines int64) {
	t.Helper()
	out, err := f.table.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.table.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) int64 {
		n, ok := out.Item[name].(*types.AttributeValueMemberN)
		if !ok {
			return 0
		}
		v, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return read("Units"), read("Lines")
}

func (f *checkoutFixture) storedOrder(t *testing.T, id string) order.Order {
	t.Helper()
	o, err := f.orders.Order(context.Background(), coMerchant, id)
	if err != nil {
		t.Fatalf("order %s: %v", id, err)
	}
	return o
}

func TestCheckoutPreOrder_AMixedCartBecomesTwoLinkedOrdersAndOnlyTheOrdinaryOneTakesStock(t *testing.T) {
	t.Parallel()
	f := newPreOrderFixture(t)
	buyer := coBuyer(coPro)
	f.fillCart(t, buyer, line(refA, 2), line(preA, 3), line(preB, 4))
	r := f.checkout(t, buyer, "mixed-1", standard("on-account"))
	primary := wantOrder(t, r, http.StatusCreated)
	t.Logf("mixed checkout of 3 lines: %s DynamoDB round trips", r.header.Get(httpapi.CallsHeader))
	if primary.Kind != "" || primary.PreOrder != nil || len(primary.Lines) != 1 || primary.Lines[0].Ref != refA || len(primary.Linked) != 1 {
		t.Fatalf("primary order %+v, want the ordinary order of %s linked to one pre-order", primary, refA)
	}
	// The ordinary order: refA's lines, its own shipping, stock taken.
	if !is(primary.Totals.Goods, "200") || !is(primary.Totals.Shipping, "15") || !is(primary.Totals.Gross, "258") {
		t.Errorf("ordinary totals %+v, want goods 200, shipping 15, gross 258", primary.Totals)
	}
	if got := f.available(t, refA); got["W1"] != 3 || got["W2"] != 3 {
		t.Errorf("refA %v, want 2 taken from W1", got)
	}
	// The pre-order: the pre-order lines, no allocation, its own totals.
	pre := f.storedOrder(t, primary.Linked[0])
	if pre.Kind != order.PreOrderKind || len(pre.Linked) != 1 || pre.Linked[0] != primary.ID || len(pre.Lines) != 2 {
		t.Fatalf("pre-order %+v", pre)
	}
	for _, l := range pre.Lines {
		if len(l.Allocations) != 0 || l.Backordered != 0 {
			t.Errorf("pre-order line %s served %+v, backordered %d: a pre-order takes no stock", l.Ref, l.Allocations, l.Backordered)
		}
	}
	p := pre.PreOrder
	if p == nil || p.Season != "PE2026" || !p.Closes.Equal(day("2026-01-31")) || !p.AvailableFrom.Equal(day("2026-04-15")) ||
		len(p.Capped) != 1 || p.Capped[0] != preB || p.Shard < 0 || p.Shard >= order.TotalsShards {
		t.Errorf("pre-order info %+v", p)
	}
	if !pre.Totals.Goods.Equal(decimal.NewFromInt(180)) || !pre.Totals.Shipping.Equal(decimal.NewFromInt(15)) || !pre.Totals.Tax.Gross.Equal(decimal.NewFromInt(234)) {
		t.Errorf("pre-order totals goods %s shipping %s gross %s, want 180, 15, 234", pre.Totals.Goods, pre.Totals.Shipping, pre.Totals.Tax.Gross)
	}
	if pre.Status != order.Accepted || pre.Payment.Due == nil || primary.Payment.Due == nil || pre.Payment.Due.Day.Format(time.DateOnly) != primary.Payment.Due.Day {
		t.Errorf("pre-order payment %+v, status %s: on account with the same due date as the order", pre.Payment, pre.Status)
	}
	if got := f.available(t, preA); got["W1"] != 50 {
		t.Errorf("%s %v: a pre-order took stock", preA, got)
	}
	view := httpapi.NewOrderView(pre)
	if view.Kind != "pre-order" || view.PreOrder == nil || view.PreOrder.Season != "PE2026" || view.PreOrder.Closes != "2026-01-31" ||
		view.PreOrder.AvailableFrom != "2026-04-15" || view.PreOrder.ConvertedAt != "" || len(view.Linked) != 1 {
		t.Errorf("pre-order view %+v %+v", view.PreOrder, view.Linked)
	}
	// The season's totals, in the pre-order's shard, and the cap.
	for _, c := range []struct {
		sk           string
		units, lines int64
	}{{"REF#" + preA, 3, 1}, {"REF#" + preB, 4, 1}, {"C#" + coPro + "#" + preA, 3, 1}, {"C#" + coPro + "#" + preB, 4, 1}, {"O#" + pre.ID, 7, 0}} {
		if u, l := f.preTotal(t, "PE2026", p.Shard, c.sk); u != c.units || l != c.lines {
			t.Errorf("%s: %d units %d lines, want %d and %d", c.sk, u, l, c.units, c.lines)
		}
	}
	if n := f.preCapped(t, "PE2026", preB); n != 4 {
		t.Errorf("capped count of %s: %d, want 4", preB, n)
	}
	// The credit covers both orders.
	if out := f.outstanding(t, coPro); !out.Equal(decimal.NewFromInt(258 + 234)) {
		t.Errorf("outstanding %s, want 492", out)
	}
	if c := f.cart(t, buyer); len(c.Lines) != 0 {
		t.Errorf("cart %+v, want empty", c.Lines)
	}

	// A replay answers the primary order, with its link, and writes
	// nothing again.
	again := f.checkout(t, buyer, "mixed-1", standard("on-account"))
	replay := wantOrder(t, again, http.StatusOK)
	if replay.ID != primary.ID || len(replay.Linked) != 1 || replay.Linked[0] != pre.ID || again.header.Get(httpapi.ReplayedHeader) != "true" {
		t.Errorf("replay %s linked %v, want %s linked to %s", replay.ID, replay.Linked, primary.ID, pre.ID)
	}
	if u, _ := f.preTotal(t, "PE2026", p.Shard, "REF#"+preA); u != 3 {
		t.Errorf("%s total %d after the replay, want 3", preA, u)
	}
	if got := f.available(t, refA); got["W1"] != 3 {
		t.Errorf("refA %v after the replay", got)
	}
}

// outstanding reads the customer's outstanding on account.
func (f *checkoutFixture) outstanding(t *testing.T, customerID string) decimal.Decimal {
	t.Helper()
	out, err := f.table.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.table.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "M#" + string(coMerchant) + "#C#" + customerID},
			"SK": &types.AttributeValueMemberS{Value: "CREDIT"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, ok := out.Item["Outstanding"].(*types.AttributeValueMemberN)
	if !ok {
		return decimal.Zero
	}
	return decimal.RequireFromString(n.Value)
}

func TestCheckoutPreOrder_PreOrdersOfTwoSeasonsAloneAreTwoLinkedPreOrders(t *testing.T) {
	t.Parallel()
	f := newPreOrderFixture(t)
	buyer := coBuyer(coConsumer)
	f.fillCart(t, buyer, line(preA, 2), line(preD, 1))
	primary := wantOrder(t, f.checkout(t, buyer, "", standard("card")), http.StatusCreated)
	// Seasons in name order: JARDIN26 first.
	if primary.Kind != "pre-order" || primary.PreOrder == nil || primary.PreOrder.Season != "JARDIN26" || len(primary.Lines) != 1 ||
		primary.Lines[0].Ref != preD || len(primary.Linked) != 1 {
		t.Fatalf("primary %+v", primary)
	}
	other := f.storedOrder(t, primary.Linked[0])
	if other.Kind != order.PreOrderKind || other.PreOrder.Season != "PE2026" || len(other.Linked) != 1 || other.Linked[0] != primary.ID {
		t.Errorf("other pre-order %+v", other)
	}
	// Each order is paid on its own.
	if primary.Payment.Reference == "" || other.Payment.Reference == "" || primary.Payment.Reference == other.Payment.Reference {
		t.Errorf("payment references %q and %q", primary.Payment.Reference, other.Payment.Reference)
	}
}

func TestCheckoutPreOrder_Refusals(t *testing.T) {
	t.Parallel()
	f := newPreOrderFixture(t)
	buyer := coBuyer(coPro)

	// A season not open today: refused with its days, nothing written.
	f.fillCart(t, buyer, line(refA, 1), line(preC, 1), line(preA, 2))
	r := f.checkout(t, buyer, "closed-1", standard("on-account"))
	wantProblem(t, r, http.StatusUnprocessableEntity, "pre-order-closed")
	closed := decode[struct {
		Lines []httpapi.PreOrderClosedLine `json:"lines"`
	}](t, r)
	if len(closed.Lines) != 1 || closed.Lines[0] != (httpapi.PreOrderClosedLine{Ref: preC, Season: "AH2026", Opens: "2026-02-01", Closes: "2026-03-01"}) {
		t.Errorf("closed lines %+v", closed.Lines)
	}
	if got := f.available(t, refA); got["W1"] != 5 {
		t.Errorf("refA %v after a refusal", got)
	}
	if c := f.cart(t, buyer); len(c.Lines) != 3 {
		t.Errorf("cart %d lines after a refusal, want 3", len(c.Lines))
	}

	// Below the minimum.
	f.fillCart(t, buyer, line(preA, 1))
	r = f.checkout(t, buyer, "min-1", standard("on-account"))
	wantProblem(t, r, http.StatusUnprocessableEntity, "pre-order-minimum")
	minimum := decode[struct {
		Lines []httpapi.PreOrderMinimumLine `json:"lines"`
	}](t, r)
	if len(minimum.Lines) != 1 || minimum.Lines[0] != (httpapi.PreOrderMinimumLine{Ref: preA, Requested: 1, Minimum: 2}) {
		t.Errorf("minimum lines %+v", minimum.Lines)
	}

	// Over the cap: 8 of 10 taken, 4 more refused with what remains; the
	// key is released, the same key orders the 2 that remain.
	f.fillCart(t, buyer, line(preB, 8))
	wantOrder(t, f.checkout(t, buyer, "cap-1", standard("on-account")), http.StatusCreated)
	f.fillCart(t, buyer, line(preB, 4))
	r = f.checkout(t, buyer, "cap-2", standard("on-account"))
	wantProblem(t, r, http.StatusUnprocessableEntity, "pre-order-cap-reached")
	capped := decode[struct {
		Lines []order.CapShortage `json:"lines"`
	}](t, r)
	if len(capped.Lines) != 1 || capped.Lines[0] != (order.CapShortage{Ref: preB, Requested: 4, Remaining: 2, Cap: 10}) {
		t.Errorf("cap lines %+v", capped.Lines)
	}
	f.fillCart(t, buyer, line(preB, 2))
	wantOrder(t, f.checkout(t, buyer, "cap-2", standard("on-account")), http.StatusCreated)
	if n := f.preCapped(t, "PE2026", preB); n != 10 {
		t.Errorf("capped count %d, want 10", n)
	}
}

// ordersAPI is the orders function over the checkout world, on now.
func (f *checkoutFixture) ordersAPI(t *testing.T, now time.Time) http.Handler {
	t.Helper()
	orders := &dynamo.Orders{Table: f.table}
	a := &httpapi.OrdersAPI{
		Pipeline: &httpapi.Pipeline{
			Storefronts: &dynamo.Storefronts{Table: f.table},
			Tokens:      &auth.Verifier{Issuer: f.issuer.Issuer, Audience: f.issuer.Audience, Keys: &auth.JWKS{URL: f.jwksURL}},
			Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		},
		Orders: orders, History: orders, Accounts: &dynamo.Pricing{Table: f.table}, Merchants: &dynamo.Merchants{Table: f.table},
		Now: func() time.Time { return now },
	}
	return a.Routes()
}

// cancel posts a cancellation of order id as c to handler.
func (f *checkoutFixture) cancel(t *testing.T, handler http.Handler, c identity.Caller, id string) response {
	t.Helper()
	tok, err := f.issuer.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/orders/"+id+"/cancel", bytes.NewReader(nil))
	req.Header.Set("Host", coHost)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func TestCheckoutPreOrder_CancellationGivesTheTotalsAndTheCapBackUntilTheSeasonCloses(t *testing.T) {
	t.Parallel()
	f := newPreOrderFixture(t)
	buyer := coBuyer(coPro)
	staff := identity.Caller{Role: identity.Staff, Subject: "staff@co", Merchant: coMerchant}
	f.fillCart(t, buyer, line(preB, 6))
	first := wantOrder(t, f.checkout(t, buyer, "", standard("on-account")), http.StatusCreated)
	f.fillCart(t, buyer, line(preB, 3))
	second := wantOrder(t, f.checkout(t, buyer, "", standard("on-account")), http.StatusCreated)
	shardOf := func(id string) int { return f.storedOrder(t, id).PreOrder.Shard }

	// The season's last day, late evening in Paris (UTC 22:30): still
	// open to a cancellation by the buyer.
	lastDay := f.ordersAPI(t, time.Date(2026, 1, 31, 22, 30, 0, 0, time.UTC))
	cancelled := wantOrderStatus(t, f.cancel(t, lastDay, buyer, first.ID), http.StatusOK)
	if cancelled.Status != order.Cancelled || cancelled.Kind != "pre-order" {
		t.Errorf("cancelled %+v", cancelled)
	}
	if n := f.preCapped(t, "PE2026", preB); n != 3 {
		t.Errorf("capped count %d after the cancellation, want 3", n)
	}
	for _, sk := range []string{"REF#" + preB, "C#" + coPro + "#" + preB} {
		if u, l := f.preSum(t, "PE2026", sk); u != 3 || l != 1 {
			t.Errorf("%s over the shards after the cancellation: %d units %d lines, want the second pre-order's 3 and 1", sk, u, l)
		}
	}
	if u, _ := f.preTotal(t, "PE2026", shardOf(first.ID), "O#"+first.ID); u != 0 {
		t.Errorf("the cancelled pre-order is still listed in its season")
	}
	if out := f.outstanding(t, coPro); !out.Equal(decimal.RequireFromString("126")) {
		t.Errorf("outstanding %s, want 126: the second pre-order only ((90+15) × 1.2)", out)
	}

	// The day after, in Paris (UTC 23:30 on the 31st): refused, staff too.
	after := f.ordersAPI(t, time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC))
	for _, c := range []identity.Caller{buyer, staff} {
		wantProblem(t, f.cancel(t, after, c, second.ID), http.StatusConflict, "pre-order-closed")
	}
	if n := f.preCapped(t, "PE2026", preB); n != 3 {
		t.Errorf("capped count %d after refused cancellations, want 3", n)
	}
	if o := f.storedOrder(t, second.ID); o.Status != order.Accepted {
		t.Errorf("second pre-order %s after refused cancellations", o.Status)
	}
}

// wantOrderStatus decodes an order view answered with status.
func wantOrderStatus(t *testing.T, r response, status int) httpapi.OrderView {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return decode[httpapi.OrderView](t, r)
}

// TestCheckoutPreOrder_AMixedCartCostsTheRoundTripsOfAnOrdinaryOne: the
// pre-order, its totals, its capped counts and its season index are
// written in the ordinary order's own transaction, caches warm.
func TestCheckoutPreOrder_AMixedCartCostsTheRoundTripsOfAnOrdinaryOne(t *testing.T) {
	t.Parallel()
	f := newPreOrderFixture(t)
	buyer := coBuyer(coConsumer)
	calls := func(key string, lines ...cart.Line) int {
		f.fillCart(t, buyer, lines...)
		r := f.checkout(t, buyer, key, standard("card"))
		wantOrder(t, r, http.StatusCreated)
		n, err := strconv.Atoi(r.header.Get(httpapi.CallsHeader))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	calls("warm", line(refC, 1), line(preA, 2))
	ordinary := calls("ordinary", line(refC, 1))
	mixed := calls("mixed", line(refC, 1), line(preA, 2), line(preB, 1))
	t.Logf("checkout round trips, caches warm: ordinary %d, mixed (one order and one pre-order) %d", ordinary, mixed)
	if mixed != ordinary {
		t.Errorf("a mixed checkout makes %d round trips, an ordinary one %d", mixed, ordinary)
	}
}
