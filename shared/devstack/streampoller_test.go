package devstack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/testenv"
)

func TestEventFilter(t *testing.T) {
	decode := func(s string) map[string]any {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	order := `{"eventName":"INSERT","dynamodb":{"NewImage":{"Type":{"S":"ORDER"},"SK":{"S":"ORDER"},"Qty":{"N":"5"}}}}`
	hold := `{"eventName":"REMOVE","dynamodb":{"OldImage":{"Type":{"S":"HOLD"},"SK":{"S":"HOLD#2"}}}}`
	cases := []struct {
		name     string
		patterns []string
		record   string
		want     bool
	}{
		{"no pattern passes all", nil, hold, true},
		{"value listed", []string{`{"eventName":["INSERT","MODIFY"]}`}, order, true},
		{"value not listed", []string{`{"eventName":["MODIFY"]}`}, order, false},
		{"nested", []string{`{"dynamodb":{"NewImage":{"Type":{"S":["ORDER"]}}}}`}, order, true},
		{"nested absent object", []string{`{"dynamodb":{"NewImage":{"Type":{"S":["HOLD"]}}}}`}, hold, false},
		{"one of the patterns", []string{`{"eventName":["INSERT"]}`, `{"dynamodb":{"OldImage":{"Type":{"S":["HOLD"]}}}}`}, hold, true},
		{"all fields of a pattern", []string{`{"eventName":["REMOVE"],"dynamodb":{"OldImage":{"Type":{"S":["ORDER"]}}}}`}, hold, false},
		{"prefix", []string{`{"dynamodb":{"OldImage":{"SK":{"S":[{"prefix":"HOLD#"}]}}}}`}, hold, true},
		{"prefix not", []string{`{"dynamodb":{"NewImage":{"SK":{"S":[{"prefix":"HOLD#"}]}}}}`}, order, false},
		{"suffix", []string{`{"dynamodb":{"OldImage":{"SK":{"S":[{"suffix":"#2"}]}}}}`}, hold, true},
		{"exists false", []string{`{"dynamodb":{"NewImage":[{"exists":false}]}}`}, hold, true},
		{"exists true", []string{`{"dynamodb":{"NewImage":[{"exists":true}]}}`}, hold, false},
		{"anything-but", []string{`{"eventName":[{"anything-but":["REMOVE"]}]}`}, hold, false},
		{"anything-but other", []string{`{"eventName":[{"anything-but":"MODIFY"}]}`}, order, true},
		{"ignore case", []string{`{"eventName":[{"equals-ignore-case":"insert"}]}`}, order, true},
		{"string is not number", []string{`{"dynamodb":{"NewImage":{"Qty":{"N":[5]}}}}`}, order, false},
		{"number string", []string{`{"dynamodb":{"NewImage":{"Qty":{"N":["5"]}}}}`}, order, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := devstack.NewEventFilter(c.patterns)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(decode(c.record)); got != c.want {
				t.Errorf("Match = %v, want %v", got, c.want)
			}
		})
	}
	for _, bad := range []string{`[]`, `{"a":"b"}`, `{"a":[{"numeric":[">",1]}]}`, `{"a":[{"prefix":"x","suffix":"y"}]}`, `not json`} {
		if _, err := devstack.NewEventFilter([]string{bad}); err == nil {
			t.Errorf("pattern %s accepted", bad)
		}
	}
}

// streamFixture is a fresh table with its stream, a poller on it and an
// on-failure queue.
type streamFixture struct {
	table  dynamo.Table
	poller *devstack.StreamPoller
	dlq    string
	sqs    *sqs.Client
}

func newStreamFixture(t *testing.T, ev samtemplate.StreamEvent, h func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)) *streamFixture {
	t.Helper()
	tbl := testenv.StreamingTable(t)
	ctx := context.Background()
	arn, err := localaws.StreamARN(ctx, tbl.Client, tbl.Name)
	if err != nil || arn == "" {
		t.Fatalf("the test table has no stream: %q %v", arn, err)
	}
	sq := testenv.SQS(t)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(testenv.UniqueName("stream-dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sq.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	ev.Table, ev.StartingPosition = "Table", "TRIM_HORIZON"
	return &streamFixture{
		table: tbl, dlq: aws.ToString(q.QueueUrl), sqs: sq,
		poller: &devstack.StreamPoller{
			Streams: localaws.DynamoDBStreams(testenv.Endpoint(t, testenv.DynamoDBEndpointVar), testenv.Database()), StreamARN: arn,
			Function: "test", Handler: h, Event: ev, SQS: sq, OnFailureURL: aws.ToString(q.QueueUrl), RetryDelay: time.Millisecond,
		},
	}
}

// put writes an item with a type and a number.
func (f *streamFixture) put(t *testing.T, sk, typ string, n int) {
	t.Helper()
	_, err := f.table.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.table.Name), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "M#m1#X"}, "SK": &types.AttributeValueMemberS{Value: sk},
		"Type": &types.AttributeValueMemberS{Value: typ}, "N": &types.AttributeValueMemberN{Value: fmt.Sprint(n)},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// pollUntil polls until done says so.
func (f *streamFixture) pollUntil(t *testing.T, done func() bool) {
	t.Helper()
	testenv.WaitFor(t, 30*time.Second, func() (string, bool) {
		if _, err := f.poller.PollOnce(context.Background()); err != nil {
			return err.Error(), false
		}
		return "", done()
	})
}

// dead reads the on-failure queue.
func (f *streamFixture) dead(t *testing.T) []map[string]any {
	t.Helper()
	out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(f.dlq), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []map[string]any
	for _, m := range out.Messages {
		var v map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &v); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, v)
	}
	return msgs
}

func sk(r events.DynamoDBEventRecord) string {
	if v, ok := r.Change.Keys["SK"]; ok {
		return v.String()
	}
	return ""
}

func TestStreamPoller_FiltersAndRetriesFromTheFirstFailedRecord(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen, done []string
	failed := false
	h := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range ev.Records {
			seen = append(seen, sk(r))
			if r.EventSource != "aws:dynamodb" || r.Change.SequenceNumber == "" || r.EventName != "INSERT" || r.Change.NewImage["Type"].String() != "KEEP" {
				t.Errorf("record %+v", r)
			}
			if sk(r) == "c" && !failed {
				failed = true
				return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}}, nil
			}
			done = append(done, sk(r))
		}
		return events.DynamoDBEventResponse{}, nil
	}
	f := newStreamFixture(t, samtemplate.StreamEvent{
		BatchSize: 100, MaximumRetryAttempts: 3, ReportBatchItemFailures: true,
		Filters: []string{`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"Type":{"S":["KEEP"]}}}}`},
	}, h)
	for i, s := range []string{"a", "b", "c", "d"} {
		f.put(t, s, "KEEP", i)
		f.put(t, s+"-skipped", "OTHER", i)
	}
	f.pollUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(done) == 4 })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(done, []string{"a", "b", "c", "d"}) {
		t.Errorf("handled %v, want a b c d in stream order", done)
	}
	// a and b are not handed over again; c is retried with what follows it.
	if !slices.Equal(seen, []string{"a", "b", "c", "c", "d"}) {
		t.Errorf("seen %v, want a b c (failed) then c d", seen)
	}
	if d := f.dead(t); len(d) != 0 {
		t.Errorf("on-failure queue holds %v", d)
	}
}

func TestStreamPoller_GivesUpAfterTheRetriesAndDescribesTheBatch(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := map[string]int{}
	h := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range ev.Records {
			calls[sk(r)]++
			if sk(r) == "poison" {
				return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}}, nil
			}
		}
		return events.DynamoDBEventResponse{}, nil
	}
	f := newStreamFixture(t, samtemplate.StreamEvent{BatchSize: 100, MaximumRetryAttempts: 2, ReportBatchItemFailures: true}, h)
	f.put(t, "before", "T", 1)
	f.put(t, "poison", "T", 2)
	f.pollUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return calls["poison"] >= 3 })
	// The shard goes on after the batch given up.
	f.put(t, "after", "T", 3)
	f.pollUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return calls["after"] == 1 })
	mu.Lock()
	if calls["poison"] != 3 || calls["before"] != 1 {
		t.Errorf("calls %v, want the poison record 1 + 2 retries, the one before it once", calls)
	}
	mu.Unlock()
	d := testenv.WaitFor(t, 10*time.Second, func() ([]map[string]any, bool) { d := f.dead(t); return d, len(d) > 0 })
	info, _ := d[0]["DDBStreamBatchInfo"].(map[string]any)
	ctx, _ := d[0]["requestContext"].(map[string]any)
	if len(d) != 1 || info["batchSize"] != float64(1) || info["startSequenceNumber"] != info["endSequenceNumber"] ||
		info["streamArn"] != f.poller.StreamARN || ctx["condition"] != "RetryAttemptsExhausted" || ctx["approximateInvokeCount"] != float64(3) {
		t.Errorf("on-failure record %v", d)
	}
}

func TestStreamPoller_BisectsABatchThatErrs(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var done []string
	h := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range ev.Records {
			if sk(r) == "poison" {
				return events.DynamoDBEventResponse{}, errors.New("cannot decode")
			}
		}
		for _, r := range ev.Records {
			done = append(done, sk(r))
		}
		return events.DynamoDBEventResponse{}, nil
	}
	f := newStreamFixture(t, samtemplate.StreamEvent{BatchSize: 100, MaximumRetryAttempts: 10, BisectBatchOnFunctionError: true}, h)
	for _, s := range []string{"a", "b", "poison", "c", "d"} {
		f.put(t, s, "T", 0)
	}
	f.pollUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(done) == 4 })
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(done)
	if !slices.Equal(done, []string{"a", "b", "c", "d"}) {
		t.Errorf("handled %v, want every record but the poison one", done)
	}
	d := testenv.WaitFor(t, 10*time.Second, func() ([]map[string]any, bool) { d := f.dead(t); return d, len(d) > 0 })
	if info, _ := d[0]["DDBStreamBatchInfo"].(map[string]any); len(d) != 1 || info["batchSize"] != float64(1) {
		t.Errorf("on-failure record %v, want the poison record alone", d)
	}
}
