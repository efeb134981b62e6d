package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/samtemplate"
)

// Figures of the catalog load.
const (
	// pageSize is the product page the round-trip target is stated for.
	pageSize = 50
	// pageCategory has more than pageSize visible products in the demo.
	pageCategory = "VANNES-BILLE"
	// familyCategory holds no product itself: its page lists its three
	// sub-categories' products.
	familyCategory = "VANNES"
	// cacheTTL keeps the storefront cache warm for the whole run, so that
	// the figures are those of a warm function; the cold-cache cost is
	// reported separately from the warm-up.
	cacheTTL = 10 * time.Minute
	// sequentialRequests are sent by one caller to show unloaded latency.
	sequentialRequests = 100
)

// catalogStack is the catalog function served the way the local runner
// serves it: template.yaml's routes in front of the deployed handler.
type catalogStack struct {
	gateway *devstack.Gateway
	client  *dynamodb.Client
	table   string
	issuer  *auth.DevIssuer
}

// benchCatalog creates a table shaped like template.yaml's on DynamoDB
// Local, loads the demo and measures the catalog endpoints. It returns the
// table's name for the init-time measurement, and a cleanup that deletes
// the table.
func benchCatalog(ctx context.Context, o options) (*CatalogReport, string, func(), error) {
	tpl, err := samtemplate.Load(o.template)
	if err != nil {
		return nil, "", nil, fmt.Errorf("catalog: %w", err)
	}
	client := localaws.DynamoDB(o.dynamodb, dynamo.CountRoundTrips, countAttempts)
	name := fmt.Sprintf("comptoir-bench-%d", time.Now().UnixNano()%1e9)
	logf("creating table %s on %s", name, o.dynamodb)
	if err := localaws.CreateTable(ctx, client, name, tpl.Table); err != nil {
		return nil, "", nil, fmt.Errorf("catalog: %w", err)
	}
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	closers = append(closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := localaws.DeleteTable(ctx, client, name); err != nil {
			logf("cleanup: %v", err)
		}
	})

	t0 := time.Now()
	sum, err := demo.Load(ctx, dynamo.Table{Client: client, Name: name})
	if err != nil {
		return nil, name, cleanup, fmt.Errorf("catalog: load demo: %w", err)
	}
	rep := &CatalogReport{
		Endpoint: o.dynamodb, Workers: o.workers, PageSize: pageSize,
		DemoProducts: sum.Products, DemoLoadSeconds: time.Since(t0).Seconds(),
	}
	logf("loaded the demo (%d products) in %.1f s", sum.Products, rep.DemoLoadSeconds)

	st, closeStack, err := newCatalogStack(ctx, tpl, client, name)
	if closeStack != nil {
		closers = append(closers, closeStack)
	}
	if err != nil {
		return nil, name, cleanup, err
	}

	buyer, err := st.issuer.Sign(demo.Identities()[0], time.Hour)
	if err != nil {
		return nil, name, cleanup, fmt.Errorf("catalog: sign buyer token: %w", err)
	}
	refsBuyer, refsAnon := productRefs()
	searchWords := []string{"vanne+inox", "pompe", "joint+torique", "cartouche", "raccords+inox", "flexible"}
	searchRefs := []string{"VANNES-BILLE-1", "ETANCH-TORIQUES-2", "TUYAU-INOX", "FILTRE-CART-10", "VANNES-PAPILLON"}
	page := "/catalog/categories/" + pageCategory + "/products?limit=" + strconv.Itoa(pageSize)
	family := "/catalog/categories/" + familyCategory + "/products?limit=" + strconv.Itoa(pageSize)
	scenarios := []scenario{
		{name: "Category page, 50 products — open storefront, anonymous", host: "hydro-be.localhost", path: func(int) string { return page }, items: pageSize, prices: true},
		{name: "Category page, 50 products — partially open storefront, buyer", host: "hydro-fr.localhost", token: buyer, path: func(int) string { return page }, items: pageSize, prices: true},
		{name: "Family page (3 sub-categories), 50 products — partially open storefront, buyer", host: "hydro-fr.localhost", token: buyer, path: func(int) string { return family }, items: pageSize, prices: true},
		{name: "Product detail — partially open storefront, buyer", host: "hydro-fr.localhost", token: buyer, path: func(i int) string { return "/catalog/products/" + refsBuyer[i%len(refsBuyer)] }, items: -1, prices: true},
		{name: "Product detail — partially open storefront, anonymous", host: "hydro-fr.localhost", path: func(i int) string { return "/catalog/products/" + refsAnon[i%len(refsAnon)] }, items: -1},
		{name: "Category tree — partially open storefront, anonymous", host: "hydro-fr.localhost", path: func(int) string { return "/catalog/categories" }, items: -1},
		{name: "Category tree — partially open storefront, buyer", host: "hydro-fr.localhost", token: buyer, path: func(int) string { return "/catalog/categories" }, items: -1},
		{name: "Search by name words, 20 hits — partially open storefront, buyer", host: "hydro-fr.localhost", token: buyer, path: func(i int) string { return "/catalog/search?limit=20&q=" + searchWords[i%len(searchWords)] }, items: -1, prices: true},
		{name: "Search by reference prefix, 20 hits — open storefront, anonymous", host: "hydro-be.localhost", path: func(i int) string { return "/catalog/search?limit=20&q=" + searchRefs[i%len(searchRefs)] }, items: -1, prices: true},
	}
	runs := len(scenarios) + 3 // + raw query, and the two sequential runs
	budget := o.maxDuration / time.Duration(runs)
	perScenario := max(1, o.requests/len(scenarios))

	for _, sc := range scenarios {
		warm, items, err := st.warmUp(ctx, sc)
		if err != nil {
			return nil, name, cleanup, err
		}
		logf("%s: %d requests, %d workers", sc.name, perScenario, o.workers)
		s := load(ctx, o.workers, perScenario, budget, func(ctx context.Context, i int) outcome { return st.call(ctx, sc, i) })
		e := s.stats(sc.name, "GET "+sc.host+sc.path(0), o.workers)
		e.ColdCacheRoundTrips = warm
		if sc.items >= 0 {
			e.Limit, e.Items = sc.items, items
		}
		rep.Endpoints = append(rep.Endpoints, e)
	}

	raw := func(ctx context.Context, _ int) outcome {
		c := &sdkCounters{}
		err := st.rawPageQuery(context.WithValue(ctx, sdkCountersKey{}, c))
		return outcome{calls: int(c.ops.Load()), retries: int(c.attempts.Load() - c.ops.Load()), err: err}
	}
	if err := st.rawPageQuery(ctx); err != nil {
		return nil, name, cleanup, err
	}
	logf("raw DynamoDB Query of the same page: %d requests, %d workers", perScenario, o.workers)
	e := load(ctx, o.workers, perScenario, budget, raw).stats("Raw DynamoDB Query of the same 50-item page (GSI1)", "Query GSI1 Limit=50", o.workers)
	e.Limit, e.Items = pageSize, pageSize
	rep.RawQuery = append(rep.RawQuery, e)

	logf("one caller, %d requests each: page and raw query", sequentialRequests)
	sc := scenarios[0]
	e = load(ctx, 1, sequentialRequests, budget, func(ctx context.Context, i int) outcome { return st.call(ctx, sc, i) }).
		stats(sc.name+" (one caller)", "GET "+sc.host+sc.path(0), 1)
	e.Limit, e.Items = pageSize, rep.Endpoints[0].Items
	rep.Endpoints = append(rep.Endpoints, e)
	e = load(ctx, 1, sequentialRequests, budget, raw).stats("Raw DynamoDB Query of the same 50-item page (one caller)", "Query GSI1 Limit=50", 1)
	e.Limit, e.Items = pageSize, pageSize
	rep.RawQuery = append(rep.RawQuery, e)
	return rep, name, cleanup, nil
}

// newCatalogStack builds the gateway and the API functions of folders (the
// catalog function when none) as the local runner does, on the given table,
// with a development issuer whose keys are served on a loopback port.
func newCatalogStack(ctx context.Context, tpl *samtemplate.Template, client *dynamodb.Client, table string, folders ...string) (*catalogStack, func(), error) {
	if len(folders) == 0 {
		folders = []string{"catalog"}
	}
	iss, err := auth.NewDevIssuer("https://issuer.bench.localhost", "comptoir-bench")
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: issuer: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: listen for the JWKS: %w", err)
	}
	srv := &http.Server{Handler: iss, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	closeSrv := func() { _ = srv.Close() }

	fns := &devstack.Functions{
		Template:  tpl,
		Resources: tableOnlyResources(tpl, table),
		Clients:   devstack.Clients{DynamoDB: client},
		Env: devstack.LocalEnv{
			Issuer: iss.Issuer, Audience: iss.Audience, JWKSURL: "http://" + ln.Addr().String() + "/.well-known/jwks.json",
			CacheTTL: cacheTTL, LogLevel: "error",
		},
	}
	for _, folder := range folders {
		if _, err := fns.API(ctx, folder); err != nil {
			return nil, closeSrv, fmt.Errorf("%s: build the function: %w", folder, err)
		}
	}
	keys, err := auth.StaticKeys(iss.KeySet())
	if err != nil {
		return nil, closeSrv, fmt.Errorf("catalog: %w", err)
	}
	var routes []samtemplate.FunctionRoute
	for _, r := range tpl.Routes() {
		if slices.Contains(folders, r.Function) {
			routes = append(routes, r)
		}
	}
	gw, err := devstack.NewGateway(devstack.GatewayConfig{
		Routes: routes, Functions: fns,
		Authorizer: &auth.Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: keys, Leeway: 30 * time.Second},
	})
	if err != nil {
		return nil, closeSrv, fmt.Errorf("catalog: %w", err)
	}
	return &catalogStack{gateway: gw, client: client, table: table, issuer: iss}, closeSrv, nil
}

// tableOnlyResources resolves the template against the one resource the
// catalog needs, the table; every other resource gets a placeholder name
// (the catalog function does not use them).
func tableOnlyResources(tpl *samtemplate.Template, table string) *devstack.Resources {
	const prefix = "comptoir-bench"
	r := samtemplate.Resolver{
		"AWS::Region": localaws.Region, "AWS::AccountId": localaws.AccountID, "AWS::StackName": prefix,
		"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
	}
	for name, def := range tpl.Parameters {
		r[name] = def
	}
	for id := range tpl.Resources {
		r[id] = prefix + "-" + id
		for _, attr := range []string{"Arn", "QueueName", "QueueUrl"} {
			r[id+"."+attr] = prefix + "-" + id
		}
	}
	r[tpl.Table.LogicalID] = table
	return &devstack.Resources{Prefix: prefix, TableName: table, Queues: map[string]devstack.Queue{}, Resolver: r, CursorKey: cursor.NewKey()}
}

// scenario is one kind of catalog request.
type scenario struct {
	name, host, token string
	path              func(i int) string
	// items is the page size asked for, -1 when not a page.
	items int
	// prices says whether prices must be shown.
	prices bool
}

// serve sends one request through the gateway.
func (st *catalogStack) serve(ctx context.Context, sc scenario, i int) (*httptest.ResponseRecorder, error) {
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://"+sc.host+":3000"+sc.path(i), nil)
	req.RemoteAddr = "127.0.0.1:40000"
	if sc.token != "" {
		req.Header.Set("Authorization", "Bearer "+sc.token)
	}
	rec := httptest.NewRecorder()
	st.gateway.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return rec, fmt.Errorf("%s %s: status %d: %s", sc.host, sc.path(i), rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	return rec, nil
}

// call is one measured request. The round trips are the header's
// (operations); the SDK's retries are counted apart.
func (st *catalogStack) call(ctx context.Context, sc scenario, i int) outcome {
	c := &sdkCounters{}
	rec, err := st.serve(context.WithValue(ctx, sdkCountersKey{}, c), sc, i)
	if err != nil {
		return outcome{err: err}
	}
	calls, err := strconv.Atoi(rec.Header().Get(httpapi.CallsHeader))
	if err != nil {
		return outcome{err: fmt.Errorf("%s: no %s header", sc.path(i), httpapi.CallsHeader)}
	}
	retries := int(c.attempts.Load() - c.ops.Load())
	return outcome{calls: calls, retries: retries, ops: c.signature()}
}

// sdkCounters count the DynamoDB operations of one request and their
// attempts, so that retries can be told from the round trips the code asks
// for, and record the operations' names.
type sdkCounters struct {
	ops, attempts atomic.Int64
	mu            sync.Mutex
	names         []string
}

// signature is the request's operations, sorted and counted
// ("BatchGetItem + Query", "BatchGetItem ×2").
func (c *sdkCounters) signature() string {
	c.mu.Lock()
	names := slices.Clone(c.names)
	c.mu.Unlock()
	slices.Sort(names)
	var parts []string
	for i := 0; i < len(names); {
		j := i
		for j < len(names) && names[j] == names[i] {
			j++
		}
		if j-i > 1 {
			parts = append(parts, fmt.Sprintf("%s ×%d", names[i], j-i))
		} else {
			parts = append(parts, names[i])
		}
		i = j
	}
	return strings.Join(parts, " + ")
}

type sdkCountersKey struct{}

// countAttempts is a client option feeding the request's sdkCounters: once
// per operation before the retry loop, once per attempt inside it.
func countAttempts(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		if err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("benchNameOperations",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if c, ok := ctx.Value(sdkCountersKey{}).(*sdkCounters); ok {
					c.mu.Lock()
					c.names = append(c.names, awsmiddleware.GetOperationName(ctx))
					c.mu.Unlock()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After); err != nil {
			return err
		}
		if err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("benchCountOperations",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if c, ok := ctx.Value(sdkCountersKey{}).(*sdkCounters); ok {
					c.ops.Add(1)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before); err != nil {
			return err
		}
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("benchCountAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if c, ok := ctx.Value(sdkCountersKey{}).(*sdkCounters); ok {
					c.attempts.Add(1)
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// warmUp sends the scenario's first requests one by one, checks that the
// answers are what the scenario is about (a full page, prices), and returns
// the round trips of the very first one, the cost with a cold storefront
// cache, and the number of products of a page.
func (st *catalogStack) warmUp(ctx context.Context, sc scenario) (cold, items int, err error) {
	for i := range 3 {
		rec, err := st.serve(ctx, sc, i)
		if err != nil {
			return 0, 0, fmt.Errorf("catalog warm-up: %w", err)
		}
		if i == 0 {
			cold, _ = strconv.Atoi(rec.Header().Get(httpapi.CallsHeader))
		}
		if items, err = check(sc, rec.Body.Bytes()); err != nil {
			return 0, 0, fmt.Errorf("catalog warm-up: %s: %w", sc.name, err)
		}
	}
	return cold, items, nil
}

// check verifies one answer of the scenario and returns the number of
// products of a page: a full page, though the demo's first 50 valves hold
// one inactive product (the page reads on past the products the caller may
// not see).
func check(sc scenario, body []byte) (int, error) {
	if sc.items >= 0 {
		var page httpapi.ProductPage
		if err := json.Unmarshal(body, &page); err != nil {
			return 0, fmt.Errorf("decode page: %w", err)
		}
		if len(page.Items) != sc.items || page.NextCursor == "" {
			return 0, fmt.Errorf("page of %d products (next cursor %q), want %d and more pages", len(page.Items), page.NextCursor, sc.items)
		}
		for _, p := range page.Items {
			if (p.Price != nil) != sc.prices {
				return 0, fmt.Errorf("%s: price shown = %v, want %v", p.Ref, p.Price != nil, sc.prices)
			}
		}
		return len(page.Items), nil
	}
	if strings.HasPrefix(sc.path(0), "/catalog/search") {
		var page httpapi.ProductPage
		if err := json.Unmarshal(body, &page); err != nil {
			return 0, fmt.Errorf("decode search page: %w", err)
		}
		if len(page.Items) == 0 {
			return 0, fmt.Errorf("search %s found nothing", sc.path(0))
		}
		for _, p := range page.Items {
			if (p.Price != nil) != sc.prices {
				return 0, fmt.Errorf("%s: price shown = %v, want %v", p.Ref, p.Price != nil, sc.prices)
			}
		}
		return len(page.Items), nil
	}
	if strings.HasPrefix(sc.path(0), "/catalog/products/") {
		var p httpapi.ProductView
		if err := json.Unmarshal(body, &p); err != nil {
			return 0, fmt.Errorf("decode product: %w", err)
		}
		if (p.Price != nil) != sc.prices {
			return 0, fmt.Errorf("%s: price shown = %v, want %v", p.Ref, p.Price != nil, sc.prices)
		}
	}
	return 0, nil
}

// rawPageQuery is the DynamoDB Query behind a page of pageSize products of
// pageCategory, sent straight to DynamoDB Local, items decoded by the SDK
// only.
func (st *catalogStack) rawPageQuery(ctx context.Context) error {
	out, err := st.client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(st.table),
		IndexName:              aws.String(dynamo.GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "M#" + string(demo.Hydro) + "#CAT#" + pageCategory},
		},
		Limit: aws.Int32(pageSize),
	})
	if err != nil {
		return fmt.Errorf("raw query: %w", err)
	}
	if len(out.Items) != pageSize {
		return errors.New("raw query: got " + strconv.Itoa(len(out.Items)) + " items, want " + strconv.Itoa(pageSize))
	}
	return nil
}

// productRefs returns the demo's products a buyer may see, and those an
// anonymous visitor of a partially open storefront may see (no pro-only
// product, nothing of the restricted service family).
func productRefs() (buyer, anonymous []string) {
	d := demo.Build()
	restricted := map[string]bool{}
	for _, c := range d.Categories[demo.Hydro] {
		if c.Restricted {
			restricted[c.ID] = true
		}
	}
	for _, c := range d.Categories[demo.Hydro] {
		if restricted[c.ParentID] {
			restricted[c.ID] = true
		}
	}
	for _, p := range d.Products[demo.Hydro] {
		if p.Inactive {
			continue
		}
		buyer = append(buyer, p.Ref)
		if !p.ProOnly && !restricted[p.CategoryID] {
			anonymous = append(anonymous, p.Ref)
		}
	}
	return buyer, anonymous
}
