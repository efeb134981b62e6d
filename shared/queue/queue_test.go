package queue

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestWorker_ReportsOnlyFailedMessages(t *testing.T) {
	w := Worker{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Process: func(_ context.Context, m events.SQSMessage) error {
			if m.Body == "bad" {
				return errors.New("boom")
			}
			return nil
		},
	}
	resp, err := w.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "1", Body: "ok"}, {MessageId: "2", Body: "bad"}, {MessageId: "3", Body: "ok"}, {MessageId: "4", Body: "bad"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if len(ids) != 2 || ids[0] != "2" || ids[1] != "4" {
		t.Fatalf("failures = %v, want [2 4]", ids)
	}
}
