package samtemplate_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/wiring"
)

const root = "../.."

func load(t *testing.T) *samtemplate.Template {
	t.Helper()
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestTemplate_EveryFunctionHasItsFolderAndEveryFolderIsDeployed(t *testing.T) {
	tpl := load(t)
	inTemplate := map[string]bool{}
	for _, f := range tpl.Functions {
		inTemplate[f.Folder] = true
		if f.CodeURI != "functions/"+f.Folder+"/" {
			t.Errorf("%s: CodeUri %q, want functions/%s/", f.LogicalID, f.CodeURI, f.Folder)
		}
		if _, err := os.Stat(filepath.Join(root, "functions", f.Folder, "main.go")); err != nil {
			t.Errorf("%s: %v", f.LogicalID, err)
		}
		if f.BuildMethod != "go1.x" && f.BuildMethod != "makefile" {
			t.Errorf("%s: BuildMethod %q", f.LogicalID, f.BuildMethod)
		}
		if f.Runtime != "provided.al2023" || f.Handler != "bootstrap" {
			t.Errorf("%s: runtime %q handler %q", f.LogicalID, f.Runtime, f.Handler)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !inTemplate[e.Name()] {
			t.Errorf("functions/%s is not deployed by template.yaml", e.Name())
		}
	}
	if !slices.Equal(tpl.Globals.Architecture, []string{"arm64"}) {
		t.Errorf("architectures %v, want [arm64]", tpl.Globals.Architecture)
	}
}

func TestTemplate_FunctionsMatchWiring(t *testing.T) {
	tpl := load(t)
	wired := map[string]string{}
	for k := range wiring.APIFunctions {
		wired[k] = "api"
	}
	for k := range wiring.QueueFunctions {
		wired[k] = "queue"
	}
	for k := range wiring.StreamFunctions {
		wired[k] = "stream"
	}
	seen := map[string]bool{}
	for _, f := range tpl.Functions {
		seen[f.Folder] = true
		kind, ok := wired[f.Folder]
		switch {
		case !ok:
			t.Errorf("%s (%s) is in none of wiring.APIFunctions, QueueFunctions, StreamFunctions", f.LogicalID, f.Folder)
		case kind == "api" && (len(f.Routes) == 0 || len(f.SQSEvents)+len(f.StreamEvents) > 0):
			t.Errorf("%s is an API function: want routes only, got %d routes, %d SQS events, %d stream events", f.LogicalID, len(f.Routes), len(f.SQSEvents), len(f.StreamEvents))
		case kind == "queue" && (len(f.SQSEvents) == 0 || len(f.Routes)+len(f.StreamEvents) > 0):
			t.Errorf("%s is a queue function: want SQS events only, got %d routes, %d SQS events, %d stream events", f.LogicalID, len(f.Routes), len(f.SQSEvents), len(f.StreamEvents))
		case kind == "stream" && (len(f.StreamEvents) == 0 || len(f.Routes)+len(f.SQSEvents) > 0):
			t.Errorf("%s is a stream function: want stream events only, got %d routes, %d SQS events, %d stream events", f.LogicalID, len(f.Routes), len(f.SQSEvents), len(f.StreamEvents))
		}
	}
	for k := range wired {
		if !seen[k] {
			t.Errorf("wiring has %q but template.yaml deploys no such function", k)
		}
	}
}

func TestTemplate_QueuesHaveDeadLetterQueuesAndAlarms(t *testing.T) {
	tpl := load(t)
	alarmed := map[string]samtemplate.Alarm{}
	for _, a := range tpl.Alarms {
		if a.Queue != "" {
			alarmed[a.Queue] = a
		}
	}
	dlqs := tpl.DeadLetterQueues()
	if len(dlqs) == 0 {
		t.Fatal("no dead-letter queue in the template")
	}
	for _, q := range tpl.Queues {
		if !q.SSE {
			t.Errorf("%s: no server-side encryption", q.LogicalID)
		}
		if tpl.IsDeadLetterQueue(q.LogicalID) {
			if q.DLQ != "" {
				t.Errorf("%s is a DLQ with its own redrive policy", q.LogicalID)
			}
			continue
		}
		if q.DLQ == "" {
			t.Errorf("%s has no redrive policy", q.LogicalID)
			continue
		}
		if _, ok := tpl.Queue(q.DLQ); !ok {
			t.Errorf("%s: DLQ %s is not a queue of the template", q.LogicalID, q.DLQ)
		}
		if q.MaxReceiveCount < 1 || q.MaxReceiveCount > 10 {
			t.Errorf("%s: maxReceiveCount %d", q.LogicalID, q.MaxReceiveCount)
		}
	}
	for _, dlq := range dlqs {
		a, ok := alarmed[dlq]
		if !ok {
			t.Errorf("DLQ %s has no alarm", dlq)
			continue
		}
		if a.Namespace != "AWS/SQS" || a.MetricName != "ApproximateNumberOfMessagesVisible" ||
			a.Threshold != "0" || a.ComparisonOperator != "GreaterThanThreshold" || a.Actions == 0 {
			t.Errorf("alarm %s on %s: %+v", a.LogicalID, dlq, a)
		}
	}
}

func TestTemplate_SQSEventSources(t *testing.T) {
	tpl := load(t)
	consumed := map[string]string{}
	for _, f := range tpl.Functions {
		for _, ev := range f.SQSEvents {
			if !ev.ReportBatchItemFailures {
				t.Errorf("%s.%s: no ReportBatchItemFailures", f.LogicalID, ev.Event)
			}
			q, ok := tpl.Queue(ev.Queue)
			if !ok {
				t.Errorf("%s.%s: queue %s not in template", f.LogicalID, ev.Event, ev.Queue)
				continue
			}
			if q.VisibilityTimeout < 6*f.Timeout {
				t.Errorf("%s: visibility timeout %ds < 6 × %s timeout %ds", q.LogicalID, q.VisibilityTimeout, f.LogicalID, f.Timeout)
			}
			if ev.BatchSize < 1 || ev.BatchSize > 10000 {
				t.Errorf("%s.%s: batch size %d", f.LogicalID, ev.Event, ev.BatchSize)
			}
			if prev, dup := consumed[ev.Queue]; dup {
				t.Errorf("queue %s consumed by %s and %s", ev.Queue, prev, f.LogicalID)
			}
			consumed[ev.Queue] = f.LogicalID
		}
	}
	for _, q := range tpl.Queues {
		if _, ok := consumed[q.LogicalID]; !ok && !tpl.IsDeadLetterQueue(q.LogicalID) {
			t.Errorf("queue %s has no consumer", q.LogicalID)
		}
	}
}

func TestTemplate_StreamEventSources(t *testing.T) {
	tpl := load(t)
	if tpl.Table.StreamViewType != "NEW_AND_OLD_IMAGES" {
		t.Errorf("table stream %q, want NEW_AND_OLD_IMAGES (order events follow it)", tpl.Table.StreamViewType)
	}
	f, ok := tpl.Function("order-events")
	if !ok || len(f.StreamEvents) != 1 {
		t.Fatalf("want the order-events function with one stream event source, got %+v", f)
	}
	ev := f.StreamEvents[0]
	want := samtemplate.StreamEvent{
		Event: "TableStream", Table: tpl.Table.LogicalID, StartingPosition: "TRIM_HORIZON", BatchSize: 100,
		MaximumRetryAttempts: 10, BisectBatchOnFunctionError: true, ReportBatchItemFailures: true, OnFailure: "OrderEventsDLQ",
	}
	got := ev
	got.Filters = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stream event source %+v\nwant %+v", got, want)
	}
	if !tpl.IsDeadLetterQueue("OrderEventsDLQ") {
		t.Error("OrderEventsDLQ is not counted as a dead-letter queue")
	}
	var types []string
	for _, p := range ev.Filters {
		var pattern struct {
			EventName []string `json:"eventName"`
			Dynamodb  map[string]struct {
				Type struct {
					S []string `json:"S"`
				} `json:"Type"`
			} `json:"dynamodb"`
		}
		if err := json.Unmarshal([]byte(p), &pattern); err != nil {
			t.Fatalf("filter %s: %v", p, err)
		}
		for image, v := range pattern.Dynamodb {
			for _, typ := range v.Type.S {
				types = append(types, image+":"+typ+":"+strings.Join(pattern.EventName, ","))
			}
		}
	}
	sort.Strings(types)
	if wantTypes := []string{"NewImage:ORDER:INSERT,MODIFY", "NewImage:STOCK:MODIFY", "OldImage:HOLD:REMOVE"}; !slices.Equal(types, wantTypes) {
		t.Errorf("filters select %v, want %v", types, wantTypes)
	}
	checkout, _ := tpl.Function("checkout")
	for _, p := range checkout.Policies {
		if p.Name == "SQSSendMessagePolicy" {
			t.Errorf("the checkout may send to %s: orders are announced by the stream", p.Args["QueueName"])
		}
	}
}

func TestParse_StreamEventSource(t *testing.T) {
	src := `
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      StreamSpecification: {StreamViewType: KEYS_ONLY}
  DLQ:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/fn/
      Events:
        S:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt DLQ.Arn}}
            FilterCriteria: {Filters: [{Pattern: '{"eventName":["INSERT"]}'}]}
`
	tpl, err := samtemplate.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ev := tpl.Functions[0].StreamEvents[0]
	if ev.BatchSize != samtemplate.DefaultStreamBatchSize || ev.MaximumRetryAttempts != samtemplate.UnlimitedRetries ||
		ev.StartingPosition != "LATEST" || ev.OnFailure != "DLQ" || ev.ReportBatchItemFailures || ev.BisectBatchOnFunctionError ||
		!slices.Equal(ev.Filters, []string{`{"eventName":["INSERT"]}`}) || tpl.Table.StreamViewType != "KEYS_ONLY" {
		t.Errorf("defaults: %+v", ev)
	}
	for _, bad := range []string{
		strings.Replace(src, "!GetAtt Table.StreamArn", "!GetAtt Table.Arn", 1),
		strings.Replace(src, "StartingPosition: LATEST", "StartingPosition: AT_TIMESTAMP", 1),
		strings.Replace(src, "!GetAtt DLQ.Arn", "arn:aws:sqs:eu-west-3:1:dlq", 1),
		strings.Replace(src, `Pattern: '{"eventName":["INSERT"]}'`, "Pattern: !Ref P", 1),
	} {
		if _, err := samtemplate.Parse([]byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}

func TestTemplate_RouteAuthorization(t *testing.T) {
	tpl := load(t)
	routes := tpl.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	for _, r := range routes {
		public := r.Function == "catalog"
		if r.Authorized() == public {
			t.Errorf("%s (%s): authorized=%v, want %v", r.Key(), r.Function, r.Authorized(), !public)
		}
		if public != strings.HasPrefix(r.Path, "/catalog/") {
			t.Errorf("%s served by %s", r.Key(), r.Function)
		}
	}
	want := []string{
		"GET /catalog/categories",
		"GET /catalog/categories/{categoryId}/products",
		"GET /catalog/products/{ref}",
		"GET /catalog/search",
		"POST /pricing/quote",
		"ANY /cart",
		"ANY /cart/{proxy+}",
		"POST /checkout",
		"GET /orders",
		"ANY /orders/{proxy+}",
		"ANY /reps/{proxy+}",
		"ANY /admin/{proxy+}",
	}
	var got []string
	for _, r := range routes {
		got = append(got, r.Key())
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("route %s missing (have %v)", w, got)
		}
	}
	if len(tpl.APIs) != 1 || tpl.APIs[0].DefaultAuthorizer == "" {
		t.Fatalf("want one HTTP API with a default authorizer, got %+v", tpl.APIs)
	}
	jwt, ok := tpl.APIs[0].Authorizers[tpl.APIs[0].DefaultAuthorizer]
	if !ok || jwt.Issuer.IsZero() || len(jwt.Audience) == 0 {
		t.Errorf("default authorizer is not a JWT authorizer: %+v", jwt)
	}
}

func TestTemplate_TableMatchesAdapter(t *testing.T) {
	tbl := load(t).Table
	if tbl.BillingMode != "PAY_PER_REQUEST" || !tbl.PITR || !tbl.SSE {
		t.Errorf("table settings: %+v", tbl)
	}
	if tbl.TTLAttribute != dynamo.AttrExpires {
		t.Errorf("TTL attribute %q, want %q", tbl.TTLAttribute, dynamo.AttrExpires)
	}
	wantKeys := []samtemplate.KeyElement{{Name: dynamo.AttrPK, Type: "HASH"}, {Name: dynamo.AttrSK, Type: "RANGE"}}
	if !slices.Equal(tbl.Keys, wantKeys) {
		t.Errorf("key schema %v", tbl.Keys)
	}
	var gsi1 *samtemplate.Index
	for i := range tbl.GSIs {
		if tbl.GSIs[i].Name == dynamo.GSI1 {
			gsi1 = &tbl.GSIs[i]
		}
	}
	if gsi1 == nil {
		t.Fatalf("no %s index", dynamo.GSI1)
	}
	if !slices.Equal(gsi1.Keys, []samtemplate.KeyElement{{Name: dynamo.AttrGSI1PK, Type: "HASH"}, {Name: dynamo.AttrGSI1SK, Type: "RANGE"}}) || gsi1.Projection != "ALL" {
		t.Errorf("GSI1: %+v", *gsi1)
	}
	defined := map[string]bool{}
	for _, a := range tbl.Attributes {
		defined[a.Name] = true
	}
	for _, k := range tbl.Keys {
		if !defined[k.Name] {
			t.Errorf("key %s has no attribute definition", k.Name)
		}
	}
	for _, g := range tbl.GSIs {
		for _, k := range g.Keys {
			if !defined[k.Name] {
				t.Errorf("%s key %s has no attribute definition", g.Name, k.Name)
			}
		}
	}
}

func TestTemplate_ERPBucket(t *testing.T) {
	tpl := load(t)
	b := tpl.Bucket
	if !b.Versioned || !b.Encrypted || !b.PublicAccessBlocked {
		t.Errorf("bucket settings: %+v", b)
	}
	ingest, ok := tpl.Function("erp-ingest")
	if !ok || len(ingest.SQSEvents) != 1 {
		t.Fatal("no erp-ingest function with one SQS event")
	}
	if b.NotificationQueue != ingest.SQSEvents[0].Queue {
		t.Errorf("bucket notifies %q, erp-ingest reads %q", b.NotificationQueue, ingest.SQSEvents[0].Queue)
	}
	if !slices.Equal(b.NotificationEvents, []string{"s3:ObjectCreated:*"}) {
		t.Errorf("notification events %v", b.NotificationEvents)
	}
	name, err := b.BucketName.Resolve(samtemplate.Resolver{"AWS::StackName": "comptoir", "AWS::AccountId": "123456789012"})
	if err != nil || name != "comptoir-erp-123456789012" {
		t.Errorf("bucket name %q, %v", name, err)
	}
}

func TestTemplate_FunctionEnvironment(t *testing.T) {
	tpl := load(t)
	r := samtemplate.Resolver{
		"Table": "tbl", "UserPool": "pool", "UserPoolClient": "client", "LogLevel": "INFO",
		"AWS::Region": "eu-west-3", "ErpBucket": "bucket", "CursorKey": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"ErpSyncQueue": "u-sync", "StockUpdateQueue": "u-stock", "VatThresholdQueue": "u-vat", "OrderExportQueue": "u-export",
	}
	tests := []struct {
		folder string
		want   map[string]string
		absent []string
	}{
		{"catalog", map[string]string{
			"TABLE_NAME": "tbl", "AUTH_AUDIENCE": "client", "LOG_LEVEL": "INFO", "CACHE_TTL": "1m",
			"AUTH_ISSUER":   "https://cognito-idp.eu-west-3.amazonaws.com/pool",
			"AUTH_JWKS_URL": "https://cognito-idp.eu-west-3.amazonaws.com/pool/.well-known/jwks.json",
			"CURSOR_KEY":    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		}, []string{"ERP_BUCKET", "ORDER_EXPORT_QUEUE_URL"}},
		{"checkout", map[string]string{"TABLE_NAME": "tbl"},
			[]string{"ERP_BUCKET", "ORDER_EXPORT_QUEUE_URL", "VAT_THRESHOLD_QUEUE_URL", "STOCK_UPDATE_QUEUE_URL"}},
		{"orders", map[string]string{"CURSOR_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}, []string{"ERP_BUCKET"}},
		{"order-events", map[string]string{
			"ORDER_EXPORT_QUEUE_URL": "u-export", "VAT_THRESHOLD_QUEUE_URL": "u-vat",
		}, []string{"ERP_BUCKET", "STOCK_UPDATE_QUEUE_URL"}},
		{"erp-ingest", map[string]string{"ERP_BUCKET": "bucket", "ERP_SYNC_QUEUE_URL": "u-sync"}, nil},
		{"erp-sync", map[string]string{"ERP_BUCKET": "bucket", "STOCK_UPDATE_QUEUE_URL": "u-stock"}, nil},
		{"order-export", map[string]string{"ERP_BUCKET": "bucket"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.folder, func(t *testing.T) {
			f, ok := tpl.Function(tc.folder)
			if !ok {
				t.Fatalf("no function %s", tc.folder)
			}
			env, err := f.Environ(r)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if env[k] != v {
					t.Errorf("%s = %q, want %q", k, env[k], v)
				}
			}
			for _, k := range tc.absent {
				if _, ok := env[k]; ok {
					t.Errorf("%s is set", k)
				}
			}
			if _, err := wiring.ReadEnv(tc.folder, func(k string) string { return env[k] }); err != nil {
				t.Errorf("wiring.ReadEnv: %v", err)
			}
		})
	}
}

func TestTemplate_PoliciesAreLeastPrivilege(t *testing.T) {
	tpl := load(t)
	sends := map[string][]string{}
	for _, f := range tpl.Functions {
		var names []string
		for _, p := range f.Policies {
			names = append(names, p.Name)
			if p.Name == "SQSSendMessagePolicy" {
				sends[f.Folder] = append(sends[f.Folder], p.Args["QueueName"].RefTarget())
			}
		}
		if f.Folder == "catalog" && !slices.Equal(names, []string{"DynamoDBReadPolicy"}) {
			t.Errorf("catalog policies %v, want read only", names)
		}
		for k := range f.Env {
			if strings.HasSuffix(k, "_QUEUE_URL") {
				target := f.Env[k].RefTarget()
				if !slices.Contains(sends[f.Folder], target) {
					t.Errorf("%s has %s (%s) but no SQSSendMessagePolicy on it", f.LogicalID, k, target)
				}
			}
		}
		for _, p := range f.Policies {
			if strings.Contains(p.Name, "FullAccess") || p.Name == "AdministratorAccess" {
				t.Errorf("%s: broad policy %s", f.LogicalID, p.Name)
			}
		}
	}
	for folder, queues := range sends {
		sort.Strings(queues)
		f, _ := tpl.Function(folder)
		for _, q := range queues {
			found := false
			for k, v := range f.Env {
				if strings.HasSuffix(k, "_QUEUE_URL") && v.RefTarget() == q {
					found = true
				}
			}
			if !found {
				t.Errorf("%s may send to %s but has no queue URL for it", folder, q)
			}
		}
	}
}

func TestValue_Resolve(t *testing.T) {
	src := `
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {}
  F:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/f/
      Environment:
        Variables:
          PLAIN: hello
          REF: !Ref Table
          ATT: !GetAtt Q.Arn
          ATT_LIST: !GetAtt [Q, Arn]
          SUB: !Sub "https://${AWS::Region}.example/${Table}/${Q.Arn}/${!Literal}"
          SUB_VARS: !Sub ["${A}-${Table}", {A: !Ref Table}]
          JOIN: !Join ["/", [a, !Ref Table, c]]
          SELECT: !Select [1, [x, y, z]]
          LONG_REF: {Ref: Table}
          LONG_GETATT: {"Fn::GetAtt": [Q, Arn]}
          IF: !If [Cond, a, b]
          MISSING: !Ref Nowhere
`
	tpl, err := samtemplate.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := tpl.Function("f")
	if !ok {
		t.Fatal("no function f")
	}
	r := samtemplate.Resolver{"Table": "tbl", "Q.Arn": "arn:q", "AWS::Region": "eu-west-3"}
	tests := []struct {
		name, want string
		err        bool
	}{
		{"PLAIN", "hello", false},
		{"REF", "tbl", false},
		{"ATT", "arn:q", false},
		{"ATT_LIST", "arn:q", false},
		{"SUB", "https://eu-west-3.example/tbl/arn:q/${Literal}", false},
		{"SUB_VARS", "tbl-tbl", false},
		{"JOIN", "a/tbl/c", false},
		{"SELECT", "y", false},
		{"LONG_REF", "tbl", false},
		{"LONG_GETATT", "arn:q", false},
		{"IF", "", true},
		{"MISSING", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Env[tc.name].Resolve(r)
			if tc.err {
				if !errors.Is(err, samtemplate.ErrUnresolved) {
					t.Errorf("got %q, %v; want ErrUnresolved", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := f.Environ(r); !errors.Is(err, samtemplate.ErrUnresolved) {
		t.Errorf("Environ with unresolvable variables: %v", err)
	}
	if got := f.Env["ATT"].RefTarget(); got != "Q" {
		t.Errorf("RefTarget = %q", got)
	}
	if got := f.Env["REF"].Intrinsic(); got != "Ref" {
		t.Errorf("Intrinsic = %q", got)
	}
}

func TestParse_RejectsMalformed(t *testing.T) {
	tests := []struct{ name, src string }{
		{"not yaml", "Resources: [unclosed"},
		{"no resources", "Parameters: {}"},
		{"no table", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"},
		{"bad timeout", "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Timeout: !Ref X\n"},
		{"bad redrive", "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy:\n        deadLetterTargetArn: arn:literal\n        maxReceiveCount: 3\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := samtemplate.Parse([]byte(tc.src)); err == nil {
				t.Error("parsed without error")
			}
		})
	}
}
