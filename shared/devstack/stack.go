package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/wiring"
)

// Config configures a local stack.
type Config struct {
	// TemplatePath is template.yaml; docs/openapi.yaml is looked up next to
	// it.
	TemplatePath string
	// DynamoDBEndpoint is DynamoDB Local's URL (http://127.0.0.1:8000).
	DynamoDBEndpoint string
	// Database is the stack's database in DynamoDB Local
	// (localaws.Database); localaws.DefaultDatabase when empty.
	Database string
	// SQSEndpoint is fauxqs's URL, serving both SQS and S3.
	SQSEndpoint string
	// Prefix of the physical names; DefaultPrefix when empty.
	Prefix string
	// Issuer signs the local tokens and stands in for Cognito.
	Issuer *auth.DevIssuer
	// JWKSURL is where the functions fetch the issuer's keys: the
	// gateway's /.well-known/jwks.json.
	JWKSURL string
	// CacheTTL of the storefront cache; the template's when zero.
	CacheTTL time.Duration
	// VisibilityTimeout, when positive, shortens every queue's visibility
	// timeout so that failed messages are retried within seconds.
	VisibilityTimeout time.Duration
	// LogLevel, when set, replaces the functions' LOG_LEVEL.
	LogLevel string
	// QueueHandlers replace the deployed handlers of the named SQS
	// functions (tests plug tiny handlers in).
	QueueHandlers map[string]wiring.QueueHandler
	// StreamHandlers replace the deployed handlers of the named functions
	// triggered by the table's stream.
	StreamHandlers map[string]wiring.StreamHandler
	// Logger receives the stack's own logs; nil discards.
	Logger *slog.Logger
}

// Stack is a provisioned local stack: the gateway to serve over HTTP, and
// the pollers (queues and the table's stream) and bucket watcher that Run
// drives.
type Stack struct {
	Template  *samtemplate.Template
	Resources *Resources
	Clients   Clients
	Functions *Functions
	Gateway   *Gateway
	Pollers   []*Poller
	// StreamPollers play the template's DynamoDB stream event sources.
	StreamPollers []*StreamPoller
	// Watcher is nil when the template has no notifying bucket.
	Watcher *BucketWatcher
}

// New loads the template, provisions its resources and prepares the
// gateway, one poller per SQS event source, one stream poller per DynamoDB
// stream event source and the bucket watcher. Nothing runs until Run.
func New(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Issuer == nil {
		return nil, errors.New("devstack: no issuer")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tpl, err := samtemplate.Load(cfg.TemplatePath)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	clients := Clients{
		DynamoDB: localaws.DynamoDB(cfg.DynamoDBEndpoint, dynamo.CountRoundTrips, localaws.LambdaLikeRetries, localaws.Database(cfg.Database)),
		SQS:      localaws.SQS(cfg.SQSEndpoint),
		S3:       localaws.S3(cfg.SQSEndpoint),
		Streams:  localaws.DynamoDBStreams(cfg.DynamoDBEndpoint, cfg.Database),
	}
	res, err := Provision(ctx, tpl, clients, ProvisionOptions{Prefix: cfg.Prefix, VisibilityTimeout: cfg.VisibilityTimeout})
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	fns := &Functions{
		Template: tpl, Resources: res, Clients: clients,
		Env: LocalEnv{Database: cfg.Database, Issuer: cfg.Issuer.Issuer, Audience: cfg.Issuer.Audience, JWKSURL: cfg.JWKSURL, CacheTTL: cfg.CacheTTL, LogLevel: cfg.LogLevel},
	}
	keys, err := auth.StaticKeys(cfg.Issuer.KeySet())
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	gw, err := NewGateway(GatewayConfig{
		Routes:      tpl.Routes(),
		Functions:   fns,
		Authorizer:  &auth.Verifier{Issuer: cfg.Issuer.Issuer, Audience: cfg.Issuer.Audience, Keys: keys, Leeway: 30 * time.Second},
		JWKS:        cfg.Issuer,
		OpenAPIFile: filepath.Join(filepath.Dir(cfg.TemplatePath), "docs", "openapi.yaml"),
		Logger:      logger,
	})
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	s := &Stack{Template: tpl, Resources: res, Clients: clients, Functions: fns, Gateway: gw}

	for _, f := range tpl.Functions {
		for _, ev := range f.SQSEvents {
			q, ok := res.Queues[ev.Queue]
			if !ok {
				return nil, fmt.Errorf("devstack: %s reads queue %s, which was not provisioned", f.LogicalID, ev.Queue)
			}
			h, ok := cfg.QueueHandlers[f.Folder]
			if !ok {
				if h, err = fns.Queue(ctx, f.Folder); err != nil {
					return nil, fmt.Errorf("devstack: %w", err)
				}
			}
			s.Pollers = append(s.Pollers, &Poller{
				Client: clients.SQS, Queue: q, Function: f.Folder, Handler: h,
				BatchSize: ev.BatchSize, ReportBatchItemFailures: ev.ReportBatchItemFailures,
				Wait: time.Second, Logger: logger,
			})
		}
	}
	for _, f := range tpl.Functions {
		for _, ev := range f.StreamEvents {
			sp, err := s.streamPoller(ctx, cfg, f, ev, logger)
			if err != nil {
				return nil, fmt.Errorf("devstack: %s: %w", f.LogicalID, err)
			}
			s.StreamPollers = append(s.StreamPollers, sp)
		}
	}
	if b := tpl.Bucket; b.LogicalID != "" && b.NotificationQueue != "" {
		q, ok := res.Queues[b.NotificationQueue]
		if !ok {
			return nil, fmt.Errorf("devstack: bucket notifies queue %s, which was not provisioned", b.NotificationQueue)
		}
		s.Watcher = &BucketWatcher{S3: clients.S3, SQS: clients.SQS, Bucket: res.BucketName, QueueURL: q.URL, Logger: logger}
		if err := s.Watcher.Prime(ctx); err != nil {
			return nil, fmt.Errorf("devstack: %w", err)
		}
	}
	return s, nil
}

// streamPoller prepares the poller of function f's stream event source ev.
func (s *Stack) streamPoller(ctx context.Context, cfg Config, f samtemplate.Function, ev samtemplate.StreamEvent, logger *slog.Logger) (*StreamPoller, error) {
	if ev.Table != s.Template.Table.LogicalID || s.Resources.StreamARN == "" {
		return nil, fmt.Errorf("event %s reads the stream of %s, which was not provisioned with one", ev.Event, ev.Table)
	}
	h, ok := cfg.StreamHandlers[f.Folder]
	if !ok {
		var err error
		if h, err = s.Functions.Stream(ctx, f.Folder); err != nil {
			return nil, err
		}
	}
	sp := &StreamPoller{
		Streams: s.Clients.Streams, StreamARN: s.Resources.StreamARN, Function: f.Folder, Handler: h,
		Event: ev, SQS: s.Clients.SQS, Logger: logger,
	}
	if ev.OnFailure != "" {
		q, ok := s.Resources.Queues[ev.OnFailure]
		if !ok {
			return nil, fmt.Errorf("event %s: on-failure queue %s was not provisioned", ev.Event, ev.OnFailure)
		}
		sp.OnFailureURL = q.URL
	}
	if _, err := NewEventFilter(ev.Filters); err != nil {
		return nil, fmt.Errorf("event %s: %w", ev.Event, err)
	}
	return sp, nil
}

// Table is the provisioned table.
func (s *Stack) Table() dynamo.Table {
	return dynamo.Table{Client: s.Clients.DynamoDB, Name: s.Resources.TableName}
}

// DynamoDB is the stack's DynamoDB client.
func (s *Stack) DynamoDB() *dynamodb.Client { return s.Clients.DynamoDB }

// Run drives the pollers and the bucket watcher until ctx is cancelled and
// returns when all of them have stopped.
func (s *Stack) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range s.Pollers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.Run(ctx)
		}()
	}
	for _, p := range s.StreamPollers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.Run(ctx)
		}()
	}
	if s.Watcher != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Watcher.Run(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// Serve serves h on ln until ctx is cancelled, then shuts the server down
// gracefully (in-flight requests get five seconds).
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down %s: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}
