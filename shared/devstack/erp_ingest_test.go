package devstack_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/wiring"
)

// TestStack_ERPIngest_BadEventsAreFailedJobsAndPoisonIsDeadLettered runs
// the deployed erp-ingest handler behind the template's queue (its redrive
// policy and maxReceiveCount) and the bucket's notifications: a file
// dropped in a merchant's inbox becomes a received job, a forged event with
// an over-long key becomes a failed job at the first delivery, an event of
// an unknown merchant is acknowledged, and a message that is not an S3
// event reaches the dead-letter queue after maxReceiveCount deliveries.
func TestStack_ERPIngest_BadEventsAreFailedJobsAndPoisonIsDeadLettered(t *testing.T) {
	t.Parallel()
	var deployed atomic.Pointer[wiring.QueueHandler]
	var mu sync.Mutex
	deliveries := map[string]int{} // by message body
	st := startStack(t, func(c *devstack.Config) {
		c.QueueHandlers = map[string]wiring.QueueHandler{"erp-ingest": func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			h := deployed.Load()
			if h == nil {
				return events.SQSEventResponse{}, context.Canceled // not built yet: the batch is retried
			}
			mu.Lock()
			for _, m := range ev.Records {
				deliveries[m.Body]++
			}
			mu.Unlock()
			return (*h)(ctx, ev)
		}}
	})
	ctx := context.Background()
	h, err := st.Functions.Queue(ctx, "erp-ingest")
	if err != nil {
		t.Fatal(err)
	}
	deployed.Store(&h)
	acc := &dynamo.Accounts{Table: st.Table()}
	if err := acc.Save(ctx, acc.NewBatch("hydro").Merchant(dynamo.Merchant{ID: "hydro", Name: "Hydro"})); err != nil {
		t.Fatal(err)
	}
	q := st.Resources.Queues["ErpIngestQueue"]
	dlq := st.Resources.Queues[q.DLQ]
	bucket := st.Resources.BucketName
	jobs := &dynamo.ImportJobs{Table: st.Table()}

	// A file dropped in the bucket: S3's notification (played by the
	// bucket watcher) goes through the queue to the handler.
	if _, err := st.Clients.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("hydro/inbox/F_ARTICLE.csv"), Body: strings.NewReader("AR_Ref;AR_Design\nP-100;Pompe\n"),
	}); err != nil {
		t.Fatal(err)
	}
	// Forged notifications sent straight to the queue.
	overlong := s3Event(bucket, "hydro/inbox/"+strings.Repeat("x", 3000)+".csv")
	unknown := s3Event(bucket, "ghost/inbox/F_ARTICLE.csv")
	foreign := s3Event("someone-else", "hydro/inbox/F_ARTICLE.csv")
	for _, body := range []string{overlong, unknown, foreign} {
		send(t, st, q, body)
	}

	got := testenv.WaitFor(t, 30*time.Second, func() ([]erp.ImportJob, bool) {
		js, err := jobs.Jobs(ctx, "hydro")
		if err != nil {
			t.Fatal(err)
		}
		return js, len(js) >= 2
	})
	statuses := map[string]erp.Reason{}
	for _, j := range got {
		statuses[j.Status] = j.Reason
	}
	if len(got) != 2 || statuses[erp.StatusReceived] != "" || statuses[erp.StatusFailed] != erp.ReasonBadKey {
		t.Fatalf("jobs %+v, want one received and one failed with bad-key", got)
	}
	testenv.WaitFor(t, 30*time.Second, func() (struct{}, bool) { return struct{}{}, queueEmpty(t, st, q) })
	mu.Lock()
	for name, body := range map[string]string{"over-long key": overlong, "unknown merchant": unknown, "foreign bucket": foreign} {
		if deliveries[body] != 1 {
			t.Errorf("%s: delivered %d times, want once (acknowledged, never retried)", name, deliveries[body])
		}
	}
	mu.Unlock()

	// Poison: retried, then dead-lettered after maxReceiveCount deliveries.
	send(t, st, q, "nope")
	dead := testenv.WaitFor(t, 60*time.Second, func() ([]sqstypes.Message, bool) {
		out, err := st.Clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.URL), WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages, len(out.Messages) > 0
	})
	if len(dead) != 1 || aws.ToString(dead[0].Body) != "nope" {
		t.Fatalf("dead-letter queue holds %+v, want the poison message only", dead)
	}
	mu.Lock()
	defer mu.Unlock()
	if deliveries["nope"] != q.MaxReceiveCount {
		t.Errorf("poison delivered %d times, want maxReceiveCount %d", deliveries["nope"], q.MaxReceiveCount)
	}
	if js, _ := jobs.Jobs(ctx, merchant.ID("ghost")); len(js) != 0 {
		t.Errorf("jobs under an unknown merchant: %+v", js)
	}
}

// s3Event is the body of an S3 object-created notification for key.
func s3Event(bucket, key string) string {
	b, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", EventName: "ObjectCreated:Put",
		S3: events.S3Entity{Bucket: events.S3Bucket{Name: bucket}, Object: events.S3Object{Key: key, Size: 7, ETag: "d41d8cd98f00b204e9800998ecf8427e", Sequencer: "01"}},
	}}})
	return string(b)
}

func send(t *testing.T, st *running, q devstack.Queue, body string) {
	t.Helper()
	if _, err := st.Clients.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
}

// queueEmpty reports whether q holds no message, visible or in flight.
func queueEmpty(t *testing.T, st *running, q devstack.Queue) bool {
	t.Helper()
	out, err := st.Clients.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.URL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["ApproximateNumberOfMessages"] == "0" && out.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
}
