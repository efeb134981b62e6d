// Package queue runs SQS-triggered work: each message of a batch is processed
// on its own, and the ones that fail are reported back as batch item failures
// so that SQS retries only them and, after maxReceiveCount, moves them to the
// dead-letter queue. No message is ever dropped.
package queue

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/logging"
)

// Processor handles one message; an error sends the message back to the queue.
type Processor func(ctx context.Context, msg events.SQSMessage) error

// Worker processes batches with a Processor.
type Worker struct {
	Process Processor
	Logger  *slog.Logger
}

// Handle processes every message of the batch in order and returns the ids of
// those that failed. It never returns an error itself: a failed message is
// retried, the others are not.
func (w Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		mctx := logging.WithRequest(ctx, msg.MessageId)
		if err := w.Process(mctx, msg); err != nil {
			text := "message failed; it will be retried, then dead-lettered"
			if errors.Is(err, ErrPoison) {
				text = "poison message; it will be dead-lettered after maxReceiveCount receives"
			}
			w.Logger.ErrorContext(mctx, text,
				slog.String("error", err.Error()),
				slog.String("receive_count", msg.Attributes["ApproximateReceiveCount"]))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			continue
		}
		w.Logger.InfoContext(mctx, "message processed")
	}
	return resp, nil
}
