package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/testenv"
)

// The hot-product world: one merchant, a French storefront, a product held
// 40 in W1 and 25 in W2, and its twin that allows backorders, held alike.
const (
	hotMerchant  merchant.ID = "hot-shop"
	hotHost                  = "hot-fr.localhost"
	hotRef                   = "HOT-1"
	twinRef                  = "HOT-1-BO"
	hotBuyers                = 300
	hotCustomers             = 10
	hotW1, hotW2             = 40, 25
)

// lambdaLikeDynamoDB is the runner's DynamoDB client
// (localaws.LambdaLikeRetries).
func lambdaLikeDynamoDB(endpoint, db string) *dynamodb.Client {
	return localaws.DynamoDB(endpoint, dynamo.CountRoundTrips, localaws.LambdaLikeRetries, localaws.Database(db))
}

// startCheckoutStack is startStack with the functions' DynamoDB client of
// lambdaLikeDynamoDB, swapped in before anything runs.
func startCheckoutStack(t *testing.T) (*running, dynamo.Table) {
	t.Helper()
	ddb := testenv.Endpoint(t, testenv.DynamoDBEndpointVar)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	iss, err := auth.NewDevIssuer(base+"/dev-issuer", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	prefix := testenv.UniqueName("t")
	st, err := devstack.New(ctx, devstack.Config{
		TemplatePath: filepath.Join("..", "..", "template.yaml"), DynamoDBEndpoint: ddb, Database: prefix,
		SQSEndpoint: testenv.Endpoint(t, testenv.SQSEndpointVar), Prefix: prefix,
		Issuer: iss, JWKSURL: base + "/.well-known/jwks.json", VisibilityTimeout: time.Second,
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	client := lambdaLikeDynamoDB(ddb, prefix)
	st.Functions.Clients.DynamoDB = client
	var wg sync.WaitGroup
	wg.Go(func() { _ = devstack.Serve(ctx, ln, st.Gateway) })
	wg.Go(func() { _ = st.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		if err := localaws.DeleteTable(cctx, st.Clients.DynamoDB, st.Resources.TableName); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return &running{Stack: st, URL: base, Issuer: iss}, dynamo.Table{Client: client, Name: st.Resources.TableName}
}

// seedHotWorld writes the merchant, its storefront (standard delivery
// €9.90 in France, card or transfer), the two products, the warehouses,
// their levels and the customers.
func seedHotWorld(t *testing.T, tbl dynamo.Table) {
	t.Helper()
	ctx := context.Background()
	sf := merchant.Storefront{ID: "fr", Merchant: hotMerchant, Host: hotHost, Country: "FR", Language: "fr", Currency: "EUR",
		Mode: merchant.Closed, MerchantLanguage: "fr", Warehouse: "W1",
		Shipping: merchant.Shipping{Methods: []merchant.ShippingMethod{{ID: "standard", Name: "Messagerie",
			Rates: []merchant.ShippingRate{{Country: "FR", Amount: decimal.RequireFromString("9.90")}}}}},
		PaymentMethods: map[string][]string{"*": {"card", "transfer"}},
	}
	if err := (&dynamo.Storefronts{Table: tbl}).Save(ctx, []merchant.Storefront{sf}); err != nil {
		t.Fatal(err)
	}
	cat := &dynamo.Catalog{Table: tbl}
	if err := cat.SaveCategories(ctx, hotMerchant, []catalog.Category{{ID: "HOT", Names: map[string]string{"fr": "Promotions"}}}); err != nil {
		t.Fatal(err)
	}
	product := func(ref string, backorder bool) catalog.Product {
		return catalog.Product{Ref: ref, CategoryID: "HOT", Names: map[string]string{"fr": "Vanne " + ref},
			Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
			TaxCategory: "standard", BasePrice: decimal.RequireFromString("49.90"), Currency: "EUR", Backorder: backorder}
	}
	if err := cat.SaveProducts(ctx, hotMerchant, []catalog.Product{product(hotRef, false), product(twinRef, true)}); err != nil {
		t.Fatal(err)
	}
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch(hotMerchant).
		Merchant(merchant.Merchant{ID: hotMerchant, Name: "Hot Shop", Country: "FR", DefaultLanguage: "fr", Currency: "EUR", Domains: []string{hotHost}}).
		Warehouse(stock.Warehouse{ID: "W1", Name: "Lyon", Country: "FR"}).
		Warehouse(stock.Warehouse{ID: "W2", Name: "Lille", Country: "FR"})
	for _, ref := range []string{hotRef, twinRef} {
		b.StockLevel(stock.Level{Ref: ref, Warehouse: "W1", OnHand: hotW1, Min: 5, Max: 100}).
			StockLevel(stock.Level{Ref: ref, Warehouse: "W2", OnHand: hotW2, Min: 5, Max: 100})
	}
	for i := range hotCustomers {
		b.Customer(customer.Customer{ID: fmt.Sprintf("HOT-C%02d", i), Name: "Client", Kind: customer.Pro, Country: "FR",
			Address: customer.Address{Line1: "1 place Bellecour", PostalCode: "69002", City: "Lyon", Country: "FR"}})
	}
	if err := acc.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
}

// hotBuyer is buyer i, of one of the customers.
func hotBuyer(i int) identity.Caller {
	c := fmt.Sprintf("HOT-C%02d", i%hotCustomers)
	return identity.Caller{Role: identity.Buyer, Subject: fmt.Sprintf("buyer%03d@%s", i, strings.ToLower(c)), Merchant: hotMerchant, Customer: c}
}

// fillCarts puts one unit of ref in every buyer's cart, 10 carts at a
// time.
func fillCarts(t *testing.T, tbl dynamo.Table, ref string) {
	t.Helper()
	carts := &dynamo.Carts{Table: tbl}
	var wg sync.WaitGroup
	errs := make(chan error, hotBuyers)
	sem := make(chan struct{}, 10)
	for i := range hotBuyers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b := hotBuyer(i)
			_, err := carts.Update(context.Background(), hotMerchant, b.Customer, cart.Owner("B#"+b.Subject), 0, func(s *cart.Stored) error {
				s.Lines = []cart.Line{{Ref: ref, Packaging: catalog.Unit, Quantity: 1, Chosen: true}}
				return nil
			})
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
}

// checkoutAnswer is what the test reads of a checkout's answer.
type checkoutAnswer struct {
	status int
	calls  int
	body   []byte
	order  struct {
		ID    string `json:"id"`
		Lines []struct {
			Ref         string             `json:"ref"`
			Units       int64              `json:"units"`
			Allocations []order.Allocation `json:"allocations"`
			Backordered int64              `json:"backordered"`
		} `json:"lines"`
	}
	problem struct {
		Type  string           `json:"type"`
		Lines []order.Shortage `json:"lines"`
	}
}

// checkoutAll sends every buyer's checkout at once through the local API.
func checkoutAll(t *testing.T, st *running, tokens []string) []checkoutAnswer {
	t.Helper()
	answers := make([]checkoutAnswer, hotBuyers)
	var retried atomic.Int64
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: hotBuyers}}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range hotBuyers {
		wg.Go(func() {
			<-start
			// A buyer's client: a 503 busy (the stock kept changing
			// under the order until the request's time ran out) is
			// retried after its Retry-After with the same
			// Idempotency-Key, as the answer asks; at most 20 times.
			key := fmt.Sprintf("hot-%d-%d", i, time.Now().UnixNano())
			var resp *http.Response
			for attempt := 0; ; attempt++ {
				req, err := http.NewRequest(http.MethodPost, st.URL+"/checkout", strings.NewReader(`{"shippingMethod":"standard","paymentMethod":"card"}`))
				if err != nil {
					t.Error(err)
					return
				}
				req.Host = hotHost + ":3000"
				req.Header.Set("Authorization", "Bearer "+tokens[i])
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key)
				if resp, err = client.Do(req); err != nil {
					t.Error(err)
					return
				}
				if resp.StatusCode != http.StatusServiceUnavailable || attempt == 19 {
					break
				}
				wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				resp.Body.Close()
				retried.Add(1)
				time.Sleep(time.Duration(max(wait, 1)) * time.Second) // the server's Retry-After, not a wait for an outcome
			}
			defer resp.Body.Close()
			a := &answers[i]
			a.status = resp.StatusCode
			a.calls, _ = strconv.Atoi(resp.Header.Get("X-Dynamodb-Calls"))
			a.body, _ = io.ReadAll(resp.Body)
			var err error
			if a.status == http.StatusOK && resp.Header.Get("Idempotent-Replayed") == "true" {
				// A retry answered with the order its key placed.
				a.status = http.StatusCreated
			}
			switch a.status {
			case http.StatusCreated:
				err = json.Unmarshal(a.body, &a.order)
			case http.StatusUnprocessableEntity:
				err = json.Unmarshal(a.body, &a.problem)
			}
			if err != nil {
				t.Errorf("answer %d %s: %v", a.status, a.body, err)
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%d checkouts answered 503 busy and were retried after Retry-After", retried.Load())
	return answers
}

// servedByWarehouse sums the units the orders took from each warehouse
// and the units they backordered.
func servedByWarehouse(t *testing.T, answers []checkoutAnswer, ref string) (map[string]int64, int64) {
	t.Helper()
	served, backordered := map[string]int64{}, int64(0)
	for _, a := range answers {
		if a.status != http.StatusCreated {
			continue
		}
		if len(a.order.Lines) != 1 || a.order.Lines[0].Ref != ref || a.order.Lines[0].Units != 1 {
			t.Fatalf("order %s", a.body)
		}
		l := a.order.Lines[0]
		for _, al := range l.Allocations {
			served[al.Warehouse] += al.Units
		}
		backordered += l.Backordered
	}
	return served, backordered
}

// checkLevels checks that ref's levels are spent exactly: both warehouses
// at 0 available, never below, with what the site orders took.
func checkLevels(t *testing.T, tbl dynamo.Table, ref string) {
	t.Helper()
	levels, err := (&dynamo.Orders{Table: tbl}).Levels(context.Background(), hotMerchant, []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"W1": hotW1, "W2": hotW2}
	if len(levels[ref]) != 2 {
		t.Fatalf("levels of %s: %+v", ref, levels[ref])
	}
	for _, l := range levels[ref] {
		if l.SiteOrders != want[l.Warehouse] || l.OnHand-l.Reserved-l.SiteOrders != 0 || l.Available() != 0 {
			t.Errorf("%s in %s: on hand %d, reserved %d, site orders %d (want %d): %d left",
				ref, l.Warehouse, l.OnHand, l.Reserved, l.SiteOrders, want[l.Warehouse], l.OnHand-l.Reserved-l.SiteOrders)
		}
	}
}

func callsRange(answers []checkoutAnswer, status int) (lo, hi int) {
	lo = -1
	for _, a := range answers {
		if a.status != status {
			continue
		}
		if lo < 0 || a.calls < lo {
			lo = a.calls
		}
		hi = max(hi, a.calls)
	}
	return lo, hi
}

// TestStack_ConcurrentCheckoutsOfAHotProduct sends 300 checkouts of one
// unit at once through the local API, each buyer with their own cart, for
// a product held 40 in W1 and 25 in W2: exactly 65 orders are placed, 40
// from W1 and 25 from W2, both warehouses end at 0 available with nothing
// oversold, and the 235 others are refused out of stock with the quantity
// available. The same against a twin that allows backorders: all 300 are
// placed, 65 served and 235 backordered.
func TestStack_ConcurrentCheckoutsOfAHotProduct(t *testing.T) {
	t.Parallel()
	st, tbl := startCheckoutStack(t)
	seedHotWorld(t, tbl)
	tokens := make([]string, hotBuyers)
	for i := range tokens {
		tok, err := st.Issuer.Sign(hotBuyer(i), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = tok
	}

	t.Run("out of stock after 65", func(t *testing.T) {
		fillCarts(t, tbl, hotRef)
		answers := checkoutAll(t, st, tokens)
		created, refused := 0, 0
		for _, a := range answers {
			switch {
			case a.status == http.StatusCreated:
				created++
			case a.status == http.StatusUnprocessableEntity && strings.HasSuffix(a.problem.Type, "/out-of-stock"):
				refused++
				if !slices.Equal(a.problem.Lines, []order.Shortage{{Ref: hotRef, Requested: 1, Available: 0}}) {
					t.Errorf("refusal %s, want %s: 1 asked, 0 available", a.body, hotRef)
				}
			default:
				t.Errorf("answer %d: %s", a.status, a.body)
			}
		}
		if created != hotW1+hotW2 || refused != hotBuyers-hotW1-hotW2 {
			t.Fatalf("%d orders and %d refusals, want %d and %d", created, refused, hotW1+hotW2, hotBuyers-hotW1-hotW2)
		}
		served, backordered := servedByWarehouse(t, answers, hotRef)
		if served["W1"] != hotW1 || served["W2"] != hotW2 || backordered != 0 {
			t.Errorf("the orders took %v and backordered %d, want W1 %d, W2 %d", served, backordered, hotW1, hotW2)
		}
		checkLevels(t, tbl, hotRef)
		lo, hi := callsRange(answers, http.StatusCreated)
		rlo, rhi := callsRange(answers, http.StatusUnprocessableEntity)
		t.Logf("DynamoDB round trips of a 1-line checkout under contention: placed %d to %d, refused %d to %d", lo, hi, rlo, rhi)
	})

	t.Run("backordered after 65", func(t *testing.T) {
		fillCarts(t, tbl, twinRef)
		answers := checkoutAll(t, st, tokens)
		ids := map[string]bool{}
		for _, a := range answers {
			if a.status != http.StatusCreated {
				t.Errorf("answer %d: %s", a.status, a.body)
				continue
			}
			ids[a.order.ID] = true
		}
		if len(ids) != hotBuyers {
			t.Fatalf("%d distinct orders, want %d", len(ids), hotBuyers)
		}
		served, backordered := servedByWarehouse(t, answers, twinRef)
		if served["W1"] != hotW1 || served["W2"] != hotW2 || backordered != hotBuyers-hotW1-hotW2 {
			t.Errorf("the orders took %v and backordered %d, want W1 %d, W2 %d and %d backordered", served, backordered, hotW1, hotW2, hotBuyers-hotW1-hotW2)
		}
		checkLevels(t, tbl, twinRef)
	})
}
