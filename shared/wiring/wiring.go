// Package wiring builds each Lambda's handler from its environment. The
// functions' main.go files and the local runner both go through it, so the
// local stack runs exactly the handlers that are deployed.
package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/pricing"
)

// APIHandler is the signature of an HTTP API function.
type APIHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// QueueHandler is the signature of an SQS-triggered function; it reports
// partial batch failures.
type QueueHandler = func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// StreamHandler is the signature of a function triggered by the table's
// DynamoDB stream; it reports the records that failed (their sequence
// numbers), so that the batch is retried from the first of them.
type StreamHandler = func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Env is a function's configuration, read from its environment variables as
// set in template.yaml.
type Env struct {
	Function  string
	TableName string
	ERPBucket string
	QueueURLs map[string]string
	Issuer    string
	Audience  string
	JWKSURL   string
	CacheTTL  time.Duration
	LogLevel  slog.Level

	// S3PathStyle addresses the bucket in the path rather than the host
	// name (local S3 stand-ins).
	S3PathStyle bool

	// CursorKey seals the page cursors (CURSOR_KEY, 32 bytes in base64);
	// required by the functions of sealsCursors.
	CursorKey []byte
}

// sealsCursors names the functions that hand out page cursors, and so need
// CURSOR_KEY.
var sealsCursors = map[string]bool{"catalog": true, "orders": true}

// ReadEnv reads a function's configuration with getenv (os.Getenv in Lambda,
// the template's variables in the local runner).
func ReadEnv(function string, getenv func(string) string) (Env, error) {
	e := Env{
		Function:  function,
		TableName: getenv("TABLE_NAME"),
		ERPBucket: getenv("ERP_BUCKET"),
		Issuer:    getenv("AUTH_ISSUER"),
		Audience:  getenv("AUTH_AUDIENCE"),
		JWKSURL:   getenv("AUTH_JWKS_URL"),
		CacheTTL:  time.Minute,
		QueueURLs: map[string]string{},
	}
	e.S3PathStyle = getenv("S3_PATH_STYLE") == "true"
	for _, q := range []string{"ERP_SYNC_QUEUE_URL", "STOCK_UPDATE_QUEUE_URL", "VAT_THRESHOLD_QUEUE_URL", "ORDER_EXPORT_QUEUE_URL"} {
		if v := getenv(q); v != "" {
			e.QueueURLs[q] = v
		}
	}
	if v := getenv("CACHE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return e, fmt.Errorf("CACHE_TTL: %w", err)
		}
		e.CacheTTL = d
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := e.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return e, fmt.Errorf("LOG_LEVEL: %w", err)
		}
	}
	if e.TableName == "" {
		return e, fmt.Errorf("TABLE_NAME is not set")
	}
	if readsBucket[function] && e.ERPBucket == "" {
		return e, fmt.Errorf("ERP_BUCKET is not set")
	}
	if v := getenv("CURSOR_KEY"); v != "" || sealsCursors[function] {
		key, err := cursor.ParseKey(v)
		if err != nil {
			return e, fmt.Errorf("CURSOR_KEY: %w", err)
		}
		e.CursorKey = key
	}
	return e, nil
}

// Deps are the clients and settings a handler is built from. Building them
// makes no network call, and a function builds only the clients it uses:
// every one the DynamoDB client, erp-ingest the S3 client too, the
// functions that send to a queue the SQS client, so Lambda init stays
// small.
type Deps struct {
	Env      Env
	DynamoDB *dynamodb.Client
	// S3 reads the ERP bucket; nil but for the functions of readsBucket.
	S3 *s3.Client
	// SQS sends to the queues; nil but for the functions of sendsToQueues.
	SQS    *sqs.Client
	Logger *slog.Logger
}

// sendsToQueues names the functions that put messages on queues, and so
// get an SQS client: the admin function asks the vat-threshold worker to
// recompute a ledger; order-events announces orders to the vat-threshold
// and order-export workers; erp-ingest sends the ERP files' chunks to
// erp-sync, which forwards the stock chunks to stock-update.
var sendsToQueues = map[string]bool{"admin": true, "order-events": true, "erp-ingest": true, "erp-sync": true}

// newSQS is an SQS client at AWS_ENDPOINT_URL_SQS (or AWS_ENDPOINT_URL)
// when set.
func newSQS(cfg aws.Config, getenv func(string) string) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = endpointURL(getenv, "AWS_ENDPOINT_URL_SQS") })
}

// Load reads the environment and builds the AWS clients.
func Load(ctx context.Context, function string, getenv func(string) string) (Deps, error) {
	env, err := ReadEnv(function, getenv)
	if err != nil {
		return Deps{}, fmt.Errorf("%s: %w", function, err)
	}
	cfg := awsConfig(getenv)
	d := Deps{
		Env:      env,
		DynamoDB: dynamodb.NewFromConfig(cfg, dynamo.CountRoundTrips, endpoint(getenv, "AWS_ENDPOINT_URL_DYNAMODB")),
		Logger:   logging.New(os.Stdout, function, env.LogLevel),
	}
	if readsBucket[function] || readsBucketIfSet[function] && env.ERPBucket != "" {
		d.S3 = newS3(cfg, getenv, env.S3PathStyle)
	}
	if sendsToQueues[function] {
		d.SQS = newSQS(cfg, getenv)
	}
	return d, nil
}

// awsConfig is the AWS configuration Lambda gives a function through its
// environment: the region and the execution role's credentials (the same
// for the life of the execution environment). Reading them directly, rather
// than through config.LoadDefaultConfig's search of every configuration
// source, takes about 10 ms off each cold start.
func awsConfig(getenv func(string) string) aws.Config {
	cfg := aws.Config{Region: getenv("AWS_REGION")}
	if cfg.Region == "" {
		cfg.Region = getenv("AWS_DEFAULT_REGION")
	}
	if key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); key != "" && secret != "" {
		cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN")))
	}
	return cfg
}

// endpoint points a client at AWS_ENDPOINT_URL_<SERVICE> (or
// AWS_ENDPOINT_URL) when set, as the SDK's default configuration would: local
// stand-ins use it.
func endpoint(getenv func(string) string, name string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) { o.BaseEndpoint = endpointURL(getenv, name) }
}

// endpointURL is AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else nil
// for the service's own endpoint.
func endpointURL(getenv func(string) string, name string) *string {
	for _, v := range []string{getenv(name), getenv("AWS_ENDPOINT_URL")} {
		if v != "" {
			return aws.String(v)
		}
	}
	return nil
}

// MustLoad is Load for main functions: it exits on a configuration error.
func MustLoad(function string) Deps {
	d, err := Load(context.Background(), function, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return d
}

// table returns the single-table handle.
func (d Deps) table() dynamo.Table { return dynamo.Table{Client: d.DynamoDB, Name: d.Env.TableName} }

// pipeline returns the shared HTTP request pipeline of an API function.
func (d Deps) pipeline() *httpapi.Pipeline {
	return &httpapi.Pipeline{
		Storefronts: &dynamo.Storefronts{Table: d.table(), TTL: d.Env.CacheTTL},
		Tokens: &auth.Verifier{
			Issuer: d.Env.Issuer, Audience: d.Env.Audience, Leeway: 30 * time.Second,
			Keys: &auth.JWKS{URL: d.Env.JWKSURL, HTTP: &http.Client{Timeout: 5 * time.Second}},
		},
		Logger: d.Logger,
	}
}

// serve adapts an http.Handler to API Gateway HTTP API (payload v2) events
// (httpapi.LambdaHandler).
func serve(h http.Handler) APIHandler { return httpapi.LambdaHandler(h) }

// CatalogAPI builds the catalog function: category tree, product lists and
// product detail.
func CatalogAPI(d Deps) APIHandler {
	// The distance-selling state a VAT-inclusive price is shown with is
	// kept for CACHE_TTL: a display, not the checkout's decision.
	taxInputs := d.taxInputs()
	taxInputs.Ledger = &pricing.DisplayLedger{Ledger: taxInputs.Ledger, TTL: d.Env.CacheTTL}
	api := &httpapi.CatalogAPI{Pipeline: d.pipeline(), Catalog: &dynamo.Catalog{Table: d.table()}, Prices: d.prices(), Assortments: d.assortments(), Tax: taxInputs}
	if len(d.Env.CursorKey) > 0 {
		// ReadEnv checked the key's length: New cannot fail.
		api.Cursors, _ = cursor.New(d.Env.CursorKey)
	}
	return serve(api.Routes())
}

// PricingAPI builds the pricing function: quotes for a customer's lines.
func PricingAPI(d Deps) APIHandler {
	api := &httpapi.PricingAPI{Pipeline: d.pipeline(), Quoter: &pricing.Quoter{Store: d.prices(), Products: &dynamo.Catalog{Table: d.table()}, Assortments: d.assortments(), Tax: d.taxInputs()}}
	return serve(api.Routes())
}

// assortments is the assortment store, cached for the cache TTL.
func (d Deps) assortments() *dynamo.Assortments {
	return &dynamo.Assortments{Table: d.table(), TTL: d.Env.CacheTTL}
}

// prices is the pricing store, its rules cached for the cache TTL.
func (d Deps) prices() *dynamo.Pricing { return &dynamo.Pricing{Table: d.table(), TTL: d.Env.CacheTTL} }

// taxInputs are what a quote's VAT and the catalog's VAT-inclusive prices
// read: the merchant (the seller's country), its VAT rates and exchange
// rates, cached for the cache TTL, and the distance-selling ledger.
func (d Deps) taxInputs() pricing.TaxInputs {
	return pricing.TaxInputs{
		Merchants: &dynamo.Merchants{Table: d.table(), TTL: d.Env.CacheTTL},
		TaxRates:  &dynamo.TaxRates{Table: d.table(), TTL: d.Env.CacheTTL, Logger: d.Logger},
		Ledger:    &dynamo.VATLedger{Table: d.table()},
		FX:        &dynamo.ExchangeRates{Table: d.table(), TTL: d.Env.CacheTTL},
	}
}

// APIFunctions maps each HTTP API function's folder under functions/ to the
// constructor of its handler. The local runner serves template.yaml's routes
// with them.
var APIFunctions = map[string]func(Deps) APIHandler{
	"catalog":  CatalogAPI,
	"pricing":  PricingAPI,
	"cart":     CartAPI,
	"checkout": CheckoutAPI,
	"orders":   OrdersAPI,
	"reps":     RepsAPI,
	"admin":    AdminAPI,
}

// QueueFunctions maps each SQS-triggered function's folder under functions/
// to the constructor of its handler.
var QueueFunctions = map[string]func(Deps) QueueHandler{
	"erp-ingest":    ERPIngest,
	"erp-sync":      ERPSync,
	"stock-update":  StockUpdate,
	"vat-threshold": VATThreshold,
	"order-export":  OrderExport,
}

// StreamFunctions maps each function triggered by the table's stream to the
// constructor of its handler.
var StreamFunctions = map[string]func(Deps) StreamHandler{
	"order-events": OrderEvents,
}
