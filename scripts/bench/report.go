package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/comptoir/comptoir/shared/pricing/benchdata"
)

// Report is everything one run measured; it is written as report.json and
// rendered as report.md.
type Report struct {
	Date      string           `json:"date"`
	Seconds   float64          `json:"seconds"`
	Machine   Machine          `json:"machine"`
	Catalog   *CatalogReport   `json:"catalog,omitempty"`
	Pricing   *PricingReport   `json:"pricing,omitempty"`
	VAT       *VATReport       `json:"vat,omitempty"`
	Orders    *OrdersReport    `json:"orders,omitempty"`
	PreOrders *PreOrdersReport `json:"preOrders,omitempty"`
	ERP       *ERPReport       `json:"erp,omitempty"`
	Functions *FunctionsReport `json:"functions,omitempty"`
	Targets   []Target         `json:"targets"`
}

// Machine is where the figures were measured.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPU       string `json:"cpu,omitempty"`
	GoVersion string `json:"goVersion"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	// LoadAverageStart and LoadAverageEnd are /proc/loadavg's 1, 5 and 15
	// minute figures when the run started and ended.
	LoadAverageStart string `json:"loadAverageStart,omitempty"`
	LoadAverageEnd   string `json:"loadAverageEnd,omitempty"`
}

// CatalogReport is the catalog load.
type CatalogReport struct {
	Endpoint        string          `json:"dynamodbEndpoint"`
	Workers         int             `json:"workers"`
	PageSize        int             `json:"pageSize"`
	DemoProducts    int             `json:"demoProducts"`
	DemoLoadSeconds float64         `json:"demoLoadSeconds"`
	Endpoints       []EndpointStats `json:"endpoints"`
	RawQuery        []EndpointStats `json:"rawQuery"`
}

// EndpointStats are the figures of one kind of request.
type EndpointStats struct {
	Name    string `json:"name"`
	Request string `json:"request"`
	Workers int    `json:"workers"`
	Count   int    `json:"count"`
	Errors  int    `json:"errors"`
	// Retries are the SDK's retries over all requests; RoundTrips leave
	// them out.
	Retries int `json:"retries"`
	// FirstError is the first failure, when there were some.
	FirstError string `json:"firstError,omitempty"`
	// Limit is the page size asked for, when a page.
	Limit int `json:"limit,omitempty"`
	// Items is the number of products a page showed.
	Items      int          `json:"items,omitempty"`
	RoundTrips *RoundTrips  `json:"roundTrips,omitempty"`
	Latency    *Percentiles `json:"latencyMs,omitempty"`
	// Throughput is in requests per second.
	Throughput float64 `json:"throughput"`
	// ColdCacheRoundTrips is the cost of the first request of the run,
	// storefront cache still empty.
	ColdCacheRoundTrips int `json:"coldCacheRoundTrips,omitempty"`
	// Operations are the DynamoDB operations of most requests
	// ("BatchGetItem + Query").
	Operations string `json:"operations,omitempty"`
}

// RoundTrips are DynamoDB round trips per request: X-Dynamodb-Calls, which
// counts operations, not the SDK's retries.
type RoundTrips struct {
	Min    int `json:"min"`
	Median int `json:"median"`
	Max    int `json:"max"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// FunctionsReport are the binary sizes and init times.
type FunctionsReport struct {
	ColdStarts     int             `json:"coldStarts"`
	HostArch       string          `json:"hostArch"`
	SizeLimitBytes int64           `json:"sizeLimitBytes"`
	Hello          FunctionStats   `json:"hello"`
	Functions      []FunctionStats `json:"functions"`
}

// FunctionStats are one function's figures.
type FunctionStats struct {
	Name string `json:"name"`
	// SizeBytes is the stripped linux/arm64 bootstrap's size.
	SizeBytes     int64     `json:"sizeBytes"`
	InitMS        []float64 `json:"initMs"`
	InitMedianMS  float64   `json:"initMedianMs"`
	FirstInvokeMS []float64 `json:"firstInvokeMs"`
	WarmInvokeMS  []float64 `json:"warmInvokeMs"`
	// EmulatorInitMS are the emulator's own Init Duration figures.
	EmulatorInitMS []float64 `json:"emulatorInitMs"`
	// Source says how the init time was obtained.
	Source string `json:"source,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Target is a promise and whether this run kept it.
type Target struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// targets checks the project's promises against the figures.
func targets(r *Report) []Target {
	var out []Target
	if c := r.Catalog; c != nil {
		// A page of list prices is the category and the page, read in
		// parallel; a buyer's own prices add the customer's tariff.
		t := Target{Name: "DynamoDB round trips of a 50-product page", Goal: "at most 2 per page, 3 with a buyer's own prices", Met: true}
		var parts []string
		for _, e := range c.Endpoints {
			if e.Limit != c.PageSize || !strings.HasPrefix(e.Request, "GET ") {
				continue
			}
			limit := 2
			if strings.Contains(e.Name, "buyer") {
				limit = 3
			}
			if e.RoundTrips == nil || e.Errors > 0 || e.RoundTrips.Max > limit {
				t.Met = false
			}
			if e.RoundTrips != nil {
				parts = append(parts, fmt.Sprintf("%s: max %d", e.Name, e.RoundTrips.Max))
			}
		}
		t.Measured = strings.Join(parts, "; ")
		if len(parts) == 0 {
			t.Met, t.Measured = false, "no page measured"
		}
		out = append(out, t)
	}
	if p := r.Pricing; p != nil {
		out = append(out, pricingTargets(p)...)
	}
	if o := r.Orders; o != nil {
		out = append(out, ordersTargets(o)...)
	}
	if po := r.PreOrders; po != nil {
		out = append(out, preOrdersTargets(po)...)
	}
	if e := r.ERP; e != nil {
		out = append(out, erpTargets(e)...)
	}
	if f := r.Functions; f != nil {
		size := Target{Name: "stripped linux/arm64 binary size", Goal: "under 15 MB for every function", Met: len(f.Functions) > 0}
		init := Target{Name: "init time under the emulator", Goal: "within 2× the hello-world's, for every function", Met: len(f.Functions) > 0 && f.Hello.InitMedianMS > 0}
		var biggest, slowest FunctionStats
		for _, fn := range f.Functions {
			if fn.SizeBytes == 0 || fn.SizeBytes >= f.SizeLimitBytes {
				size.Met = false
			}
			if fn.Error != "" || fn.InitMedianMS > 2*f.Hello.InitMedianMS {
				init.Met = false
			}
			if fn.SizeBytes > biggest.SizeBytes {
				biggest = fn
			}
			if fn.InitMedianMS > slowest.InitMedianMS {
				slowest = fn
			}
		}
		size.Measured = fmt.Sprintf("largest %s, %s", biggest.Name, mb(biggest.SizeBytes))
		init.Measured = fmt.Sprintf("slowest %s, median %.2f ms = %.2f× hello-world's %.2f ms",
			slowest.Name, slowest.InitMedianMS, ratio(slowest.InitMedianMS, f.Hello.InitMedianMS), f.Hello.InitMedianMS)
		out = append(out, size, init)
	}
	return out
}

// pricingTargets are the pricing promises: round trips of a warm 100-line
// quote and of a priced page, and the engine's CPU time per cart.
func pricingTargets(p *PricingReport) []Target {
	var out []Target
	rt := func(name, goal, prefix string, limit int) Target {
		t := Target{Name: name, Goal: goal, Measured: "not measured"}
		seen := false
		for _, e := range p.Requests {
			// Every row of the kind (concurrent, one caller) must keep the
			// promise; the first, concurrent one is described.
			if !strings.HasPrefix(e.Name, prefix) {
				continue
			}
			ok := e.RoundTrips != nil && e.Errors == 0 && e.RoundTrips.Max <= limit
			t.Met = ok && (t.Met || !seen)
			if seen {
				continue
			}
			seen = true
			if e.RoundTrips != nil {
				t.Measured = fmt.Sprintf("max %d, median %d (%s)", e.RoundTrips.Max, e.RoundTrips.Median, e.Operations)
			}
			if e.Latency != nil {
				t.Measured += fmt.Sprintf("; p50 %s ms, p99 %s ms with %d callers", f2(e.Latency.P50), f2(e.Latency.P99), e.Workers)
			}
			if e.Errors > 0 {
				t.Measured += fmt.Sprintf("; %d errors", e.Errors)
			}
		}
		return t
	}
	out = append(out,
		rt("DynamoDB round trips of a warm 100-line quote", "at most 2 per quote", "Quote, 100 lines", 2),
		rt("DynamoDB round trips of a 50-product page with a buyer's prices", "at most 3 per page", "Category page, 50 products", 3))
	for _, e := range p.Engine {
		out = append(out, Target{
			Name: "Engine CPU time per 100-line cart (" + e.Policy + ")", Goal: fmt.Sprintf("under %.0f ms", engineTargetMS),
			Measured: fmt.Sprintf("%.3f ms, %d allocations, %s per cart", e.MSPerCart, e.AllocsPerCart, kb(e.BytesPerCart)),
			Met:      e.MSPerCart < engineTargetMS,
		})
	}
	return out
}

func kb(n int64) string { return fmt.Sprintf("%.0f KB", float64(n)/1024) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/(1<<20)) }

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "NOT MET"
}

// write writes report.json and report.md into dir.
func (r *Report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.markdown()), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// markdown renders the report.
func (r *Report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Comptoir benchmark report")
	p("")
	p("- Date: %s (run took %.0f s)", r.Date, r.Seconds)
	cpu := ""
	if r.Machine.CPU != "" {
		cpu = ", " + r.Machine.CPU
	}
	p("- Machine: %d CPUs (nproc)%s, %s/%s, %s", r.Machine.CPUs, cpu, r.Machine.OS, r.Machine.Arch, r.Machine.GoVersion)
	if r.Machine.LoadAverageStart != "" {
		p("- Load average (1, 5, 15 min): %s at the start, %s at the end — other work on the machine shows here", r.Machine.LoadAverageStart, r.Machine.LoadAverageEnd)
	}
	p("- Command: `go run ./scripts/bench` (see `-h` for the flags)")
	p("")
	p("## Targets")
	p("")
	p("| Target | Goal | Measured | Verdict |")
	p("| --- | --- | --- | --- |")
	for _, t := range r.Targets {
		p("| %s | %s | %s | **%s** |", t.Name, t.Goal, t.Measured, verdict(t.Met))
	}
	if f := r.Functions; f != nil && f.Hello.Source != "" {
		p("")
		p("Init time source: %s.", f.Hello.Source)
	}
	if c := r.Catalog; c != nil {
		p("")
		p("## Catalog: DynamoDB round trips and latency")
		p("")
		p("The catalog function is built as the local runner builds it (template.yaml's routes, "+
			"API Gateway payload v2 events, `wiring.CatalogAPI`) over a fresh table on DynamoDB Local (%s) "+
			"loaded with the demo (%d products in %.1f s). %d concurrent callers; round trips are read from "+
			"the `X-Dynamodb-Calls` header of each answer, which counts operations (the SDK's retries are counted apart by a client "+
			"middleware, in the retries column). Each endpoint is warmed up with 3 requests first; "+
			"the storefront cache (CACHE_TTL) is set to %s so that the figures are those of a warm function, "+
			"and the cost of the first request, cache empty, is shown apart.",
			c.Endpoint, c.DemoProducts, c.DemoLoadSeconds, c.Workers, cacheTTL)
		p("")
		p("| Request | Callers | Requests | Errors | Round trips min / median / max | SDK retries | First request, cold cache | p50 ms | p90 ms | p99 ms | max ms | req/s |")
		p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
		for _, e := range append(append([]EndpointStats{}, c.Endpoints...), c.RawQuery...) {
			rt, cold, lat := "–", "–", [4]string{"–", "–", "–", "–"}
			if e.RoundTrips != nil {
				rt = fmt.Sprintf("%d / %d / %d", e.RoundTrips.Min, e.RoundTrips.Median, e.RoundTrips.Max)
			}
			if e.ColdCacheRoundTrips > 0 {
				cold = fmt.Sprintf("%d", e.ColdCacheRoundTrips)
			}
			if l := e.Latency; l != nil {
				lat = [4]string{f2(l.P50), f2(l.P90), f2(l.P99), f2(l.Max)}
			}
			shown := ""
			if e.Limit > 0 {
				shown = fmt.Sprintf(" (%d products shown)", e.Items)
			}
			p("| %s<br>`%s`%s | %d | %d | %d | %s | %d | %s | %s | %s | %s | %s | %.0f |",
				e.Name, e.Request, shown, e.Workers, e.Count, e.Errors, rt, e.Retries, cold, lat[0], lat[1], lat[2], lat[3], e.Throughput)
		}
		for _, e := range append(append([]EndpointStats{}, c.Endpoints...), c.RawQuery...) {
			if e.FirstError != "" {
				p("")
				p("First error of %s: `%s`", e.Name, e.FirstError)
			}
		}
		p("")
		p("The raw DynamoDB Query is the Query behind the same page, sent by the SDK straight to DynamoDB Local " +
			"in the same run: the difference with the page's latency is the function's own cost (gateway event, " +
			"storefront and token checks, the category read run beside the Query, JSON in and out).")
	}
	if pr := r.Pricing; pr != nil {
		r.pricingMarkdown(p)
	}
	if r.VAT != nil {
		r.vatMarkdown(p)
	}
	if r.Orders != nil {
		r.ordersMarkdown(p)
	}
	if r.PreOrders != nil {
		r.preOrdersMarkdown(p)
	}
	if r.ERP != nil {
		r.erpMarkdown(p)
	}
	if f := r.Functions; f != nil {
		p("")
		p("## Functions: binary size and init time")
		p("")
		p("Sizes are of `CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags=\"-s -w\"` "+
			"bootstraps (limit %s). Init times are measured on linux/%s builds with the same flags under the Lambda runtime "+
			"interface emulator (the emulator runs x86-64 binaries here), %d cold starts per function, each a fresh "+
			"emulator and process; the figure is the median. Each function gets its "+
			"template.yaml environment resolved against local placeholders and a minimal event (an API request for an "+
			"unknown storefront, or an empty SQS batch).", mb(f.SizeLimitBytes), f.HostArch, f.ColdStarts)
		p("")
		p("The emulator does print an `Init Duration` (median %s ms for hello-world here), but it starts the runtime "+
			"asynchronously and only times the dispatch; the first invocation waits for the init. So the init time "+
			"is taken as the first invocation's duration minus the warm one's, both from the emulator's REPORT lines, "+
			"unless the emulator's figure is at least %.0f ms. These are wall-clock figures on a shared machine: "+
			"compare functions with the hello-world of the same run, not with figures from another machine.",
			f2(median(f.Hello.EmulatorInitMS)), minPlausibleInitMS)
		p("")
		p("| Function | arm64 size | Init median ms | Init × hello-world | Init runs ms | Warm invocation ms (median) | Note |")
		p("| --- | --- | --- | --- | --- | --- | --- |")
		for _, fn := range append([]FunctionStats{f.Hello}, f.Functions...) {
			runs := make([]string, len(fn.InitMS))
			for i, v := range fn.InitMS {
				runs[i] = f2(v)
			}
			note := fn.Error

			p("| %s | %s | %s | %.2f | %s | %s | %s |", fn.Name, mb(fn.SizeBytes), f2(fn.InitMedianMS),
				ratio(fn.InitMedianMS, f.Hello.InitMedianMS), strings.Join(runs, ", "), f2(median(fn.WarmInvokeMS)), note)
		}
	}
	return b.String()
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// pricingMarkdown renders the pricing section.
func (r *Report) pricingMarkdown(p func(format string, args ...any)) {
	pr := r.Pricing
	p("")
	p("## Pricing at scale: quotes, priced pages, the engine")
	p("")
	p("A second fresh table on DynamoDB Local (%s) holds a generated tariff (`shared/pricing/benchdata`, the same "+
		"as `BenchmarkPrice100Lines`): %d products in %d families, each with a base price and %d price-category entries "+
		"(%d in all; every entry mode: own price with AC_Remise, discount-only, quantity breaks, amount breaks, net by quantity), "+
		"%d customers in %d price categories (one in four in a buying group), each with its own price for every product, "+
		"and %d discount rules of every kind (%s). The storefront, products, accounts and rules were written in %.1f s; "+
		"the %d customer prices with `dynamo.Pricing.SaveCustomerPrices` (BatchWriteItem of 25), %d customers at a time, "+
		"in %.1f s (%.0f items/s).",
		pr.Endpoint, pr.Products, pr.Families, pr.PriceCategoryEntries/max(pr.Products, 1), pr.PriceCategoryEntries, pr.Customers, benchdata.PriceCategories, pr.Rules, strings.Join(pr.RuleKinds, ", "),
		pr.CatalogLoadSeconds, pr.CustomerPrices, pr.LoadWorkers, pr.CustomerPricesLoadSeconds, pr.CustomerPricesPerSecond)
	p("")
	p("Requests go through the local runner's gateway (template.yaml's routes, its JWT check, API Gateway payload v2 "+
		"events, `wiring.PricingAPI` and `wiring.CatalogAPI`), each as the buyer of a random customer, %d concurrent callers. "+
		"Round trips are the `X-Dynamodb-Calls` header (operations; the SDK's retries are counted apart); the operations are those of most requests, "+
		"recorded by a client middleware. Each kind of request is warmed up with 3 requests (the first one's cost, "+
		"storefront and rules caches empty, is shown apart).", pr.Workers)
	p("")
	p("A %d-line quote names more than 98 references, so the store reads the customer's prices with one Query of the "+
		"customer's whole partition (profile + %d prices) instead of a BatchGetItem (refs + profile + rep must fit in "+
		"100 keys); the 98-line quote shows the BatchGetItem path for comparison.", pr.CartLines, pr.Products)
	p("")
	p("| Request | Callers | Requests | Errors | Round trips min / median / max | DynamoDB operations | SDK retries | First request, cold caches | p50 ms | p90 ms | p99 ms | max ms | req/s |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, e := range append(append([]EndpointStats{}, pr.Requests...), pr.Raw...) {
		rt, cold, lat := "–", "–", [4]string{"–", "–", "–", "–"}
		if e.RoundTrips != nil {
			rt = fmt.Sprintf("%d / %d / %d", e.RoundTrips.Min, e.RoundTrips.Median, e.RoundTrips.Max)
		}
		if e.ColdCacheRoundTrips > 0 {
			cold = fmt.Sprintf("%d", e.ColdCacheRoundTrips)
		}
		if l := e.Latency; l != nil {
			lat = [4]string{f2(l.P50), f2(l.P90), f2(l.P99), f2(l.Max)}
		}
		p("| %s<br>`%s` | %d | %d | %d | %s | %s | %d | %s | %s | %s | %s | %s | %.0f |",
			e.Name, e.Request, e.Workers, e.Count, e.Errors, rt, e.Operations, e.Retries, cold, lat[0], lat[1], lat[2], lat[3], e.Throughput)
	}
	for _, e := range append(append([]EndpointStats{}, pr.Requests...), pr.Raw...) {
		if e.FirstError != "" {
			p("")
			p("First error of %s: `%s`", e.Name, e.FirstError)
		}
	}
	p("")
	p("The raw reads are sent by the SDK straight to DynamoDB Local in the same run, at the same concurrency: the " +
		"product BatchGetItem and the partition Query are what a 100-line quote waits for (in parallel); the " +
		"customer-price BatchGetItem is what it would cost if 100 price keys were read by key instead.")
	p("")
	p("### The engine alone")
	p("")
	p("`testing.Benchmark` on `pricing.Price` in this process, over 100-line carts of random customers of the same tariff "+
		"(16 carts, their tariffs assembled beforehand as the quoter does after its reads), once DynamoDB traffic has stopped. "+
		"`go test -run '^$' -bench Price100Lines ./shared/pricing/` reproduces it. Target: under %.0f ms per cart.", engineTargetMS)
	p("")
	p("| Policy | Iterations | ms per cart | µs per line | allocations per cart | memory per cart |")
	p("| --- | --- | --- | --- | --- | --- |")
	for _, e := range pr.Engine {
		p("| %s | %d | %.3f | %.1f | %d | %s |", e.Policy, e.Iterations, e.MSPerCart, e.MSPerCart*1000/float64(pr.CartLines), e.AllocsPerCart, kb(e.BytesPerCart))
	}
}
