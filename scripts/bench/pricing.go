package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/pricing/benchdata"
	"github.com/comptoir/comptoir/shared/samtemplate"
)

// Figures of the pricing load.
const (
	// benchMerchant owns the generated tariff, on its own table.
	benchMerchant = merchant.ID("bench")
	// benchHost is its storefront, a closed extranet in euros.
	benchHost = "bench.localhost"
	// benchSeed makes the tariff the same as BenchmarkPrice100Lines'.
	benchSeed = 1
	// batchGetPathLines is the largest cart whose customer prices are read
	// with one BatchGetItem (refs + profile + rep ≤ 100): the comparison
	// point of the 100-line quote, which reads the partition.
	batchGetPathLines = 98
	// engineTargetMS is the engine's CPU budget per 100-line cart.
	engineTargetMS = 1.0
)

// benchDay is the pricing day of the in-process engine benchmark.
var benchDay = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// PricingReport is the pricing load.
type PricingReport struct {
	Endpoint             string   `json:"dynamodbEndpoint"`
	Workers              int      `json:"workers"`
	Families             int      `json:"families"`
	Products             int      `json:"products"`
	PriceCategoryEntries int      `json:"priceCategoryEntries"`
	Customers            int      `json:"customers"`
	CustomerPrices       int      `json:"customerPrices"`
	Rules                int      `json:"rules"`
	RuleKinds            []string `json:"ruleKinds"`
	CartLines            int      `json:"cartLines"`
	// CatalogLoadSeconds is the time to write the storefront, categories,
	// products, accounts and rules.
	CatalogLoadSeconds float64 `json:"catalogLoadSeconds"`
	// CustomerPricesLoadSeconds is the time to write the customer prices
	// with SaveCustomerPrices (BatchWriteItem of 25), LoadWorkers
	// customers at a time.
	CustomerPricesLoadSeconds float64 `json:"customerPricesLoadSeconds"`
	CustomerPricesPerSecond   float64 `json:"customerPricesPerSecond"`
	LoadWorkers               int     `json:"loadWorkers"`
	// Requests are the API requests through the gateway.
	Requests []EndpointStats `json:"requests"`
	// Engine is the in-process engine benchmark.
	Engine []EngineStats `json:"engine"`
	// Raw are the DynamoDB reads behind the requests, sent straight to
	// DynamoDB Local.
	Raw []EndpointStats `json:"raw"`
}

// EngineStats are testing.Benchmark figures of pricing.Price on 100-line
// carts.
type EngineStats struct {
	Policy        string  `json:"policy"`
	Carts         int     `json:"carts"`
	Iterations    int     `json:"iterations"`
	MSPerCart     float64 `json:"msPerCart"`
	AllocsPerCart int64   `json:"allocsPerCart"`
	BytesPerCart  int64   `json:"bytesPerCart"`
}

// pricingBench is the loaded table and the stack in front of it.
type pricingBench struct {
	st     *catalogStack
	data   benchdata.Data
	tokens []string
	// consumer is benchConsumer's token.
	consumer string
}

// benchConsumer is a consumer in Belgium: the bench merchant is French, so
// their quotes are distance sales, whose VAT reads the distance-selling
// ledger (one round trip more than a pro's quote).
var benchConsumer = customer.Customer{ID: "P-BE", Name: "Consommateur belge", Kind: customer.Consumer, Country: "BE",
	Address: customer.Address{Line1: "Rue Haute 12", PostalCode: "1000", City: "Bruxelles", Country: "BE"}}

// benchPricing creates a fresh table, loads the generated tariff and
// measures quotes, a priced catalog page, the engine alone and the raw
// DynamoDB reads behind them. The cleanup deletes the table.
func benchPricing(ctx context.Context, o options) (*PricingReport, func(), error) {
	tpl, err := samtemplate.Load(o.template)
	if err != nil {
		return nil, nil, fmt.Errorf("pricing: %w", err)
	}
	client := localaws.DynamoDB(o.dynamodb, dynamo.CountRoundTrips, countAttempts)
	name := fmt.Sprintf("comptoir-bench-pricing-%d", time.Now().UnixNano()%1e9)
	logf("pricing: creating table %s", name)
	closers, err := sectionTable(ctx, client, tpl, name)
	if err != nil {
		return nil, nil, fmt.Errorf("pricing: %w", err)
	}
	cleanup := closers.run

	d := benchdata.Generate(benchSeed)
	rep := &PricingReport{
		Endpoint: o.dynamodb, Workers: o.workers, Families: benchdata.Families, Products: len(d.Products),
		Customers: len(d.Customers), Rules: len(d.Rules.Rules), CartLines: benchdata.CartLines, LoadWorkers: o.workers,
	}
	kinds := map[pricing.RuleKind]bool{}
	for _, r := range d.Rules.Rules {
		if !kinds[r.Kind] {
			kinds[r.Kind] = true
			rep.RuleKinds = append(rep.RuleKinds, string(r.Kind))
		}
	}
	for _, p := range d.Products {
		rep.PriceCategoryEntries += len(p.Tariffs)
	}
	tbl := dynamo.Table{Client: client, Name: name}
	if err := loadTariff(ctx, tbl, d, rep, o.workers); err != nil {
		return nil, cleanup, err
	}

	st, closeStack, err := newCatalogStack(ctx, tpl, client, name, "catalog", "pricing")
	if closeStack != nil {
		closers.add(closeStack)
	}
	if err != nil {
		return nil, cleanup, err
	}
	pb := &pricingBench{st: st, data: d}
	for _, c := range d.Customers {
		tok, err := st.issuer.Sign(identity.Caller{Role: identity.Buyer, Subject: "buyer-" + c.ID, Merchant: benchMerchant, Customer: c.ID}, time.Hour)
		if err != nil {
			return nil, cleanup, fmt.Errorf("pricing: sign token: %w", err)
		}
		pb.tokens = append(pb.tokens, tok)
	}
	if pb.consumer, err = st.issuer.Sign(identity.Caller{Role: identity.Buyer, Subject: "buyer-" + benchConsumer.ID, Merchant: benchMerchant, Customer: benchConsumer.ID}, time.Hour); err != nil {
		return nil, cleanup, fmt.Errorf("pricing: sign token: %w", err)
	}

	// Budget: the API requests and the raw reads share -pricing-duration.
	budget := o.pricingDuration / 8
	reqs := []struct {
		name, request string
		lines         int
		page          bool
		consumer      bool
	}{
		{"Quote, 100 lines, random customer (buyer)", "POST " + benchHost + "/pricing/quote", benchdata.CartLines, false, false},
		{"Quote, 98 lines, random customer (buyer): BatchGetItem path", "POST " + benchHost + "/pricing/quote", batchGetPathLines, false, false},
		{"Quote, 98 lines, a consumer in another member state: VAT of a distance sale", "POST " + benchHost + "/pricing/quote", batchGetPathLines, false, true},
		{"Category page, 50 products with the buyer's prices", "GET " + benchHost + "/catalog/categories/" + benchdata.SubFamily(2) + "/products?limit=50", 0, true, false},
	}
	for _, rq := range reqs {
		do := func(ctx context.Context, i int) outcome { return pb.quote(ctx, i, rq.lines) }
		switch {
		case rq.page:
			do = pb.page
		case rq.consumer:
			do = func(ctx context.Context, i int) outcome {
				return pb.quoteFor(ctx, i, rq.lines, pb.consumer, benchConsumer.ID)
			}
		}
		cold := do(ctx, 0)
		if cold.err != nil {
			return nil, cleanup, fmt.Errorf("pricing warm-up: %s: %w", rq.name, cold.err)
		}
		for i := 1; i < 3; i++ {
			if o := do(ctx, i); o.err != nil {
				return nil, cleanup, fmt.Errorf("pricing warm-up: %s: %w", rq.name, o.err)
			}
		}
		logf("pricing: %s: %d requests, %d workers", rq.name, o.quotes, o.workers)
		e := load(ctx, o.workers, o.quotes, budget, do).stats(rq.name, rq.request, o.workers)
		e.ColdCacheRoundTrips = cold.calls + cold.retries
		if rq.page {
			e.Limit, e.Items = 50, 50
		}
		rep.Requests = append(rep.Requests, e)
	}

	logf("pricing: one caller, %d quotes of 100 lines", max(1, o.quotes/10))
	e := load(ctx, 1, max(1, o.quotes/10), budget, func(ctx context.Context, i int) outcome { return pb.quote(ctx, i, benchdata.CartLines) }).
		stats("Quote, 100 lines, random customer (buyer), one caller", "POST "+benchHost+"/pricing/quote", 1)
	rep.Requests = append(rep.Requests, e)

	logf("pricing: engine benchmark (testing.Benchmark on pricing.Price, 100-line carts)")
	for _, policy := range []pricing.Policy{pricing.MostSpecific, pricing.BestPrice} {
		es, err := engineBenchmark(d, policy)
		if err != nil {
			return nil, cleanup, err
		}
		rep.Engine = append(rep.Engine, es)
	}

	raws := []struct {
		name, request string
		do            func(ctx context.Context, i int) error
	}{
		{"Raw BatchGetItem of 100 product keys", "BatchGetItem 100 keys (products)", pb.rawProducts},
		{"Raw BatchGetItem of 100 customer price keys", "BatchGetItem 100 keys (one customer's prices)", pb.rawCustomerPrices},
		{"Raw Query of one customer's partition (profile + 1,000 prices)", "Query PK=M#bench#C#<id>", pb.rawPartition},
	}
	for _, rw := range raws {
		if err := rw.do(ctx, 0); err != nil {
			return nil, cleanup, err
		}
		logf("pricing: %s: %d requests, %d workers", rw.name, o.quotes, o.workers)
		e := load(ctx, o.workers, o.quotes, budget, func(ctx context.Context, i int) outcome {
			c := &sdkCounters{}
			err := rw.do(context.WithValue(ctx, sdkCountersKey{}, c), i)
			return outcome{calls: int(c.ops.Load()), retries: int(c.attempts.Load() - c.ops.Load()), ops: c.signature(), err: err}
		}).stats(rw.name, rw.request, o.workers)
		rep.Raw = append(rep.Raw, e)
	}
	return rep, cleanup, nil
}

// loadTariff writes the generated tariff: storefront, categories, products
// (with their price-category entries), merchant and customer accounts,
// rules, then the customer prices, workers customers at a time.
func loadTariff(ctx context.Context, tbl dynamo.Table, d benchdata.Data, rep *PricingReport, workers int) error {
	t0 := time.Now()
	sf := merchant.Storefront{ID: "bench", Merchant: benchMerchant, Host: benchHost, Country: "FR", Language: "fr",
		Currency: benchdata.Currency, Mode: merchant.Closed, MerchantLanguage: "fr"}
	if err := (&dynamo.Storefronts{Table: tbl}).Save(ctx, []merchant.Storefront{sf}); err != nil {
		return fmt.Errorf("pricing: storefront: %w", err)
	}
	cat := &dynamo.Catalog{Table: tbl}
	if err := cat.SaveCategories(ctx, benchMerchant, d.Categories); err != nil {
		return fmt.Errorf("pricing: categories: %w", err)
	}
	if err := cat.SaveProducts(ctx, benchMerchant, d.Products); err != nil {
		return fmt.Errorf("pricing: products: %w", err)
	}
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch(benchMerchant).Merchant(dynamo.Merchant{ID: benchMerchant, Name: "Bench", Country: "FR", DefaultLanguage: "fr", Currency: benchdata.Currency})
	for i := 1; i <= benchdata.PriceCategories; i++ {
		b.PriceCategory(customer.PriceCategory{ID: strconv.Itoa(i), Name: "Catégorie " + strconv.Itoa(i)})
	}
	b.BuyingGroup(customer.BuyingGroup{ID: "BG1", Name: "Centrale"})
	for _, c := range d.Customers {
		b.Customer(c)
	}
	b.Customer(benchConsumer)
	if err := acc.Save(ctx, b); err != nil {
		return fmt.Errorf("pricing: accounts: %w", err)
	}
	prices := &dynamo.Pricing{Table: tbl}
	if err := prices.SaveRuleSet(ctx, benchMerchant, d.Rules); err != nil {
		return fmt.Errorf("pricing: rules: %w", err)
	}
	rep.CatalogLoadSeconds = time.Since(t0).Seconds()
	logf("pricing: loaded %d products, %d customers and %d rules in %.1f s", len(d.Products), len(d.Customers), len(d.Rules.Rules), rep.CatalogLoadSeconds)

	t0 = time.Now()
	ids := make(chan string)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for id := range ids {
				if err := prices.SaveCustomerPrices(ctx, benchMerchant, d.CustomerPrices[id]); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("pricing: prices of %s: %w", id, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, c := range d.Customers {
		ids <- c.ID
	}
	close(ids)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for _, c := range d.Customers {
		rep.CustomerPrices += len(d.CustomerPrices[c.ID])
	}
	rep.CustomerPricesLoadSeconds = time.Since(t0).Seconds()
	rep.CustomerPricesPerSecond = float64(rep.CustomerPrices) / rep.CustomerPricesLoadSeconds
	logf("pricing: loaded %d customer prices in %.1f s (%.0f items/s, %d writers)", rep.CustomerPrices, rep.CustomerPricesLoadSeconds, rep.CustomerPricesPerSecond, workers)
	return nil
}

// customerOf picks request i's customer, the same for every run.
func customerOf(i int) int {
	return int(rand.New(rand.NewPCG(uint64(i), 17)).IntN(benchdata.Customers))
}

// quote sends request i: a cart of n lines for a random customer, as that
// customer's buyer, through the gateway.
func (pb *pricingBench) quote(ctx context.Context, i, n int) outcome {
	c := customerOf(i)
	return pb.quoteFor(ctx, i, n, pb.tokens[c], pb.data.Customers[c].ID)
}

// quoteFor sends request i: a cart of n lines as customerID's buyer (with
// token), through the gateway; the quote must carry its VAT.
func (pb *pricingBench) quoteFor(ctx context.Context, i, n int, token, customerID string) outcome {
	cart := benchdata.Cart(rand.New(rand.NewPCG(uint64(i), 29)), n)
	body, err := json.Marshal(httpapi.QuoteRequest{Lines: cart})
	if err != nil {
		return outcome{err: err}
	}
	cnt := &sdkCounters{}
	ctx = context.WithValue(ctx, sdkCountersKey{}, cnt)
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://"+benchHost+":3000/pricing/quote", bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	pb.st.gateway.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return outcome{err: fmt.Errorf("quote for %s: status %d: %.300s", customerID, rec.Code, strings.TrimSpace(rec.Body.String()))}
	}
	var q httpapi.QuoteResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &q); err != nil {
		return outcome{err: fmt.Errorf("decode quote: %w", err)}
	}
	if len(q.Lines) != n || q.Customer != customerID || !q.Total.IsPositive() || q.Tax == nil || !q.Tax.Net.Equal(q.Total.Decimal) {
		return outcome{err: fmt.Errorf("quote for %s: %d lines, customer %q, total %s, tax %+v", customerID, len(q.Lines), q.Customer, q.Total, q.Tax)}
	}
	return pb.calls(rec, cnt)
}

// page sends request i: a 50-product page as a random customer's buyer.
func (pb *pricingBench) page(ctx context.Context, i int) outcome {
	return pb.customerPage(ctx, customerOf(i), true)
}

// customerPage sends a 50-product page as the buyer of customer c (an
// index into pb.tokens and the data's customers): every product must show
// the customer's own price, and, with more, the page must have a next.
func (pb *pricingBench) customerPage(ctx context.Context, c int, more bool) outcome {
	cnt := &sdkCounters{}
	ctx = context.WithValue(ctx, sdkCountersKey{}, cnt)
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://"+benchHost+":3000/catalog/categories/"+benchdata.SubFamily(2)+"/products?limit=50", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Authorization", "Bearer "+pb.tokens[c])
	rec := httptest.NewRecorder()
	pb.st.gateway.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return outcome{err: fmt.Errorf("page for %s: status %d: %.300s", pb.data.Customers[c].ID, rec.Code, strings.TrimSpace(rec.Body.String()))}
	}
	var page httpapi.ProductPage
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		return outcome{err: fmt.Errorf("decode page: %w", err)}
	}
	if len(page.Items) != 50 || (more && page.NextCursor == "") {
		return outcome{err: fmt.Errorf("page of %d products (next %q), want 50 and more: %v", len(page.Items), page.NextCursor, more)}
	}
	for _, p := range page.Items {
		if p.Price == nil || p.Price.Source != string(pricing.ScopeCustomer) {
			return outcome{err: fmt.Errorf("%s: price %+v, want the customer's own", p.Ref, p.Price)}
		}
	}
	return pb.calls(rec, cnt)
}

// calls reads the round trips of an answer (operations) and counts the
// SDK's retries apart.
func (pb *pricingBench) calls(rec *httptest.ResponseRecorder, cnt *sdkCounters) outcome {
	calls, err := strconv.Atoi(rec.Header().Get(httpapi.CallsHeader))
	if err != nil {
		return outcome{err: errors.New("no " + httpapi.CallsHeader + " header")}
	}
	retries := int(cnt.attempts.Load() - cnt.ops.Load())
	return outcome{calls: calls, retries: retries, ops: cnt.signature()}
}

// engineBenchmark runs testing.Benchmark on pricing.Price over 16 carts of
// random customers, their tariffs assembled beforehand as the quoter does
// after its reads.
func engineBenchmark(d benchdata.Data, policy pricing.Policy) (EngineStats, error) {
	type cart struct {
		req    pricing.Request
		tariff pricing.Tariff
	}
	r := rand.New(rand.NewPCG(2, 3))
	carts := make([]cart, 16)
	for i := range carts {
		c := r.IntN(benchdata.Customers)
		lines := benchdata.Cart(r, benchdata.CartLines)
		req := d.Request(c, lines, benchDay)
		req.Policy = policy
		carts[i] = cart{req: req, tariff: d.Tariff(c, lines)}
	}
	var failed error
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			c := carts[i%len(carts)]
			if q := pricing.Price(c.req, c.tariff); !q.Valid() || len(q.Lines) != benchdata.CartLines {
				failed = fmt.Errorf("engine: cart %d did not price", i%len(carts))
			}
		}
	})
	if failed != nil {
		return EngineStats{}, failed
	}
	if res.N == 0 {
		return EngineStats{}, errors.New("engine: the benchmark did not run")
	}
	return EngineStats{
		Policy: string(policy), Carts: len(carts), Iterations: res.N,
		MSPerCart: float64(res.NsPerOp()) / 1e6, AllocsPerCart: res.AllocsPerOp(), BytesPerCart: res.AllocedBytesPerOp(),
	}, nil
}

// rawProducts is one BatchGetItem of the 100 product keys of request i's
// cart, as the quote reads them.
func (pb *pricingBench) rawProducts(ctx context.Context, i int) error {
	cart := benchdata.Cart(rand.New(rand.NewPCG(uint64(i), 29)), benchdata.CartLines)
	keys := make([]map[string]types.AttributeValue, len(cart))
	for j, l := range cart {
		keys[j] = rawKey("M#"+string(benchMerchant)+"#P#"+l.Ref, "PRODUCT")
	}
	return pb.rawBatchGet(ctx, keys)
}

// rawCustomerPrices is one BatchGetItem of 100 of request i's customer's
// price keys (the cart's products).
func (pb *pricingBench) rawCustomerPrices(ctx context.Context, i int) error {
	pk := "M#" + string(benchMerchant) + "#C#" + pb.data.Customers[customerOf(i)].ID
	cart := benchdata.Cart(rand.New(rand.NewPCG(uint64(i), 29)), benchdata.CartLines)
	keys := make([]map[string]types.AttributeValue, len(cart))
	for j, l := range cart {
		keys[j] = rawKey(pk, "PRICE#"+l.Ref)
	}
	return pb.rawBatchGet(ctx, keys)
}

func (pb *pricingBench) rawBatchGet(ctx context.Context, keys []map[string]types.AttributeValue) error {
	got := 0
	pending := map[string]types.KeysAndAttributes{pb.st.table: {Keys: keys}}
	for attempt := 0; len(pending[pb.st.table].Keys) > 0; attempt++ {
		if attempt > 8 {
			return errors.New("raw batch get: keys still unprocessed")
		}
		out, err := pb.st.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return fmt.Errorf("raw batch get: %w", err)
		}
		got += len(out.Responses[pb.st.table])
		pending = out.UnprocessedKeys
	}
	if got != len(keys) {
		return fmt.Errorf("raw batch get: %d items, want %d", got, len(keys))
	}
	return nil
}

// rawPartition is the Query of request i's customer's whole partition, all
// pages.
func (pb *pricingBench) rawPartition(ctx context.Context, i int) error {
	pk := "M#" + string(benchMerchant) + "#C#" + pb.data.Customers[customerOf(i)].ID
	pages := dynamodb.NewQueryPaginator(pb.st.client, &dynamodb.QueryInput{
		TableName:              aws.String(pb.st.table),
		KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk},
		},
	})
	n := 0
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("raw query: %w", err)
		}
		n += len(out.Items)
	}
	if n != benchdata.Products+1 {
		return fmt.Errorf("raw query: %d items, want %d", n, benchdata.Products+1)
	}
	return nil
}

func rawKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: pk},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}
