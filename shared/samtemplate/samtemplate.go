// Package samtemplate reads the project's AWS SAM template (template.yaml)
// into typed values: the functions with their environment, HTTP routes and
// SQS event sources, the queues and their dead-letter queues, the single
// table, the ERP bucket and the alarms. The local runner builds the local
// stack from it, and the tests check the template's invariants with it, so
// that the deployed wiring and the local one cannot drift.
//
// DynamoDB stream event sources are read too (StreamEvent): the local
// runner plays them on DynamoDB Local's stream.
//
// The template is parsed as yaml.Node trees, so CloudFormation's short tags
// (!Ref, !GetAtt, !Sub...) are kept as Values and resolved on demand.
package samtemplate

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Resource types the package understands.
const (
	TypeFunction = "AWS::Serverless::Function"
	TypeHTTPAPI  = "AWS::Serverless::HttpApi"
	TypeQueue    = "AWS::SQS::Queue"
	TypeTable    = "AWS::DynamoDB::Table"
	TypeBucket   = "AWS::S3::Bucket"
	TypeAlarm    = "AWS::CloudWatch::Alarm"
)

// Defaults CloudFormation and SAM apply when the template says nothing.
const (
	// DefaultFunctionTimeout is Lambda's default timeout in seconds.
	DefaultFunctionTimeout = 3
	// DefaultVisibilityTimeout is SQS's default visibility timeout in seconds.
	DefaultVisibilityTimeout = 30
	// DefaultBatchSize is the default batch size of an SQS event source.
	DefaultBatchSize = 10
	// DefaultStreamBatchSize is the default batch size of a DynamoDB
	// stream event source.
	DefaultStreamBatchSize = 100
	// UnlimitedRetries is a stream event source's MaximumRetryAttempts
	// when the template sets none: Lambda retries until the record
	// expires from the stream.
	UnlimitedRetries = -1
)

// NoAuthorizer is the authorizer name that makes a route public.
const NoAuthorizer = "NONE"

// Template is the parsed template.
type Template struct {
	// Parameters holds each parameter's default value, "" when none.
	Parameters map[string]string
	// Resources maps every logical id to its resource type.
	Resources map[string]string
	// Globals are the Globals.Function settings every function inherits.
	Globals Globals
	// Functions in logical id order.
	Functions []Function
	// APIs are the HTTP APIs in logical id order.
	APIs []HTTPAPI
	// Queues in logical id order, dead-letter queues included.
	Queues []Queue
	// Table is the single DynamoDB table.
	Table Table
	// Bucket is the ERP bucket.
	Bucket Bucket
	// Alarms in logical id order.
	Alarms []Alarm
}

// Globals are the function settings of the template's Globals section.
type Globals struct {
	Runtime      string
	Architecture []string
	Handler      string
	Timeout      int
	MemorySize   int
	Tracing      string
	Env          map[string]Value
}

// Function is an AWS::Serverless::Function.
type Function struct {
	LogicalID string
	// CodeURI is the CodeUri as written ("functions/catalog/").
	CodeURI string
	// Folder is the last element of CodeUri ("catalog"): the function's key
	// in wiring.APIFunctions or wiring.QueueFunctions.
	Folder string
	// BuildMethod is Metadata.BuildMethod ("go1.x", "makefile").
	BuildMethod string
	Runtime     string
	Handler     string
	// Timeout in seconds, Globals and Lambda default applied.
	Timeout    int
	MemorySize int
	// Env is the function's environment: Globals' variables overridden by
	// its own.
	Env map[string]Value
	// Policies are the SAM policy templates or managed policies attached.
	Policies []Policy
	Routes   []Route
	// SQSEvents are the function's SQS event sources.
	SQSEvents []SQSEvent
	// StreamEvents are the function's DynamoDB stream event sources.
	StreamEvents []StreamEvent
}

// Environ resolves the function's environment with r.
func (f Function) Environ(r Resolver) (map[string]string, error) {
	out := make(map[string]string, len(f.Env))
	for _, k := range sortedKeys(f.Env) {
		s, err := f.Env[k].Resolve(r)
		if err != nil {
			return nil, fmt.Errorf("%s: environment %s: %w", f.LogicalID, k, err)
		}
		out[k] = s
	}
	return out, nil
}

// Policy is one entry of a function's Policies: a SAM policy template such
// as DynamoDBReadPolicy with its main argument, or a managed policy name.
type Policy struct {
	// Name is the policy template or managed policy name.
	Name string
	// Args are the template's arguments (TableName, QueueName, BucketName).
	Args map[string]Value
}

// Route is an HttpApi event: one route of the HTTP API served by a function.
type Route struct {
	// Event is the event's name in the function's Events.
	Event string
	// API is the logical id of the HttpApi (ApiId), "" for the implicit one.
	API string
	// Method is upper case; "ANY" matches every method.
	Method string
	// Path as written, with {param} and {proxy+} segments.
	Path string
	// Authorizer is the route's authorizer after the API's default is
	// applied; NoAuthorizer or "" means public.
	Authorizer string
}

// Key is API Gateway's route key, "GET /catalog/products/{ref}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Authorized reports whether API Gateway checks a JWT before the route's
// function runs.
func (r Route) Authorized() bool { return r.Authorizer != "" && r.Authorizer != NoAuthorizer }

// SQSEvent is an SQS event source mapping.
type SQSEvent struct {
	Event string
	// Queue is the logical id of the source queue.
	Queue     string
	BatchSize int
	// BatchingWindow is MaximumBatchingWindowInSeconds.
	BatchingWindow int
	// ReportBatchItemFailures says whether the function may report partial
	// batch failures (FunctionResponseTypes).
	ReportBatchItemFailures bool
}

// StreamEvent is a DynamoDB stream event source mapping.
type StreamEvent struct {
	Event string
	// Table is the logical id of the table whose stream is read (Stream:
	// !GetAtt <Table>.StreamArn).
	Table string
	// StartingPosition is TRIM_HORIZON or LATEST.
	StartingPosition string
	BatchSize        int
	// BatchingWindow is MaximumBatchingWindowInSeconds.
	BatchingWindow int
	// MaximumRetryAttempts is how many times a failed batch is retried
	// before it is sent to OnFailure; UnlimitedRetries when not set.
	MaximumRetryAttempts int
	// BisectBatchOnFunctionError splits a failed batch in two to retry.
	BisectBatchOnFunctionError bool
	// ReportBatchItemFailures says whether the function may report the
	// first failed record of a batch (FunctionResponseTypes).
	ReportBatchItemFailures bool
	// OnFailure is the logical id of the queue receiving the description
	// of a batch that failed every attempt, "" for none.
	OnFailure string
	// Filters are the FilterCriteria patterns, each a JSON document; a
	// record is handed to the function when it matches one of them (all
	// records when there is none).
	Filters []string
}

// HTTPAPI is an AWS::Serverless::HttpApi.
type HTTPAPI struct {
	LogicalID         string
	DefaultAuthorizer string
	Authorizers       map[string]JWTAuthorizer
}

// JWTAuthorizer is an HTTP API JWT authorizer.
type JWTAuthorizer struct {
	IdentitySource string
	Issuer         Value
	Audience       []Value
}

// Queue is an AWS::SQS::Queue.
type Queue struct {
	LogicalID string
	// QueueName is the fixed name, zero when CloudFormation names it.
	QueueName Value
	// VisibilityTimeout in seconds, SQS default applied.
	VisibilityTimeout int
	// MessageRetention in seconds, 0 when not set.
	MessageRetention int
	// DLQ is the logical id of the dead-letter queue of the redrive policy.
	DLQ string
	// MaxReceiveCount of the redrive policy.
	MaxReceiveCount int
	// SSE reports SqsManagedSseEnabled or a KMS key.
	SSE bool
}

// Table is the DynamoDB table.
type Table struct {
	LogicalID   string
	BillingMode string
	Keys        []KeyElement
	Attributes  []AttributeDefinition
	GSIs        []Index
	// TTLAttribute is the TimeToLiveSpecification's attribute, "" when off.
	TTLAttribute string
	// StreamViewType is the StreamSpecification's view type
	// (NEW_AND_OLD_IMAGES...), "" when the table has no stream.
	StreamViewType string
	PITR           bool
	SSE            bool
}

// KeyElement is one element of a key schema.
type KeyElement struct {
	Name string
	// Type is HASH or RANGE.
	Type string
}

// AttributeDefinition declares a key attribute's type (S, N or B).
type AttributeDefinition struct {
	Name string
	Type string
}

// Index is a global secondary index.
type Index struct {
	Name       string
	Keys       []KeyElement
	Projection string
}

// Bucket is the ERP bucket.
type Bucket struct {
	LogicalID  string
	BucketName Value
	Versioned  bool
	Encrypted  bool
	// PublicAccessBlocked is true when all four public access blocks are on.
	PublicAccessBlocked bool
	// NotificationQueue is the logical id of the queue receiving the
	// bucket's notifications.
	NotificationQueue string
	// NotificationEvents are the notified events ("s3:ObjectCreated:*").
	NotificationEvents []string
}

// Alarm is a CloudWatch alarm.
type Alarm struct {
	LogicalID  string
	Namespace  string
	MetricName string
	// Queue is the logical id of the queue of a QueueName dimension.
	Queue              string
	Threshold          string
	ComparisonOperator string
	Actions            int
}

// Load reads and parses the template file at path.
func Load(file string) (*Template, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// Parse parses a template.
func Parse(src []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse template: not a mapping")
	}
	root := doc.Content[0]
	t := &Template{Parameters: map[string]string{}, Resources: map[string]string{}}

	for _, p := range pairs(get(root, "Parameters")) {
		t.Parameters[p.key] = scalar(get(p.val, "Default"))
	}
	gf := get(get(root, "Globals"), "Function")
	t.Globals = Globals{
		Runtime: scalar(get(gf, "Runtime")), Handler: scalar(get(gf, "Handler")),
		Architecture: scalars(get(gf, "Architectures")), Tracing: scalar(get(gf, "Tracing")),
		Env: envOf(gf),
	}
	var err error
	if t.Globals.Timeout, err = intOf(get(gf, "Timeout"), DefaultFunctionTimeout); err != nil {
		return nil, fmt.Errorf("Globals.Function.Timeout: %w", err)
	}
	if t.Globals.MemorySize, err = intOf(get(gf, "MemorySize"), 128); err != nil {
		return nil, fmt.Errorf("Globals.Function.MemorySize: %w", err)
	}

	resources := get(root, "Resources")
	if resources == nil {
		return nil, fmt.Errorf("parse template: no Resources")
	}
	for _, p := range pairs(resources) {
		typ := scalar(get(p.val, "Type"))
		t.Resources[p.key] = typ
	}
	// APIs first: routes need their default authorizer.
	for _, id := range sortedKeys(t.Resources) {
		if t.Resources[id] == TypeHTTPAPI {
			t.APIs = append(t.APIs, parseAPI(id, get(get(resources, id), "Properties")))
		}
	}
	tables, buckets := 0, 0
	for _, id := range sortedKeys(t.Resources) {
		res := get(resources, id)
		props := get(res, "Properties")
		var perr error
		switch t.Resources[id] {
		case TypeFunction:
			var f Function
			f, perr = t.parseFunction(id, res)
			t.Functions = append(t.Functions, f)
		case TypeQueue:
			var q Queue
			q, perr = parseQueue(id, props)
			t.Queues = append(t.Queues, q)
		case TypeTable:
			tables++
			t.Table = parseTable(id, props)
		case TypeBucket:
			buckets++
			t.Bucket = parseBucket(id, props)
		case TypeAlarm:
			t.Alarms = append(t.Alarms, parseAlarm(id, props))
		}
		if perr != nil {
			return nil, fmt.Errorf("resource %s: %w", id, perr)
		}
	}
	if tables != 1 {
		return nil, fmt.Errorf("parse template: want exactly one DynamoDB table, found %d", tables)
	}
	if buckets > 1 {
		return nil, fmt.Errorf("parse template: want at most one bucket, found %d", buckets)
	}
	return t, nil
}

// Function returns the function whose folder is folder.
func (t *Template) Function(folder string) (Function, bool) {
	for _, f := range t.Functions {
		if f.Folder == folder {
			return f, true
		}
	}
	return Function{}, false
}

// Queue returns the queue with logical id id.
func (t *Template) Queue(id string) (Queue, bool) {
	for _, q := range t.Queues {
		if q.LogicalID == id {
			return q, true
		}
	}
	return Queue{}, false
}

// DeadLetterQueues returns the logical ids of the queues that are some
// queue's dead-letter target or some stream event source's on-failure
// destination, sorted.
func (t *Template) DeadLetterQueues() []string {
	set := map[string]bool{}
	for _, q := range t.Queues {
		if q.DLQ != "" {
			set[q.DLQ] = true
		}
	}
	for _, f := range t.Functions {
		for _, ev := range f.StreamEvents {
			if ev.OnFailure != "" {
				set[ev.OnFailure] = true
			}
		}
	}
	return sortedKeys(set)
}

// IsDeadLetterQueue reports whether queue id is another queue's DLQ or a
// stream event source's on-failure destination.
func (t *Template) IsDeadLetterQueue(id string) bool {
	for _, dlq := range t.DeadLetterQueues() {
		if dlq == id {
			return true
		}
	}
	return false
}

// Routes returns every route of every function with the function's folder.
func (t *Template) Routes() []FunctionRoute {
	var out []FunctionRoute
	for _, f := range t.Functions {
		for _, r := range f.Routes {
			out = append(out, FunctionRoute{Function: f.Folder, Route: r})
		}
	}
	return out
}

// FunctionRoute is a route with the folder of the function serving it.
type FunctionRoute struct {
	Function string
	Route
}

func (t *Template) parseFunction(id string, res *yaml.Node) (Function, error) {
	props := get(res, "Properties")
	f := Function{
		LogicalID:   id,
		CodeURI:     scalar(get(props, "CodeUri")),
		BuildMethod: scalar(get(get(res, "Metadata"), "BuildMethod")),
		Runtime:     orDefault(scalar(get(props, "Runtime")), t.Globals.Runtime),
		Handler:     orDefault(scalar(get(props, "Handler")), t.Globals.Handler),
		Env:         map[string]Value{},
	}
	f.Folder = path.Base(strings.TrimSuffix(f.CodeURI, "/"))
	var err error
	if f.Timeout, err = intOf(get(props, "Timeout"), t.Globals.Timeout); err != nil {
		return f, fmt.Errorf("Timeout: %w", err)
	}
	if f.MemorySize, err = intOf(get(props, "MemorySize"), t.Globals.MemorySize); err != nil {
		return f, fmt.Errorf("MemorySize: %w", err)
	}
	for k, v := range t.Globals.Env {
		f.Env[k] = v
	}
	for k, v := range envOf(props) {
		f.Env[k] = v
	}
	for _, p := range items(get(props, "Policies")) {
		if p.Kind == yaml.ScalarNode {
			f.Policies = append(f.Policies, Policy{Name: p.Value})
			continue
		}
		for _, kv := range pairs(p) {
			pol := Policy{Name: kv.key, Args: map[string]Value{}}
			for _, a := range pairs(kv.val) {
				pol.Args[a.key] = Value{node: a.val}
			}
			f.Policies = append(f.Policies, pol)
		}
	}
	for _, ev := range pairs(get(props, "Events")) {
		ep := get(ev.val, "Properties")
		switch scalar(get(ev.val, "Type")) {
		case "HttpApi":
			r := Route{
				Event:  ev.key,
				API:    Value{node: get(ep, "ApiId")}.RefTarget(),
				Method: strings.ToUpper(orDefault(scalar(get(ep, "Method")), "ANY")),
				Path:   orDefault(scalar(get(ep, "Path")), "$default"),
			}
			r.Authorizer = scalar(get(get(ep, "Auth"), "Authorizer"))
			if r.Authorizer == "" {
				r.Authorizer = t.defaultAuthorizer(r.API)
			}
			f.Routes = append(f.Routes, r)
		case "SQS":
			s := SQSEvent{Event: ev.key, Queue: Value{node: get(ep, "Queue")}.RefTarget()}
			if s.BatchSize, err = intOf(get(ep, "BatchSize"), DefaultBatchSize); err != nil {
				return f, fmt.Errorf("event %s BatchSize: %w", ev.key, err)
			}
			if s.BatchingWindow, err = intOf(get(ep, "MaximumBatchingWindowInSeconds"), 0); err != nil {
				return f, fmt.Errorf("event %s MaximumBatchingWindowInSeconds: %w", ev.key, err)
			}
			for _, rt := range scalars(get(ep, "FunctionResponseTypes")) {
				if rt == "ReportBatchItemFailures" {
					s.ReportBatchItemFailures = true
				}
			}
			if s.Queue == "" {
				return f, fmt.Errorf("event %s: Queue must be !GetAtt <Queue>.Arn", ev.key)
			}
			f.SQSEvents = append(f.SQSEvents, s)
		case "DynamoDB":
			s, err := parseStreamEvent(ev.key, ep)
			if err != nil {
				return f, err
			}
			f.StreamEvents = append(f.StreamEvents, s)
		}
	}
	return f, nil
}

func parseStreamEvent(name string, ep *yaml.Node) (StreamEvent, error) {
	s := StreamEvent{Event: name, StartingPosition: scalar(get(ep, "StartingPosition"))}
	if fn, arg := intrinsic(get(ep, "Stream")); fn == "Fn::GetAtt" {
		if id, attr, ok := getAttParts(arg); ok && attr == "StreamArn" {
			s.Table = id
		}
	}
	if s.Table == "" {
		return s, fmt.Errorf("event %s: Stream must be !GetAtt <Table>.StreamArn", name)
	}
	if s.StartingPosition != "TRIM_HORIZON" && s.StartingPosition != "LATEST" {
		return s, fmt.Errorf("event %s: StartingPosition %q, want TRIM_HORIZON or LATEST", name, s.StartingPosition)
	}
	var err error
	if s.BatchSize, err = intOf(get(ep, "BatchSize"), DefaultStreamBatchSize); err != nil {
		return s, fmt.Errorf("event %s BatchSize: %w", name, err)
	}
	if s.BatchingWindow, err = intOf(get(ep, "MaximumBatchingWindowInSeconds"), 0); err != nil {
		return s, fmt.Errorf("event %s MaximumBatchingWindowInSeconds: %w", name, err)
	}
	if s.MaximumRetryAttempts, err = intOf(get(ep, "MaximumRetryAttempts"), UnlimitedRetries); err != nil {
		return s, fmt.Errorf("event %s MaximumRetryAttempts: %w", name, err)
	}
	s.BisectBatchOnFunctionError = scalar(get(ep, "BisectBatchOnFunctionError")) == "true"
	for _, rt := range scalars(get(ep, "FunctionResponseTypes")) {
		if rt == "ReportBatchItemFailures" {
			s.ReportBatchItemFailures = true
		}
	}
	if of := get(get(ep, "DestinationConfig"), "OnFailure"); of != nil {
		s.OnFailure = Value{node: get(of, "Destination")}.RefTarget()
		if s.OnFailure == "" {
			return s, fmt.Errorf("event %s: DestinationConfig.OnFailure.Destination must be !GetAtt <Queue>.Arn", name)
		}
	}
	for i, f := range items(get(get(ep, "FilterCriteria"), "Filters")) {
		p := scalar(get(f, "Pattern"))
		if p == "" {
			return s, fmt.Errorf("event %s: filter %d has no literal Pattern", name, i)
		}
		s.Filters = append(s.Filters, p)
	}
	return s, nil
}

func (t *Template) defaultAuthorizer(api string) string {
	for _, a := range t.APIs {
		if a.LogicalID == api || (api == "" && len(t.APIs) == 1) {
			return a.DefaultAuthorizer
		}
	}
	return ""
}

func parseAPI(id string, props *yaml.Node) HTTPAPI {
	authNode := get(props, "Auth")
	a := HTTPAPI{LogicalID: id, DefaultAuthorizer: scalar(get(authNode, "DefaultAuthorizer")), Authorizers: map[string]JWTAuthorizer{}}
	for _, p := range pairs(get(authNode, "Authorizers")) {
		jc := get(p.val, "JwtConfiguration")
		j := JWTAuthorizer{IdentitySource: scalar(get(p.val, "IdentitySource")), Issuer: Value{node: get(jc, "issuer")}}
		for _, aud := range items(get(jc, "audience")) {
			j.Audience = append(j.Audience, Value{node: aud})
		}
		a.Authorizers[p.key] = j
	}
	return a
}

func parseQueue(id string, props *yaml.Node) (Queue, error) {
	q := Queue{LogicalID: id, QueueName: Value{node: get(props, "QueueName")}}
	var err error
	if q.VisibilityTimeout, err = intOf(get(props, "VisibilityTimeout"), DefaultVisibilityTimeout); err != nil {
		return q, fmt.Errorf("VisibilityTimeout: %w", err)
	}
	if q.MessageRetention, err = intOf(get(props, "MessageRetentionPeriod"), 0); err != nil {
		return q, fmt.Errorf("MessageRetentionPeriod: %w", err)
	}
	q.SSE = scalar(get(props, "SqsManagedSseEnabled")) == "true" || get(props, "KmsMasterKeyId") != nil
	if rp := get(props, "RedrivePolicy"); rp != nil {
		q.DLQ = Value{node: get(rp, "deadLetterTargetArn")}.RefTarget()
		if q.MaxReceiveCount, err = intOf(get(rp, "maxReceiveCount"), 0); err != nil {
			return q, fmt.Errorf("maxReceiveCount: %w", err)
		}
		if q.DLQ == "" {
			return q, fmt.Errorf("RedrivePolicy.deadLetterTargetArn must be !GetAtt <Queue>.Arn")
		}
	}
	return q, nil
}

func parseTable(id string, props *yaml.Node) Table {
	t := Table{
		LogicalID:   id,
		BillingMode: scalar(get(props, "BillingMode")),
		Keys:        keySchema(get(props, "KeySchema")),
		PITR:        scalar(get(get(props, "PointInTimeRecoverySpecification"), "PointInTimeRecoveryEnabled")) == "true",
		SSE:         scalar(get(get(props, "SSESpecification"), "SSEEnabled")) == "true",
	}
	for _, a := range items(get(props, "AttributeDefinitions")) {
		t.Attributes = append(t.Attributes, AttributeDefinition{Name: scalar(get(a, "AttributeName")), Type: scalar(get(a, "AttributeType"))})
	}
	for _, g := range items(get(props, "GlobalSecondaryIndexes")) {
		t.GSIs = append(t.GSIs, Index{
			Name:       scalar(get(g, "IndexName")),
			Keys:       keySchema(get(g, "KeySchema")),
			Projection: scalar(get(get(g, "Projection"), "ProjectionType")),
		})
	}
	if ttl := get(props, "TimeToLiveSpecification"); ttl != nil && scalar(get(ttl, "Enabled")) == "true" {
		t.TTLAttribute = scalar(get(ttl, "AttributeName"))
	}
	t.StreamViewType = scalar(get(get(props, "StreamSpecification"), "StreamViewType"))
	return t
}

func keySchema(n *yaml.Node) []KeyElement {
	var out []KeyElement
	for _, k := range items(n) {
		out = append(out, KeyElement{Name: scalar(get(k, "AttributeName")), Type: scalar(get(k, "KeyType"))})
	}
	return out
}

func parseBucket(id string, props *yaml.Node) Bucket {
	b := Bucket{
		LogicalID:  id,
		BucketName: Value{node: get(props, "BucketName")},
		Versioned:  scalar(get(get(props, "VersioningConfiguration"), "Status")) == "Enabled",
		Encrypted:  len(items(get(get(props, "BucketEncryption"), "ServerSideEncryptionConfiguration"))) > 0,
	}
	pab := get(props, "PublicAccessBlockConfiguration")
	b.PublicAccessBlocked = true
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if scalar(get(pab, k)) != "true" {
			b.PublicAccessBlocked = false
		}
	}
	for _, qc := range items(get(get(props, "NotificationConfiguration"), "QueueConfigurations")) {
		b.NotificationQueue = Value{node: get(qc, "Queue")}.RefTarget()
		b.NotificationEvents = append(b.NotificationEvents, scalar(get(qc, "Event")))
	}
	return b
}

func parseAlarm(id string, props *yaml.Node) Alarm {
	a := Alarm{
		LogicalID:          id,
		Namespace:          scalar(get(props, "Namespace")),
		MetricName:         scalar(get(props, "MetricName")),
		Threshold:          scalar(get(props, "Threshold")),
		ComparisonOperator: scalar(get(props, "ComparisonOperator")),
		Actions:            len(items(get(props, "AlarmActions"))),
	}
	for _, d := range items(get(props, "Dimensions")) {
		if scalar(get(d, "Name")) == "QueueName" {
			a.Queue = Value{node: get(d, "Value")}.RefTarget()
		}
	}
	return a
}

// --- yaml.Node helpers

type pair struct {
	key string
	val *yaml.Node
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// get returns the value of key in mapping n, nil when absent.
func get(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

func pairs(n *yaml.Node) []pair {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{key: n.Content[i].Value, val: deref(n.Content[i+1])})
	}
	return out
}

func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, deref(c))
	}
	return out
}

// scalar returns a plain scalar's text, "" for anything else.
func scalar(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isCustomTag(n.Tag) {
		return ""
	}
	return n.Value
}

func scalars(n *yaml.Node) []string {
	var out []string
	for _, c := range items(n) {
		out = append(out, scalar(c))
	}
	return out
}

func intOf(n *yaml.Node, def int) (int, error) {
	n = deref(n)
	if n == nil {
		return def, nil
	}
	s := scalar(n)
	if s == "" {
		return 0, fmt.Errorf("line %d: not a literal number", n.Line)
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("line %d: %w", n.Line, err)
	}
	return v, nil
}

func envOf(props *yaml.Node) map[string]Value {
	out := map[string]Value{}
	for _, p := range pairs(get(get(props, "Environment"), "Variables")) {
		out[p.key] = Value{node: p.val}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FileName is the template's file name at the repository root.
const FileName = "template.yaml"

// Locate walks up from dir to the directory holding go.mod and returns the
// path of the template there.
func Locate(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("locate template: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, FileName), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("locate template: no go.mod above %s", abs)
		}
	}
}
