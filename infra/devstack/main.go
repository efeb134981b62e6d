// Command devstack runs Comptoir locally from template.yaml: it provisions
// the table, queues and ERP bucket on DynamoDB Local and fauxqs, optionally
// seeds the demo data, serves the HTTP API as API Gateway would (routes, JWT
// authorizer with a dev issuer standing in for Cognito) and plays the SQS and
// S3 triggers, until SIGINT or SIGTERM.
//
//	go run ./infra/devstack -seed
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/devstack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run() error {
	api := flag.String("api", "127.0.0.1:3000", "address the API Gateway emulator listens on")
	ddb := flag.String("dynamodb", envOr("COMPTOIR_DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"), "DynamoDB Local endpoint")
	sqsURL := flag.String("sqs", envOr("COMPTOIR_SQS_ENDPOINT", "http://127.0.0.1:4566"), "fauxqs endpoint (SQS and S3)")
	template := flag.String("template", "template.yaml", "SAM template to run")
	seed := flag.Bool("seed", false, "load the demo data (Hydrotech's ERP data through the ERP connector: Sage files dropped into the bucket)")
	seedWithin := flag.Duration("seed-within", 5*time.Minute, "how long the demo's ERP files may take to be applied")
	prefix := flag.String("prefix", devstack.DefaultPrefix, "prefix of the local resource names")
	visibility := flag.Duration("visibility", 5*time.Second, "local visibility timeout of every queue (0 keeps the template's)")
	logLevel := flag.String("log-level", "", "LOG_LEVEL of the functions (default: the template's)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal stops the stack gracefully; a second one, the default
	// way.
	context.AfterFunc(ctx, stop)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	ln, err := net.Listen("tcp", *api)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	iss, err := auth.NewDevIssuer(base+"/dev-issuer", "comptoir-local")
	if err != nil {
		return err
	}
	st, err := devstack.New(ctx, devstack.Config{
		TemplatePath: *template, DynamoDBEndpoint: *ddb, SQSEndpoint: *sqsURL, Prefix: *prefix,
		Issuer: iss, JWKSURL: base + "/.well-known/jwks.json", VisibilityTimeout: *visibility,
		LogLevel: *logLevel, Logger: logger,
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	// The stack runs from here on: the demo's Sage files go through
	// erp-ingest and erp-sync like any ERP's.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return devstack.Serve(gctx, ln, st.Gateway) })
	g.Go(func() error { return st.Run(gctx) })
	fronts := demo.Storefronts()
	if *seed {
		logger.Info("loading the demo: Hydrotech's ERP data as Sage 100 files dropped into the local bucket, the rest directly")
		sum, err := st.LoadDemo(gctx, *seedWithin, func(line string) { logger.Info(line) })
		if err != nil {
			stop()
			_ = g.Wait()
			return fmt.Errorf("seed: %w", err)
		}
		fronts = sum.Storefronts
		logger.Info("demo data loaded", slog.Int("merchants", sum.Merchants), slog.Int("products", sum.Products),
			slog.Int("customers", sum.Customers), slog.Int("reps", sum.Reps))
	}
	ids, err := devstack.SignAll(iss, demo.Identities(), 12*time.Hour)
	if err != nil {
		stop()
		_ = g.Wait()
		return err
	}
	guide := devstack.Guide{APIAddr: ln.Addr().String(), Resources: st.Resources, S3Endpoint: *sqsURL, Storefronts: fronts, Identities: ids}
	if *seed {
		guide.Examples = devstack.DemoExamples()
	}
	if err := guide.Write(os.Stdout); err != nil {
		stop()
		_ = g.Wait()
		return err
	}

	err = g.Wait()
	logger.Info("local stack stopped")
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
