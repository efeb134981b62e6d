// Command bench measures what the project promises about cost and speed and
// writes bench/out/report.md and bench/out/report.json:
//
//   - the catalog API, built the way the local runner builds it (template.yaml
//     routes, API Gateway payload v2 events, the deployed handler), over a
//     fresh DynamoDB Local table loaded with the demo: DynamoDB round trips per
//     request and latency under concurrent load, next to the raw DynamoDB
//     Query of the same page;
//   - pricing at scale, on a second fresh table loaded with a generated
//     tariff (1,000 products with 10 price-category entries each, 100
//     customers with a price for every product, 20 discount rules): a
//     100-line quote and a priced 50-product page through the gateway
//     (round trips, latency), the engine alone (testing.Benchmark on
//     pricing.Price, as BenchmarkPrice100Lines) and the raw DynamoDB reads
//     behind them;
//   - carts, checkouts and orders, on a third fresh table with stock in two
//     warehouses: cart updates and checkouts of 1, 10 and 100 lines through
//     the gateway (round trips, latency), many buyers of one product at
//     once next to the raw conditional update of DynamoDB Local (orders
//     per second, nothing oversold) and a sell-out;
//   - a pre-order burst, on a fourth fresh table with a season of four
//     products taken on pre-order: thousands of buyers' carts checked out
//     many at once through the gateway (pre-orders accepted per second,
//     p50/p95/p99), next to raw PutItem and a raw transaction of a
//     pre-order's shape in the same run, and the season's totals read
//     right after the burst and checked against the pre-orders placed;
//   - the ERP connector, on a local stack of its own (DynamoDB Local and
//     fauxqs): a 100,000-row Sage price file dropped into the bucket and
//     applied by erp-ingest and erp-sync, next to raw BatchWriteItem of the
//     same items, erp-ingest's peak heap on a file 10× larger, and the
//     imported customer prices priced through the gateway;
//   - every function's stripped linux/arm64 binary size, and its init time
//     under the Lambda runtime interface emulator next to a hello-world
//     function measured the same way in the same run.
//
// Run it from the repository root with DynamoDB Local running:
//
//	COMPTOIR_DYNAMODB_ENDPOINT=http://127.0.0.1:8000 go run ./scripts/bench
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	dynamodb    string
	template    string
	out         string
	workers     int
	requests    int
	maxDuration time.Duration
	coldStarts  int
	skipCatalog bool
	skipLambdas bool
	// quotes is the number of requests of each pricing measurement.
	quotes          int
	pricingDuration time.Duration
	skipPricing     bool
	// checkouts is the number of checkouts of each cart size (and of cart
	// updates of each kind); the hot product run fills 20 times as many
	// carts.
	checkouts      int
	ordersDuration time.Duration
	skipOrders     bool
}

func main() {
	var o options
	flag.StringVar(&o.dynamodb, "dynamodb", os.Getenv("COMPTOIR_DYNAMODB_ENDPOINT"), "DynamoDB Local endpoint (default $COMPTOIR_DYNAMODB_ENDPOINT)")
	flag.StringVar(&o.template, "template", "template.yaml", "the SAM template the table and routes are read from")
	flag.StringVar(&o.out, "out", filepath.Join("bench", "out"), "directory of report.md and report.json")
	flag.IntVar(&o.workers, "workers", 8, "concurrent callers of the catalog")
	flag.IntVar(&o.requests, "requests", 2000, "catalog requests in all, shared among the endpoints")
	flag.DurationVar(&o.maxDuration, "max-duration", 90*time.Second, "time budget of the catalog load, shared among the endpoints")
	flag.IntVar(&o.coldStarts, "cold-starts", 5, "cold starts per function under the emulator")
	flag.BoolVar(&o.skipCatalog, "skip-catalog", false, "skip the catalog load")
	flag.BoolVar(&o.skipLambdas, "skip-lambdas", false, "skip binary sizes and init times")
	flag.IntVar(&o.quotes, "quotes", 300, "requests of each pricing measurement (quotes, priced pages, raw reads)")
	flag.DurationVar(&o.pricingDuration, "pricing-duration", 60*time.Second, "time budget of the pricing measurements, after the load")
	flag.BoolVar(&o.skipPricing, "skip-pricing", false, "skip the pricing load")
	flag.IntVar(&o.checkouts, "checkouts", 100, "checkouts of each cart size (1, 10, 100 lines) and cart updates of each kind; the hot product run fills 20 times as many carts")
	flag.DurationVar(&o.ordersDuration, "orders-duration", 120*time.Second, "time budget of the cart, checkout and order measurements, after the load")
	flag.BoolVar(&o.skipOrders, "skip-orders", false, "skip the cart, checkout and order measurements")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.workers < 1 || o.requests < 1 || o.coldStarts < 1 || o.quotes < 1 || o.checkouts < 1 {
		return errors.New("-workers, -requests, -cold-starts, -quotes and -checkouts must be positive")
	}
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	started := time.Now()
	rep := &Report{Date: started.UTC().Format(time.RFC3339), Machine: machine()}
	rep.Machine.LoadAverageStart = loadAverage()

	// Builds first: they load the CPU, and neither measurement below
	// should run next to them.
	var fr *FunctionsReport
	var builds *builtFunctions
	if !o.skipLambdas {
		logf("building the functions (linux/arm64 and linux/%s)", runtime.GOARCH)
		b, err := buildFunctions(ctx)
		if err != nil {
			return err
		}
		defer os.RemoveAll(b.dir)
		builds = b
	}

	tableName := ""
	if !o.skipCatalog {
		if o.dynamodb == "" {
			return errors.New("no DynamoDB endpoint: set COMPTOIR_DYNAMODB_ENDPOINT or -dynamodb (or pass -skip-catalog)")
		}
		cr, name, cleanup, err := benchCatalog(ctx, o)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return err
		}
		rep.Catalog, tableName = cr, name
	}

	if !o.skipPricing {
		if o.dynamodb == "" {
			return errors.New("no DynamoDB endpoint: set COMPTOIR_DYNAMODB_ENDPOINT or -dynamodb (or pass -skip-pricing)")
		}
		pr, cleanup, err := benchPricing(ctx, o)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return err
		}
		rep.Pricing = pr
	}

	if !*skipVAT {
		if o.dynamodb == "" {
			return errors.New("no DynamoDB endpoint: set COMPTOIR_DYNAMODB_ENDPOINT or -dynamodb (or pass -skip-vat)")
		}
		vr, cleanup, err := benchVAT(ctx, o)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return err
		}
		rep.VAT = vr
	}

	if !o.skipOrders {
		if o.dynamodb == "" {
			return errors.New("no DynamoDB endpoint: set COMPTOIR_DYNAMODB_ENDPOINT or -dynamodb (or pass -skip-orders)")
		}
		or, cleanup, err := benchOrders(ctx, o)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return err
		}
		rep.Orders = or
	}

	if !*skipPreOrders {
		if o.dynamodb == "" {
			return errors.New("no DynamoDB endpoint: set COMPTOIR_DYNAMODB_ENDPOINT or -dynamodb (or pass -skip-preorders)")
		}
		pr, cleanup, err := benchPreOrders(ctx, o)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return err
		}
		rep.PreOrders = pr
	}

	if !*skipERP {
		if o.dynamodb == "" {
			return errors.New("no DynamoDB endpoint: set COMPTOIR_DYNAMODB_ENDPOINT or -dynamodb (or pass -skip-erp)")
		}
		er, cleanup, err := benchERP(ctx, o)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return err
		}
		rep.ERP = er
	}

	if builds != nil {
		var err error
		fr, err = measureFunctions(ctx, o, builds, tableName)
		if err != nil {
			return err
		}
		rep.Functions = fr
	}

	rep.Machine.LoadAverageEnd = loadAverage()
	rep.Targets = targets(rep)
	rep.Seconds = time.Since(started).Seconds()
	if err := rep.write(o.out); err != nil {
		return err
	}
	logf("wrote %s and %s in %.0f s", filepath.Join(o.out, "report.md"), filepath.Join(o.out, "report.json"), rep.Seconds)
	for _, t := range rep.Targets {
		logf("target %-55s %s (%s)", t.Name, verdict(t.Met), t.Measured)
	}
	return nil
}

// machine describes where the figures were measured.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// loadAverage is the 1, 5 and 15 minute load averages from /proc/loadavg,
// or "" where unknown: the figures are wall-clock times on a shared machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
