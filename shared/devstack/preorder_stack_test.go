package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
)

// The pre-order world: one merchant, a French storefront, four products
// taken on pre-order in one season (the burst), a capped product in a
// season of its own, two products of a third season to convert, 30
// customers, the first a Belgian consumer whose orders the VAT ledger
// counts (distance sales), the others French companies.
const (
	preMerchant  merchant.ID = "pre-shop"
	preHost                  = "pre-fr.localhost"
	preSeason                = "ete-2027"
	capSeason                = "brasero-2027"
	convSeason               = "salon-2027"
	pastSeason               = "hiver-2026"
	preCustomers             = 30
	// preBuyers pre-order at once, each from their own cart of 1 or 2
	// products of preRefs, 1 to 6 units each. The test proves the totals
	// exact under concurrency; the season's volume (50,000 pre-orders in
	// 10 minutes) is the benchmark's pre-orders section, since DynamoDB
	// Local shared by the whole test run serves a few hundred writes a
	// second, not thousands.
	preBuyers = 600
	// capBuyers pre-order 1 unit of capRef at once, for a cap of preCap.
	capBuyers = 150
	preCap    = 60
	// preStock is what W1 holds of each burst product: pre-orders never
	// take it.
	preStock = 1000
	// convBuyers pre-order 2 units of convA and 1 of convB; W1 holds
	// convStock units of convA and none of convB.
	convBuyers = 8
	convStock  = 10
	capRef     = "BRASERO-1"
	convA      = "SALON-1"
	convB      = "SALON-2"
)

// preRefs are the burst's products.
var preRefs = []string{"CHAISE-1", "PARASOL-1", "PARASOL-2", "TABLE-1"}

// preConsumer is the Belgian consumer customer.
const preConsumer = "PRE-C00"

// seedPreOrderWorld writes the merchant, its storefront (standard delivery
// €9.90 anywhere, card or transfer), the products with their pre-order
// settings (every season but pastSeason open from 30 days ago to 30 days
// on), the warehouses and their levels, and the customers.
func seedPreOrderWorld(t *testing.T, tbl dynamo.Table) {
	t.Helper()
	ctx := context.Background()
	sf := merchant.Storefront{ID: "fr", Merchant: preMerchant, Host: preHost, Country: "FR", Language: "fr", Currency: "EUR",
		Mode: merchant.Closed, MerchantLanguage: "fr", Warehouse: "W1",
		Shipping: merchant.Shipping{Methods: []merchant.ShippingMethod{{ID: "standard", Name: "Messagerie",
			Rates: []merchant.ShippingRate{{Country: "*", Amount: decimal.RequireFromString("9.90")}}}}},
		PaymentMethods: map[string][]string{"*": {"card", "transfer"}},
	}
	if err := (&dynamo.Storefronts{Table: tbl}).Save(ctx, []merchant.Storefront{sf}); err != nil {
		t.Fatal(err)
	}
	cat := &dynamo.Catalog{Table: tbl}
	if err := cat.SaveCategories(ctx, preMerchant, []catalog.Category{{ID: "JARDIN", Names: map[string]string{"fr": "Jardin"}}}); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	product := func(ref, season string, cap int64) catalog.Product {
		po := &catalog.PreOrder{Season: season, Opens: today.AddDate(0, 0, -30), Closes: today.AddDate(0, 0, 30),
			AvailableFrom: today.AddDate(0, 0, 90), Cap: cap}
		from := po.AvailableFrom
		return catalog.Product{Ref: ref, CategoryID: "JARDIN", Names: map[string]string{"fr": "Mobilier " + ref},
			Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
			TaxCategory: "standard", BasePrice: decimal.RequireFromString("49.90"), Currency: "EUR",
			PreOrder: po, AvailableFrom: &from}
	}
	var products []catalog.Product
	for _, ref := range preRefs {
		products = append(products, product(ref, preSeason, 0))
	}
	products = append(products, product(capRef, capSeason, preCap), product(convA, convSeason, 0), product(convB, convSeason, 0))
	if err := cat.SaveProducts(ctx, preMerchant, products); err != nil {
		t.Fatal(err)
	}
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch(preMerchant).
		Merchant(merchant.Merchant{ID: preMerchant, Name: "Pré Shop", Country: "FR", DefaultLanguage: "fr", Currency: "EUR", Domains: []string{preHost}}).
		Warehouse(stock.Warehouse{ID: "W1", Name: "Lyon", Country: "FR"}).
		Warehouse(stock.Warehouse{ID: "W2", Name: "Lille", Country: "FR"})
	for _, ref := range append(slices.Clone(preRefs), capRef) {
		b.StockLevel(stock.Level{Ref: ref, Warehouse: "W1", OnHand: preStock, Min: 5, Max: 2000})
	}
	b.StockLevel(stock.Level{Ref: convA, Warehouse: "W1", OnHand: convStock, Min: 0, Max: 100}).
		StockLevel(stock.Level{Ref: convB, Warehouse: "W1", OnHand: 0, Min: 0, Max: 100})
	for i := range preCustomers {
		c := customer.Customer{ID: fmt.Sprintf("PRE-C%02d", i), Name: "Jardinerie", Kind: customer.Pro, Country: "FR",
			Address: customer.Address{Line1: "1 place Bellecour", PostalCode: "69002", City: "Lyon", Country: "FR"}}
		if c.ID == preConsumer {
			c.Name, c.Kind, c.Country = "Particulier", customer.Consumer, "BE"
			c.Address = customer.Address{Line1: "1 rue Neuve", PostalCode: "1000", City: "Bruxelles", Country: "BE"}
		}
		b.Customer(c)
	}
	if err := acc.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
}

// preBuyer is buyer name-i, of customer i modulo preCustomers.
func preBuyer(name string, i int) identity.Caller {
	c := fmt.Sprintf("PRE-C%02d", i%preCustomers)
	return identity.Caller{Role: identity.Buyer, Subject: fmt.Sprintf("%s%04d@%s", name, i, strings.ToLower(c)), Merchant: preMerchant, Customer: c}
}

// preStaff is the merchant's back office.
var preStaff = identity.Caller{Role: identity.Staff, Subject: "staff@pre-shop", Merchant: preMerchant}

// burstLines is burst cart i: 1 or 2 distinct products of preRefs, 1 to
// 6 units each, the same for every run.
func burstLines(i int) []cart.Line {
	r := rand.New(rand.NewPCG(uint64(i), 10))
	n := 1 + r.IntN(2)
	var lines []cart.Line
	for _, j := range r.Perm(len(preRefs))[:n] {
		lines = append(lines, cart.Line{Ref: preRefs[j], Packaging: catalog.Unit, Quantity: int64(1 + r.IntN(6)), Chosen: true})
	}
	return lines
}

// preBuyers signs a token for each of n buyers named name and fills their
// carts with lines(i), 16 at a time (the runner's DynamoDB client sends
// no more at once).
func fillPreCarts(t *testing.T, st *running, tbl dynamo.Table, name string, n int, lines func(i int) []cart.Line) []string {
	t.Helper()
	carts := &dynamo.Carts{Table: tbl}
	tokens := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b := preBuyer(name, i)
			tok, err := st.Issuer.Sign(b, time.Hour)
			if err != nil {
				errs <- err
				return
			}
			tokens[i] = tok
			// A write the emulator kept waiting on its locks through every
			// retry of the client is sent again, until a deadline: the
			// same lines, so a write that did land is written again alike.
			deadline := time.Now().Add(5 * time.Minute)
			for {
				_, err = carts.Update(context.Background(), preMerchant, b.Customer, cart.Owner("B#"+b.Subject), 0, func(s *cart.Stored) error {
					s.Lines = lines(i)
					return nil
				})
				if err == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Second) // a retry's backoff, not a wait for an outcome
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return tokens
}

// preOrderAnswer is what the test reads of an order view.
type preOrderAnswer struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	Status   string `json:"status"`
	Kind     string `json:"kind"`
	PreOrder *struct {
		Season        string  `json:"season"`
		Closes        string  `json:"closes"`
		AvailableFrom string  `json:"availableFrom"`
		ConvertedAt   *string `json:"convertedAt"`
	} `json:"preOrder"`
	Linked []string `json:"linked"`
	Lines  []struct {
		Ref         string             `json:"ref"`
		Units       int64              `json:"units"`
		Allocations []order.Allocation `json:"allocations"`
		Backordered int64              `json:"backordered"`
	} `json:"lines"`
	Totals struct {
		Net decimal.Decimal `json:"net"`
	} `json:"totals"`
}

// preCheckout is one checkout's answer.
type preCheckout struct {
	status  int
	body    []byte
	order   preOrderAnswer
	problem struct {
		Type  string              `json:"type"`
		Lines []order.CapShortage `json:"lines"`
	}
}

// burstConcurrency is how many requests the local API serves at once:
// the buyers all send at once, the others wait in line, as a function
// with that reserved concurrency behind API Gateway would have them.
// Without a bound, one process serving 3,000 requests at once on 2 cores
// (under -race) shares its CPUs and its 16 DynamoDB connections among
// all of them, so that each takes minutes: measured here, 3 of 3,000
// placed after 3.5 minutes, using 6.6 GB.
const burstConcurrency = 32

// burstClient is the buyers' HTTP client; a request's time counts from
// when it is sent, not while it waits in line.
var burstClient = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: burstConcurrency}}

// checkoutBurst sends every buyer's checkout at once through the local
// API. A buyer's client retries a 503 (busy, or the gateway's Service
// Unavailable) and a 409 checkout-in-progress after the answer's
// Retry-After (1 s without one) with the same Idempotency-Key, at most 30
// times; a replayed 200 is the order its key placed.
func checkoutBurst(t *testing.T, st *running, tokens []string, name string) []preCheckout {
	t.Helper()
	answers := make([]preCheckout, len(tokens))
	var retried atomic.Int64
	// line lets burstConcurrency requests through at a time.
	line := make(chan struct{}, burstConcurrency)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() {
			<-start
			key := fmt.Sprintf("%s-%d-%d", name, i, time.Now().UnixNano())
			var (
				resp *http.Response
				body []byte
			)
			for attempt := 0; ; attempt++ {
				req, err := http.NewRequest(http.MethodPost, st.URL+"/checkout", strings.NewReader(`{"shippingMethod":"standard","paymentMethod":"card"}`))
				if err != nil {
					t.Error(err)
					return
				}
				req.Host = preHost + ":3000"
				req.Header.Set("Authorization", "Bearer "+tokens[i])
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key)
				line <- struct{}{}
				resp, err = burstClient.Do(req)
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				<-line
				if err != nil {
					t.Error(err)
					return
				}
				again := resp.StatusCode == http.StatusServiceUnavailable ||
					resp.StatusCode == http.StatusConflict && bytes.Contains(body, []byte("/checkout-in-progress"))
				if !again || attempt == 29 {
					break
				}
				wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				retried.Add(1)
				time.Sleep(time.Duration(max(wait, 1)) * time.Second) // the server's Retry-After, not a wait for an outcome
			}
			a := &answers[i]
			a.status, a.body = resp.StatusCode, body
			if a.status == http.StatusOK && resp.Header.Get("Idempotent-Replayed") == "true" {
				a.status = http.StatusCreated
			}
			var err error
			switch a.status {
			case http.StatusCreated:
				err = json.Unmarshal(body, &a.order)
			case http.StatusUnprocessableEntity:
				err = json.Unmarshal(body, &a.problem)
			}
			if err != nil {
				t.Errorf("answer %d %s: %v", a.status, body, err)
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%s: %d answers of 503 busy or 409 in progress were retried after Retry-After", name, retried.Load())
	return answers
}

// preCall sends one request to the local API as caller tok and decodes a
// 2xx JSON answer into out (when not nil).
func preCall(t *testing.T, st *running, method, path, tok string, body any, out any) (int, []byte) {
	t.Helper()
	return call(t, st, preHost+":3000", method, path, tok, body, out)
}

// call sends one request to the local API, for host, as caller tok and
// decodes a 2xx JSON answer into out (when not nil).
func call(t *testing.T, st *running, host, method, path, tok string, body any, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, st.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := burstClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, b
}

// seasonTotals reads a season's totals through the API, as staff.
func seasonTotals(t *testing.T, st *running, staff, season string) order.SeasonTotals {
	t.Helper()
	var got order.SeasonTotals
	if status, body := preCall(t, st, http.MethodGet, "/admin/pre-orders/"+season+"/totals", staff, nil, &got); status != http.StatusOK {
		t.Fatalf("totals of %s: %d %s", season, status, body)
	}
	return got
}

// expectedTotals sums the lines of the orders placed, per product and per
// customer and product, as the season's totals must show them.
func expectedTotals(season string, orders []preOrderAnswer) order.SeasonTotals {
	type key struct{ customer, ref string }
	products, customers := map[string]*order.ProductTotal{}, map[key]*order.CustomerTotal{}
	want := order.SeasonTotals{Season: season, Products: []order.ProductTotal{}, Customers: []order.CustomerTotal{}}
	for _, o := range orders {
		refs := map[string]bool{}
		for _, l := range o.Lines {
			p := products[l.Ref]
			if p == nil {
				p = &order.ProductTotal{Ref: l.Ref}
				products[l.Ref] = p
			}
			c := customers[key{o.Customer, l.Ref}]
			if c == nil {
				c = &order.CustomerTotal{Customer: o.Customer, Ref: l.Ref}
				customers[key{o.Customer, l.Ref}] = c
			}
			p.Units += l.Units
			c.Units += l.Units
			if !refs[l.Ref] { // lines of one product are merged into one count
				refs[l.Ref] = true
				p.Lines++
				c.Lines++
			}
			want.Units += l.Units
		}
	}
	for _, p := range products {
		want.Products = append(want.Products, *p)
	}
	for _, c := range customers {
		want.Customers = append(want.Customers, *c)
	}
	slices.SortFunc(want.Products, func(a, b order.ProductTotal) int { return strings.Compare(a.Ref, b.Ref) })
	slices.SortFunc(want.Customers, func(a, b order.CustomerTotal) int {
		return strings.Compare(a.Customer+"\x00"+a.Ref, b.Customer+"\x00"+b.Ref)
	})
	return want
}

// checkTotals compares a season's totals with the sums of the orders.
func checkTotals(t *testing.T, got, want order.SeasonTotals) {
	t.Helper()
	if got.Season != want.Season || got.Units != want.Units {
		t.Errorf("season %s: %d units, want %s: %d", got.Season, got.Units, want.Season, want.Units)
	}
	if !slices.Equal(got.Products, want.Products) {
		t.Errorf("product totals\n\t%+v\nwant the sums of the orders\n\t%+v", got.Products, want.Products)
	}
	if !slices.Equal(got.Customers, want.Customers) {
		diff := 0
		for i := range max(len(got.Customers), len(want.Customers)) {
			if i >= len(got.Customers) || i >= len(want.Customers) || got.Customers[i] != want.Customers[i] {
				diff++
			}
		}
		t.Errorf("customer totals: %d rows, want %d; %d rows differ", len(got.Customers), len(want.Customers), diff)
	}
}

// listedOrders pages through the merchant's orders as staff.
func listedOrders(t *testing.T, st *running, staff string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		path := "/orders?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if status, body := preCall(t, st, http.MethodGet, path, staff, nil, &page); status != http.StatusOK {
			t.Fatalf("orders: %d %s", status, body)
		}
		for _, o := range page.Items {
			ids[o.ID] = true
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}

// levelsOf reads the levels of refs in W1.
func levelsOf(t *testing.T, tbl dynamo.Table, refs ...string) map[string]stock.Level {
	t.Helper()
	levels, err := (&dynamo.Orders{Table: tbl}).Levels(context.Background(), preMerchant, refs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]stock.Level{}
	for ref, ls := range levels {
		for _, l := range ls {
			if l.Warehouse == "W1" {
				out[ref] = l
			}
		}
	}
	return out
}

// capCount reads the capped product's count item: the cap's single point
// of truth.
func capCount(t *testing.T, tbl dynamo.Table) int64 {
	t.Helper()
	out, err := tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			dynamo.AttrPK: &types.AttributeValueMemberS{Value: "M#" + string(preMerchant) + "#PRE#" + capSeason + "#CAP"},
			dynamo.AttrSK: &types.AttributeValueMemberS{Value: "REF#" + capRef},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, ok := out.Item["Units"].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("cap item %v has no Units", out.Item)
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// outboxFiles lists the ERP outbox's order files with their last change.
func outboxFiles(t *testing.T, st *running) map[string]time.Time {
	t.Helper()
	files := map[string]time.Time{}
	p := s3.NewListObjectsV2Paginator(st.Clients.S3, &s3.ListObjectsV2Input{
		Bucket: aws.String(st.Resources.BucketName), Prefix: aws.String(string(preMerchant) + "/outbox/orders/"),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			files[aws.ToString(o.Key)] = aws.ToTime(o.LastModified)
		}
	}
	return files
}

// euLedger is the VAT ledger's EU-wide total of the year.
func euLedger(t *testing.T, tbl dynamo.Table) decimal.Decimal {
	t.Helper()
	s, err := (&dynamo.VATLedger{Table: tbl}).State(context.Background(), preMerchant, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sum := decimal.Zero
	for _, scopes := range s.Totals {
		sum = sum.Add(scopes["EU"])
	}
	return sum
}

// queuesEmpty reports whether the order events' queues hold nothing,
// visible or in flight.
func queuesEmpty(t *testing.T, st *running) bool {
	t.Helper()
	for _, q := range []string{"VatThresholdQueue", "OrderExportQueue"} {
		out, err := st.Clients.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(st.Resources.Queues[q].URL),
			AttributeNames: []sqstypes.QueueAttributeName{
				sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range out.Attributes {
			if n != "0" {
				return false
			}
		}
	}
	return true
}

// pollEvery calls check every interval until it reports done or within
// has passed (then the test fails with the last value).
func pollEvery[T any](t *testing.T, within, interval time.Duration, check func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v, done := check()
		if done {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s; last value %v", within, v)
		}
		time.Sleep(interval)
	}
}

// TestStack_PreOrderBurstSeasonTotalsCapCancellationAndConversion runs
// pre-orders end to end through the local API:
//
//   - 600 buyers of 30 customers pre-order at once, each their own cart
//     of 1 or 2 of four products, 1 to 6 units each: every checkout places
//     a pre-order, the merchant's orders list all 600, the season's
//     totals per product and per customer and product (as staff read them)
//     are the sums of the orders placed, and no stock level moved;
//   - the table's stream is played again from its start, so that every
//     order event is delivered twice: the totals, the VAT ledger and the
//     ERP outbox do not change;
//   - 150 buyers pre-order 1 unit each of a product capped at 60: exactly
//     60 are placed, the cap's count ends at 60, the 90 others are
//     refused 422 pre-order-cap-reached with nothing remaining;
//   - a buyer cancels a pre-order and staff a capped one: the totals and
//     the cap follow, and the freed unit can be pre-ordered again; a
//     pre-order whose season closed cannot be cancelled;
//   - staff convert a season's pre-orders in two calls: the stock is
//     taken, what it lacks backordered, nothing converted twice, the
//     totals unchanged; a converted pre-order cancelled gives its stock
//     back.
func TestStack_PreOrderBurstSeasonTotalsCapCancellationAndConversion(t *testing.T) {
	t.Parallel()
	st, tbl := startCheckoutStack(t)
	seedPreOrderWorld(t, tbl)
	staff, err := st.Issuer.Sign(preStaff, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Each function fetches the issuer's keys on its first request: one
	// request each before the bursts, as warm functions have them.
	warm, err := st.Issuer.Sign(preBuyer("warm", 0), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := preCall(t, st, http.MethodPost, "/checkout", warm, map[string]string{"shippingMethod": "standard", "paymentMethod": "card"}, nil); status != http.StatusUnprocessableEntity {
		t.Fatalf("checkout of an empty cart: %d %s", status, body)
	}
	if status, body := preCall(t, st, http.MethodGet, "/orders/20260101-WARM0001", staff, nil, nil); status != http.StatusNotFound {
		t.Fatalf("an unknown order: %d %s", status, body)
	}
	if status, body := preCall(t, st, http.MethodGet, "/admin/pre-orders/"+preSeason+"/totals", staff, nil, nil); status != http.StatusOK {
		t.Fatalf("totals: %d %s", status, body)
	}

	var (
		burst []preOrderAnswer
		// burstBuyer is the buyer of each burst pre-order.
		burstBuyer []int
	)
	ok := t.Run(fmt.Sprintf("%d concurrent pre-orders", preBuyers), func(t *testing.T) {
		t0 := time.Now()
		tokens := fillPreCarts(t, st, tbl, "burst", preBuyers, burstLines)
		t.Logf("%d carts filled in %s", preBuyers, time.Since(t0).Round(time.Millisecond))
		t0 = time.Now()
		answers := checkoutBurst(t, st, tokens, "burst")
		elapsed := time.Since(t0)
		ids := map[string]bool{}
		for i, a := range answers {
			if a.status != http.StatusCreated {
				t.Errorf("buyer %d: answer %d: %.300s", i, a.status, a.body)
				continue
			}
			o := a.order
			if o.Kind != "pre-order" || o.PreOrder == nil || o.PreOrder.Season != preSeason || len(o.Linked) != 0 {
				t.Errorf("buyer %d: %.300s, want a pre-order of %s linked to nothing", i, a.body, preSeason)
			}
			want := burstLines(i)
			if len(o.Lines) != len(want) {
				t.Errorf("buyer %d: %d lines, want %d", i, len(o.Lines), len(want))
			}
			for _, l := range o.Lines {
				if len(l.Allocations) != 0 || l.Backordered != 0 {
					t.Errorf("buyer %d: line %s allocated %v, backordered %d: a pre-order takes no stock", i, l.Ref, l.Allocations, l.Backordered)
				}
				if !slices.ContainsFunc(want, func(c cart.Line) bool { return c.Ref == l.Ref && c.Quantity == l.Units }) {
					t.Errorf("buyer %d: line %s of %d units is not in the cart %+v", i, l.Ref, l.Units, want)
				}
			}
			ids[o.ID] = true
			burst, burstBuyer = append(burst, o), append(burstBuyer, i)
		}
		if len(ids) != preBuyers {
			t.Fatalf("%d distinct pre-orders, want %d", len(ids), preBuyers)
		}
		t.Logf("%d pre-orders placed in %s: %.0f per second", preBuyers, elapsed.Round(time.Millisecond), float64(preBuyers)/elapsed.Seconds())

		listed := listedOrders(t, st, staff)
		for id := range ids {
			if !listed[id] {
				t.Errorf("pre-order %s is not in the merchant's orders", id)
			}
		}
		if len(listed) != preBuyers {
			t.Errorf("the merchant lists %d orders, want %d", len(listed), preBuyers)
		}
		checkTotals(t, seasonTotals(t, st, staff, preSeason), expectedTotals(preSeason, burst))
		for ref, l := range levelsOf(t, tbl, preRefs...) {
			if l.SiteOrders != 0 || l.Available() != preStock {
				t.Errorf("%s in W1: %d site orders, %d available: pre-orders took stock", ref, l.SiteOrders, l.Available())
			}
		}
	})
	if !ok {
		t.FailNow()
	}

	t.Run("every order event delivered twice", func(t *testing.T) {
		// The consumer's pre-orders are distance sales to Belgium: the
		// ledger counts their net amounts once.
		wantLedger := decimal.Zero
		for _, o := range burst {
			if o.Customer == preConsumer {
				wantLedger = wantLedger.Add(o.Totals.Net)
			}
		}
		if wantLedger.IsZero() {
			t.Fatal("the consumer placed no pre-order: the ledger check would prove nothing")
		}
		t0 := time.Now()
		type progress struct {
			Files  int
			Ledger string
		}
		var files map[string]time.Time
		pollEvery(t, 5*time.Minute, time.Second, func() (progress, bool) {
			files = outboxFiles(t, st)
			l := euLedger(t, tbl)
			return progress{len(files), l.String()}, len(files) == 3*preBuyers && l.Equal(wantLedger) && queuesEmpty(t, st)
		})
		t.Logf("the order events of %d pre-orders reached the ledger and the outbox %s after the burst", preBuyers, time.Since(t0).Round(time.Millisecond))

		// The stream played again from its start, through the deployed
		// handler, until it has nothing more to read.
		ctx := context.Background()
		h, err := st.Functions.Stream(ctx, "order-events")
		if err != nil {
			t.Fatal(err)
		}
		f, _ := st.Template.Function("order-events")
		replay := &devstack.StreamPoller{
			Streams: st.Clients.Streams, StreamARN: st.Resources.StreamARN, Function: "order-events-replay",
			Handler: h, Event: f.StreamEvents[0], SQS: st.Clients.SQS,
		}
		var read, idle int
		pollEvery(t, 5*time.Minute, 10*time.Millisecond, func() (int, bool) {
			n, err := replay.PollOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			read += n
			if n == 0 {
				idle++
			} else {
				idle = 0
			}
			return read, idle >= 3
		})
		if replay.Invocations() == 0 {
			t.Fatal("the replay handed nothing to the function")
		}
		t.Logf("replayed %d stream records in %d invocations", read, replay.Invocations())
		pollEvery(t, 5*time.Minute, time.Second, func() (bool, bool) { return false, queuesEmpty(t, st) })

		checkTotals(t, seasonTotals(t, st, staff, preSeason), expectedTotals(preSeason, burst))
		if l := euLedger(t, tbl); !l.Equal(wantLedger) {
			t.Errorf("after the replay the ledger's EU total is %s, want %s", l, wantLedger)
		}
		again := outboxFiles(t, st)
		if len(again) != len(files) {
			t.Errorf("after the replay the outbox holds %d files, want %d", len(again), len(files))
		}
		for k, at := range again {
			if before, ok := files[k]; !ok || !before.Equal(at) {
				t.Errorf("outbox file %s written again by the replay (%s, was %s)", k, at, before)
				break
			}
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
	})

	var capped []preOrderAnswer
	t.Run(fmt.Sprintf("a capped product under %d concurrent pre-orders", capBuyers), func(t *testing.T) {
		tokens := fillPreCarts(t, st, tbl, "cap", capBuyers, func(int) []cart.Line {
			return []cart.Line{{Ref: capRef, Packaging: catalog.Unit, Quantity: 1, Chosen: true}}
		})
		refused := 0
		for i, a := range checkoutBurst(t, st, tokens, "cap") {
			switch {
			case a.status == http.StatusCreated:
				capped = append(capped, a.order)
			case a.status == http.StatusUnprocessableEntity && strings.HasSuffix(a.problem.Type, "/pre-order-cap-reached"):
				refused++
				if !slices.Equal(a.problem.Lines, []order.CapShortage{{Ref: capRef, Requested: 1, Remaining: 0, Cap: preCap}}) {
					t.Errorf("buyer %d: refusal %s, want %s: 1 asked, 0 remaining of %d", i, a.body, capRef, preCap)
				}
			default:
				t.Errorf("buyer %d: answer %d: %.300s", i, a.status, a.body)
			}
		}
		if len(capped) != preCap || refused != capBuyers-preCap {
			t.Fatalf("%d pre-orders and %d refusals, want %d and %d", len(capped), refused, preCap, capBuyers-preCap)
		}
		if n := capCount(t, tbl); n != preCap {
			t.Errorf("the cap's count is %d, want %d", n, preCap)
		}
		checkTotals(t, seasonTotals(t, st, staff, capSeason), expectedTotals(capSeason, capped))
	})

	t.Run("cancellation", func(t *testing.T) {
		// A buyer cancels their pre-order: its units leave the totals.
		i := slices.IndexFunc(burst, func(o preOrderAnswer) bool { return len(o.Lines) == 2 })
		if i < 0 {
			t.Fatal("no burst pre-order of 2 products")
		}
		o := burst[i]
		tok, err := st.Issuer.Sign(preBuyer("burst", burstBuyer[i]), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var cancelled preOrderAnswer
		if status, body := preCall(t, st, http.MethodPost, "/orders/"+o.ID+"/cancel", tok, nil, &cancelled); status != http.StatusOK || cancelled.Status != "cancelled" {
			t.Fatalf("the buyer's cancellation of %s: %d %s", o.ID, status, body)
		}
		rest := slices.Delete(slices.Clone(burst), i, i+1)
		checkTotals(t, seasonTotals(t, st, staff, preSeason), expectedTotals(preSeason, rest))

		// Staff cancel a capped pre-order: its unit goes back to the cap,
		// for one more buyer, not two.
		var c preOrderAnswer
		if status, body := preCall(t, st, http.MethodPost, "/orders/"+capped[0].ID+"/cancel", staff, nil, &c); status != http.StatusOK || c.Status != "cancelled" {
			t.Fatalf("cancel %s: %d %s", capped[0].ID, status, body)
		}
		if n := capCount(t, tbl); n != preCap-1 {
			t.Errorf("the cap's count is %d after a cancellation, want %d", n, preCap-1)
		}
		checkTotals(t, seasonTotals(t, st, staff, capSeason), expectedTotals(capSeason, capped[1:]))
		tokens := fillPreCarts(t, st, tbl, "late", 2, func(int) []cart.Line {
			return []cart.Line{{Ref: capRef, Packaging: catalog.Unit, Quantity: 1, Chosen: true}}
		})
		late := checkoutBurst(t, st, tokens, "late")
		placed := 0
		for _, a := range late {
			switch {
			case a.status == http.StatusCreated:
				placed++
			case a.status != http.StatusUnprocessableEntity || !strings.HasSuffix(a.problem.Type, "/pre-order-cap-reached"):
				t.Errorf("answer %d: %.300s", a.status, a.body)
			}
		}
		if placed != 1 || capCount(t, tbl) != preCap {
			t.Errorf("%d of 2 late buyers placed, cap count %d: want 1 and %d", placed, capCount(t, tbl), preCap)
		}

		// A pre-order whose season closed yesterday cannot be cancelled.
		past := pastPreOrder(t, tbl)
		tok, err = st.Issuer.Sign(preBuyer("burst", 1), time.Hour) // a buyer of the pre-order's customer
		if err != nil {
			t.Fatal(err)
		}
		status, body := preCall(t, st, http.MethodPost, "/orders/"+past.ID+"/cancel", tok, nil, nil)
		if status != http.StatusConflict || !bytes.Contains(body, []byte("/pre-order-closed")) {
			t.Errorf("cancel of a pre-order whose season closed: %d %s, want 409 pre-order-closed", status, body)
		}
	})

	t.Run("conversion", func(t *testing.T) {
		tokens := fillPreCarts(t, st, tbl, "conv", convBuyers, func(int) []cart.Line {
			return []cart.Line{
				{Ref: convA, Packaging: catalog.Unit, Quantity: 2, Chosen: true},
				{Ref: convB, Packaging: catalog.Unit, Quantity: 1, Chosen: true},
			}
		})
		var pre []preOrderAnswer
		for _, a := range checkoutBurst(t, st, tokens, "conv") {
			if a.status != http.StatusCreated {
				t.Fatalf("answer %d: %.300s", a.status, a.body)
			}
			pre = append(pre, a.order)
		}
		want := expectedTotals(convSeason, pre)
		checkTotals(t, seasonTotals(t, st, staff, convSeason), want)

		converted := map[string]bool{}
		var backordered int64
		for call, limit := range []int{5, 5, 5} {
			var r order.ConvertResult
			status, body := preCall(t, st, http.MethodPost, "/admin/pre-orders/"+convSeason+"/convert", staff, map[string]int{"limit": limit}, &r)
			if status != http.StatusOK {
				t.Fatalf("convert: %d %s", status, body)
			}
			wantConverted, wantRemaining := []int{5, 3, 0}[call], []int{3, 0, 0}[call]
			if len(r.Converted) != wantConverted || r.Remaining != wantRemaining {
				t.Errorf("call %d converted %d, %d remaining: want %d and %d", call+1, len(r.Converted), r.Remaining, wantConverted, wantRemaining)
			}
			for _, id := range r.Converted {
				if converted[id] {
					t.Errorf("%s converted twice", id)
				}
				converted[id] = true
			}
			backordered += r.Backordered
		}
		// 16 units of SALON-1 for 10 in stock, 8 of SALON-2 for none.
		if len(converted) != convBuyers || backordered != 2*convBuyers-convStock+convBuyers {
			t.Errorf("%d converted, %d backordered: want %d and %d", len(converted), backordered, convBuyers, 2*convBuyers-convStock+convBuyers)
		}
		levels := levelsOf(t, tbl, convA, convB)
		if l := levels[convA]; l.SiteOrders != convStock || l.Available() != 0 {
			t.Errorf("%s in W1: %d site orders, %d available: want %d and 0", convA, l.SiteOrders, l.Available(), convStock)
		}
		if l := levels[convB]; l.SiteOrders != 0 {
			t.Errorf("%s in W1: %d site orders of no stock", convB, l.SiteOrders)
		}
		var served int64
		var withStock preOrderAnswer
		for _, p := range pre {
			var o preOrderAnswer
			if status, body := preCall(t, st, http.MethodGet, "/orders/"+p.ID, staff, nil, &o); status != http.StatusOK {
				t.Fatalf("order %s: %d %s", p.ID, status, body)
			}
			if o.PreOrder == nil || o.PreOrder.ConvertedAt == nil {
				t.Errorf("order %s is not marked converted", o.ID)
			}
			for _, l := range o.Lines {
				var units int64
				for _, al := range l.Allocations {
					units += al.Units
				}
				if units+l.Backordered != l.Units {
					t.Errorf("%s line %s: %d allocated + %d backordered of %d units", o.ID, l.Ref, units, l.Backordered, l.Units)
				}
				if l.Ref == convA {
					served += units
					if units > 0 {
						withStock = o
					}
				}
			}
		}
		if served != convStock {
			t.Errorf("the orders took %d units of %s, want %d", served, convA, convStock)
		}
		checkTotals(t, seasonTotals(t, st, staff, convSeason), want)

		// A converted pre-order cancelled gives its stock back; the totals
		// follow.
		var c preOrderAnswer
		if status, body := preCall(t, st, http.MethodPost, "/orders/"+withStock.ID+"/cancel", staff, nil, &c); status != http.StatusOK || c.Status != "cancelled" {
			t.Fatalf("cancel %s: %d %s", withStock.ID, status, body)
		}
		var back int64
		for _, l := range withStock.Lines {
			if l.Ref == convA {
				for _, al := range l.Allocations {
					back += al.Units
				}
			}
		}
		if l := levelsOf(t, tbl, convA)[convA]; l.SiteOrders != convStock-back {
			t.Errorf("%s in W1: %d site orders after the cancellation, want %d", convA, l.SiteOrders, convStock-back)
		}
		rest := slices.DeleteFunc(slices.Clone(pre), func(o preOrderAnswer) bool { return o.ID == withStock.ID })
		checkTotals(t, seasonTotals(t, st, staff, convSeason), expectedTotals(convSeason, rest))
	})
}

// pastPreOrder places, with the order store, a pre-order of 1 unit of the
// first burst product in a season that closed yesterday.
func pastPreOrder(t *testing.T, tbl dynamo.Table) order.Order {
	t.Helper()
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	price := money.AmountIn(decimal.RequireFromString("49.90"), "EUR")
	o := order.Order{
		ID: now.Format("20060102") + "-PAST0001", Merchant: preMerchant, Customer: "PRE-C01", CustomerKind: string(customer.Pro),
		PlacedBy: order.PlacedBy{Role: string(identity.Buyer), ID: preBuyer("burst", 1).Subject}, PlacedAt: now.AddDate(0, 0, -3),
		Status: order.AwaitingPayment, Storefront: "fr", ShipFrom: "FR",
		Lines: []order.Line{{PricedLine: pricing.PricedLine{Ref: preRefs[0], Quantity: 1, Packaging: catalog.Unit, Units: 1,
			UnitPrice: price, Gross: price, Total: price}}},
		Shipping: order.Shipping{Method: "standard", Country: "FR", Cost: decimal.Zero},
		Payment:  order.Payment{Method: payment.Card, Reference: "card-past"},
		Totals:   order.Totals{Currency: "EUR", Goods: price.Decimal, NetEUR: price.Decimal},
		Kind:     order.PreOrderKind,
		PreOrder: &order.PreOrderInfo{Season: pastSeason, Closes: today.AddDate(0, 0, -1), AvailableFrom: today.AddDate(0, 0, 30), Shard: 3},
	}
	if err := (&dynamo.Orders{Table: tbl}).Place(context.Background(), order.Placement{Order: o}); err != nil {
		t.Fatal(err)
	}
	return o
}
