package devstack

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/wiring"
)

// StreamPoller plays a DynamoDB stream event source mapping on DynamoDB
// Local: it reads every shard of the table's stream (parents before their
// children) from the starting position, keeps the records that pass the
// filter criteria, and hands them to the function in batches as an
// events.DynamoDBEvent, in stream order.
//
// A batch is retried as Lambda does: from the first record the function
// reports as failed (ReportBatchItemFailures), or whole when it returns an
// error or panics (split in two first with BisectBatchOnFunctionError),
// up to MaximumRetryAttempts times; then a description of the batch
// (shard, first and last sequence numbers) is sent to the on-failure queue
// and the shard goes on after it. Records are never skipped otherwise.
type StreamPoller struct {
	Streams *dynamodbstreams.Client
	// StreamARN is the table's stream.
	StreamARN string
	// Function names the function in logs and failure descriptions.
	Function string
	Handler  wiring.StreamHandler
	// Event is the template's event source mapping.
	Event samtemplate.StreamEvent
	// SQS and OnFailureURL receive the description of a batch that failed
	// every attempt; without them it is only logged.
	SQS          *sqs.Client
	OnFailureURL string
	// Interval between reads of an idle stream; 250ms when zero.
	Interval time.Duration
	// RetryDelay is the pause before a failed batch is retried; 100ms
	// when zero.
	RetryDelay time.Duration
	Logger     *slog.Logger

	filterOnce sync.Once
	filter     *EventFilter
	filterErr  error

	mu     sync.Mutex
	shards map[string]*shardState
	order  []string
	// invocations counts the handler's invocations (tests read it).
	invocations int
}

// shardState is how far a shard was read.
type shardState struct {
	id, parent string
	iterator   string
	// after is the sequence number of the last record handed over (or
	// given up), "" before the first.
	after string
	done  bool
}

// Invocations returns how many times the handler was invoked.
func (p *StreamPoller) Invocations() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.invocations
}

func (p *StreamPoller) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger.With(slog.String("function", p.Function))
}

// Run polls until ctx is cancelled, then returns nil.
func (p *StreamPoller) Run(ctx context.Context) error {
	interval := p.Interval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	failures := 0
	for ctx.Err() == nil {
		n, err := p.PollOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			p.log().WarnContext(ctx, "stream poll failed", slog.String("error", err.Error()))
			sleep(ctx, min(time.Duration(failures)*200*time.Millisecond, 5*time.Second))
			continue
		}
		failures = 0
		if n == 0 {
			sleep(ctx, interval)
		}
	}
	return nil
}

// PollOnce reads each shard once (one GetRecords each), and hands what it
// read to the function, retries included. It returns the number of
// records read.
func (p *StreamPoller) PollOnce(ctx context.Context) (int, error) {
	p.filterOnce.Do(func() { p.filter, p.filterErr = NewEventFilter(p.Event.Filters) })
	if p.filterErr != nil {
		return 0, p.filterErr
	}
	if err := p.discover(ctx); err != nil {
		return 0, err
	}
	read := 0
	for _, id := range p.readyShards() {
		n, err := p.readShard(ctx, p.shard(id))
		read += n
		if err != nil {
			return read, err
		}
	}
	return read, nil
}

// discover lists the stream's shards and records the new ones.
func (p *StreamPoller) discover(ctx context.Context) error {
	var start *string
	for {
		out, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(p.StreamARN), ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		p.mu.Lock()
		if p.shards == nil {
			p.shards = map[string]*shardState{}
		}
		for _, s := range out.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if _, ok := p.shards[id]; !ok {
				p.shards[id] = &shardState{id: id, parent: aws.ToString(s.ParentShardId)}
				p.order = append(p.order, id)
			}
		}
		p.mu.Unlock()
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

// readyShards are the open shards whose parent is read to its end (or
// unknown: trimmed away).
func (p *StreamPoller) readyShards() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for _, id := range p.order {
		s := p.shards[id]
		if s.done {
			continue
		}
		if parent, ok := p.shards[s.parent]; ok && !parent.done {
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

func (p *StreamPoller) shard(id string) *shardState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shards[id]
}

// readShard reads one page of a shard and hands its records over.
func (p *StreamPoller) readShard(ctx context.Context, s *shardState) (int, error) {
	if s.iterator == "" {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(p.StreamARN), ShardId: aws.String(s.id)}
		switch {
		case s.after != "":
			in.ShardIteratorType, in.SequenceNumber = streamtypes.ShardIteratorTypeAfterSequenceNumber, aws.String(s.after)
		case p.Event.StartingPosition == "LATEST":
			in.ShardIteratorType = streamtypes.ShardIteratorTypeLatest
		default:
			in.ShardIteratorType = streamtypes.ShardIteratorTypeTrimHorizon
		}
		out, err := p.Streams.GetShardIterator(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("shard %s: iterator: %w", s.id, err)
		}
		s.iterator = aws.ToString(out.ShardIterator)
		if s.iterator == "" {
			s.done = true
			return 0, nil
		}
	}
	limit := int32(min(max(p.Event.BatchSize, 1), 1000))
	out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(s.iterator), Limit: aws.Int32(limit)})
	var expired *streamtypes.ExpiredIteratorException
	var trimmed *streamtypes.TrimmedDataAccessException
	switch {
	case errors.As(err, &expired):
		s.iterator = ""
		return 0, nil
	case errors.As(err, &trimmed):
		s.iterator, s.after = "", ""
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("shard %s: records: %w", s.id, err)
	}
	if len(out.Records) > 0 {
		if err := p.deliver(ctx, s, out.Records); err != nil {
			// The iterator moved on: read again after what was handed over.
			s.iterator = ""
			return len(out.Records), err
		}
	}
	s.iterator = aws.ToString(out.NextShardIterator)
	if s.iterator == "" {
		s.done = true
	}
	return len(out.Records), nil
}

// deliver filters the records read and hands them to the function.
func (p *StreamPoller) deliver(ctx context.Context, s *shardState, recs []streamtypes.Record) error {
	var batch []events.DynamoDBEventRecord
	for _, r := range recs {
		raw, err := lambdaRecord(r, p.StreamARN)
		if err != nil {
			return err
		}
		var generic map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&generic); err != nil {
			return err
		}
		if !p.filter.Match(generic) {
			continue
		}
		var ev events.DynamoDBEventRecord
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("decode stream record: %w", err)
		}
		batch = append(batch, ev)
	}
	if len(batch) > 0 {
		if err := p.handle(ctx, s, batch); err != nil {
			return err
		}
	}
	s.after = aws.ToString(recs[len(recs)-1].Dynamodb.SequenceNumber)
	return nil
}

// handle invokes the function with batch until it succeeds, retrying from
// the first failed record, then gives up on what is left after
// MaximumRetryAttempts retries.
func (p *StreamPoller) handle(ctx context.Context, s *shardState, batch []events.DynamoDBEventRecord) error {
	retries := 0
	pending := [][]events.DynamoDBEventRecord{batch}
	for len(pending) > 0 {
		b := pending[0]
		from, funcErr := p.invoke(ctx, b)
		if from == len(b) {
			pending = pending[1:]
			continue
		}
		if funcErr != nil {
			p.log().WarnContext(ctx, "stream batch failed", slog.String("error", funcErr.Error()), slog.Int("records", len(b)))
		}
		if p.Event.MaximumRetryAttempts != samtemplate.UnlimitedRetries && retries >= p.Event.MaximumRetryAttempts {
			if err := p.giveUp(ctx, s, b[from:], retries+1, funcErr); err != nil {
				return err
			}
			pending = pending[1:]
			continue
		}
		retries++
		rest := b[from:]
		if funcErr != nil && p.Event.BisectBatchOnFunctionError && len(rest) > 1 {
			half := len(rest) / 2
			pending = append([][]events.DynamoDBEventRecord{rest[:half], rest[half:]}, pending[1:]...)
		} else {
			pending[0] = rest
		}
		delay := p.RetryDelay
		if delay <= 0 {
			delay = 100 * time.Millisecond
		}
		sleep(ctx, delay)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// invoke calls the handler across a JSON boundary and returns the index of
// the first record to retry (len(batch) when all succeeded) and the
// function's error, if any.
func (p *StreamPoller) invoke(ctx context.Context, batch []events.DynamoDBEventRecord) (from int, funcErr error) {
	p.mu.Lock()
	p.invocations++
	p.mu.Unlock()
	var in events.DynamoDBEvent
	if err := jsonRoundTrip(events.DynamoDBEvent{Records: batch}, &in); err != nil {
		return 0, fmt.Errorf("encode event: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			from, funcErr = 0, fmt.Errorf("handler panicked: %v", r)
		}
	}()
	resp, err := p.Handler(ctx, in)
	if err != nil {
		return 0, err
	}
	if len(resp.BatchItemFailures) == 0 {
		return len(batch), nil
	}
	if !p.Event.ReportBatchItemFailures {
		return 0, errors.New("partial batch failure reported without ReportBatchItemFailures")
	}
	from = len(batch)
	for _, f := range resp.BatchItemFailures {
		i := slices.IndexFunc(batch, func(r events.DynamoDBEventRecord) bool { return r.Change.SequenceNumber == f.ItemIdentifier })
		if i < 0 {
			// Lambda retries the whole batch for an identifier that is not
			// one of its records.
			return 0, fmt.Errorf("batch item failure %q is not a record of the batch", f.ItemIdentifier)
		}
		from = min(from, i)
	}
	return from, nil
}

// onFailure is the record Lambda sends to a stream event source's
// on-failure destination.
type onFailure struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError,omitempty"`
	} `json:"responseContext"`
	Version   string    `json:"version"`
	Timestamp time.Time `json:"timestamp"`
	Batch     struct {
		ShardID                         string    `json:"shardId"`
		StartSequenceNumber             string    `json:"startSequenceNumber"`
		EndSequenceNumber               string    `json:"endSequenceNumber"`
		ApproximateArrivalOfFirstRecord time.Time `json:"approximateArrivalOfFirstRecord"`
		ApproximateArrivalOfLastRecord  time.Time `json:"approximateArrivalOfLastRecord"`
		BatchSize                       int       `json:"batchSize"`
		StreamArn                       string    `json:"streamArn"`
	} `json:"DDBStreamBatchInfo"`
}

// giveUp sends the description of the records left to the on-failure
// queue; the shard goes on after them.
func (p *StreamPoller) giveUp(ctx context.Context, s *shardState, left []events.DynamoDBEventRecord, invokes int, funcErr error) error {
	var f onFailure
	f.RequestContext.RequestID = newRequestID()
	f.RequestContext.FunctionArn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", localaws.Region, localaws.AccountID, p.Function)
	f.RequestContext.Condition = "RetryAttemptsExhausted"
	f.RequestContext.ApproximateInvokeCount = invokes
	f.ResponseContext.StatusCode = 200
	f.ResponseContext.ExecutedVersion = "$LATEST"
	if funcErr != nil {
		f.ResponseContext.FunctionError = "Unhandled"
	}
	f.Version = "1.0"
	f.Timestamp = time.Now().UTC()
	f.Batch.ShardID = s.id
	f.Batch.StartSequenceNumber = left[0].Change.SequenceNumber
	f.Batch.EndSequenceNumber = left[len(left)-1].Change.SequenceNumber
	f.Batch.ApproximateArrivalOfFirstRecord = left[0].Change.ApproximateCreationDateTime.UTC()
	f.Batch.ApproximateArrivalOfLastRecord = left[len(left)-1].Change.ApproximateCreationDateTime.UTC()
	f.Batch.BatchSize = len(left)
	f.Batch.StreamArn = p.StreamARN
	body, err := json.Marshal(f)
	if err != nil {
		return err
	}
	p.log().ErrorContext(ctx, "stream records given up after every retry; described in the on-failure queue",
		slog.String("shard", s.id), slog.String("first", f.Batch.StartSequenceNumber), slog.String("last", f.Batch.EndSequenceNumber))
	if p.SQS == nil || p.OnFailureURL == "" {
		return nil
	}
	if _, err := p.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.OnFailureURL), MessageBody: aws.String(string(body))}); err != nil {
		return fmt.Errorf("send to the on-failure queue: %w", err)
	}
	return nil
}

// lambdaRecord renders a stream record as Lambda hands it to a function.
func lambdaRecord(r streamtypes.Record, streamARN string) ([]byte, error) {
	d := r.Dynamodb
	if d == nil {
		return nil, errors.New("stream record without its dynamodb part")
	}
	change := map[string]any{
		"Keys":           images(d.Keys),
		"SequenceNumber": aws.ToString(d.SequenceNumber),
		"SizeBytes":      aws.ToInt64(d.SizeBytes),
		"StreamViewType": string(d.StreamViewType),
	}
	if d.ApproximateCreationDateTime != nil {
		change["ApproximateCreationDateTime"] = d.ApproximateCreationDateTime.Unix()
	}
	if d.NewImage != nil {
		change["NewImage"] = images(d.NewImage)
	}
	if d.OldImage != nil {
		change["OldImage"] = images(d.OldImage)
	}
	rec := map[string]any{
		"eventID":        aws.ToString(r.EventID),
		"eventName":      string(r.EventName),
		"eventVersion":   "1.1",
		"eventSource":    "aws:dynamodb",
		"awsRegion":      localaws.Region,
		"dynamodb":       change,
		"eventSourceARN": streamARN,
	}
	if u := r.UserIdentity; u != nil {
		rec["userIdentity"] = map[string]any{"type": aws.ToString(u.Type), "principalId": aws.ToString(u.PrincipalId)}
	}
	return json.Marshal(rec)
}

func images(m map[string]streamtypes.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = attributeJSON(v)
	}
	return out
}

// attributeJSON is an attribute value in DynamoDB's JSON form.
func attributeJSON(v streamtypes.AttributeValue) any {
	switch v := v.(type) {
	case *streamtypes.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *streamtypes.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *streamtypes.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}
	case *streamtypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *streamtypes.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *streamtypes.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *streamtypes.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *streamtypes.AttributeValueMemberBS:
		bs := make([]string, len(v.Value))
		for i, b := range v.Value {
			bs[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": bs}
	case *streamtypes.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, x := range v.Value {
			l[i] = attributeJSON(x)
		}
		return map[string]any{"L": l}
	case *streamtypes.AttributeValueMemberM:
		return map[string]any{"M": images(v.Value)}
	}
	return map[string]any{"NULL": true}
}
