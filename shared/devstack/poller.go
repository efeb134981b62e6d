package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/wiring"
)

// Poller plays an SQS event source mapping: it long-polls the queue, hands
// each batch to the function as an events.SQSEvent, and deletes the
// messages the function processed. Failed messages are left to reappear
// after the visibility timeout, and the queue's redrive policy moves them to
// the dead-letter queue after maxReceiveCount receives (fauxqs applies it,
// as SQS does).
type Poller struct {
	Client *sqs.Client
	Queue  Queue
	// Function names the function in logs.
	Function string
	Handler  wiring.QueueHandler
	// BatchSize is capped at 10, the most one ReceiveMessage returns.
	BatchSize int
	// ReportBatchItemFailures honours the function's partial batch
	// response; without it any failure retries the whole batch, as in
	// Lambda.
	ReportBatchItemFailures bool
	// Wait is the long-poll time; one second when zero.
	Wait   time.Duration
	Logger *slog.Logger
}

// Run polls until ctx is cancelled, then returns nil.
func (p *Poller) Run(ctx context.Context) error {
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With(slog.String("function", p.Function), slog.String("queue", p.Queue.Name))
	failures := 0
	for ctx.Err() == nil {
		n, err := p.PollOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			logger.WarnContext(ctx, "poll failed", slog.String("error", err.Error()))
			sleep(ctx, min(time.Duration(failures)*200*time.Millisecond, 5*time.Second))
			continue
		}
		failures = 0
		if n > 0 {
			logger.DebugContext(ctx, "batch handled", slog.Int("messages", n))
		}
	}
	return nil
}

// PollOnce receives one batch, invokes the handler and deletes what
// succeeded. It returns the number of messages received.
func (p *Poller) PollOnce(ctx context.Context) (int, error) {
	batch := int32(min(max(p.BatchSize, 1), 10))
	wait := p.Wait
	if wait <= 0 {
		wait = time.Second
	}
	out, err := p.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(p.Queue.URL),
		MaxNumberOfMessages:         batch,
		WaitTimeSeconds:             int32(max(int64(wait/time.Second), 1)),
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return 0, fmt.Errorf("receive from %s: %w", p.Queue.Name, err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	ev := p.event(out.Messages)
	failed, err := p.invoke(ctx, ev)
	if err != nil {
		// The whole batch is retried after the visibility timeout.
		p.log().WarnContext(ctx, "function failed; the batch will be retried",
			slog.String("function", p.Function), slog.String("error", err.Error()))
		return len(out.Messages), nil
	}
	var entries []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range out.Messages {
		if failed[aws.ToString(m.MessageId)] {
			continue
		}
		entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
	}
	if len(entries) == 0 {
		return len(out.Messages), nil
	}
	del, err := p.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.Queue.URL), Entries: entries})
	if err != nil {
		return len(out.Messages), fmt.Errorf("delete from %s: %w", p.Queue.Name, err)
	}
	if len(del.Failed) > 0 {
		return len(out.Messages), fmt.Errorf("delete from %s: %d messages not deleted (%s)", p.Queue.Name, len(del.Failed), aws.ToString(del.Failed[0].Message))
	}
	return len(out.Messages), nil
}

func (p *Poller) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// invoke calls the handler across a JSON boundary and returns the ids of
// the messages to keep.
func (p *Poller) invoke(ctx context.Context, ev events.SQSEvent) (failed map[string]bool, err error) {
	var in events.SQSEvent
	if err := jsonRoundTrip(ev, &in); err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	resp, err := p.Handler(ctx, in)
	if err != nil {
		return nil, err
	}
	if len(resp.BatchItemFailures) == 0 {
		return nil, nil
	}
	if !p.ReportBatchItemFailures {
		return nil, errors.New("partial batch failure reported without ReportBatchItemFailures")
	}
	known := map[string]bool{}
	for _, r := range ev.Records {
		known[r.MessageId] = true
	}
	failed = map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if !known[f.ItemIdentifier] {
			// Lambda treats an unknown or empty identifier as a failure of
			// the whole batch.
			return nil, fmt.Errorf("batch item failure %q is not a message of the batch", f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}

// event builds the SQS event Lambda's event source mapping sends.
func (p *Poller) event(msgs []sqstypes.Message) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		rec := events.SQSMessage{
			MessageId:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Md5OfBody:              aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             m.Attributes,
			EventSourceARN:         p.Queue.ARN,
			EventSource:            "aws:sqs",
			AWSRegion:              localaws.Region,
		}
		if rec.Attributes == nil {
			rec.Attributes = map[string]string{}
		}
		if len(m.MessageAttributes) > 0 {
			rec.MessageAttributes = make(map[string]events.SQSMessageAttribute, len(m.MessageAttributes))
			for k, a := range m.MessageAttributes {
				rec.MessageAttributes[k] = events.SQSMessageAttribute{
					StringValue: a.StringValue, BinaryValue: a.BinaryValue,
					StringListValues: a.StringListValues, BinaryListValues: a.BinaryListValues,
					DataType: aws.ToString(a.DataType),
				}
			}
		}
		ev.Records = append(ev.Records, rec)
	}
	return ev
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
