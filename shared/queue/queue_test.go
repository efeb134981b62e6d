package queue

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/erp"
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

func TestObjectsCreated(t *testing.T) {
	created := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",
	  "s3":{"bucket":{"name":"erp"},"object":{"key":"hydro/inbox/F+ARTICLE%C3%A9.csv","size":42,"eTag":"abc","versionId":"v1","sequencer":"01"}}}]}`
	cases := []struct {
		name   string
		body   string
		want   []erp.ObjectCreated
		poison bool
	}{
		{"object created, key form-decoded", created, []erp.ObjectCreated{{
			Bucket: "erp", Key: "hydro/inbox/F ARTICLEé.csv", Size: 42, ETag: "abc", VersionID: "v1", Sequencer: "01",
		}}, false},
		{"test event", `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"erp"}`, nil, false},
		{"removal skipped", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"a"}}}]}`, nil, false},
		{"not JSON", "nope", nil, true},
		{"more records than S3 sends", `{"Records":[` + strings.Repeat(`{"eventSource":"aws:s3","eventName":"ObjectCreated:Put"},`, MaxS3Records) + `{}]}`, nil, true},
		{"JSON array", `[1]`, nil, true},
		{"no records", `{"hello":"world"}`, nil, true},
		{"record of another source", `{"Records":[{"eventSource":"aws:sqs","eventName":"x"}]}`, nil, true},
		{"record without a name", `{"Records":[{"eventSource":"aws:s3"}]}`, nil, true},
		{"size not a number", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"a","size":"big"}}}]}`, nil, true},
		{"bad key escape", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"a%zz"}}}]}`, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ObjectsCreated(events.SQSMessage{Body: c.body})
			if c.poison != errors.Is(err, ErrPoison) {
				t.Fatalf("err = %v, poison %v", err, c.poison)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
