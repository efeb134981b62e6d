package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/queue"
	"github.com/comptoir/comptoir/shared/testenv"
)

// newQueue creates a queue on the local SQS, deleted when the test ends.
func newQueue(t *testing.T, c *sqs.Client) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(testenv.UniqueName("send"))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
	return aws.ToString(out.QueueUrl)
}

func TestSender_SendJSON_TheMessageArrivesOnTheQueue(t *testing.T) {
	t.Parallel()
	c := testenv.SQS(t)
	url := newQueue(t, c)
	s := &queue.Sender{Client: c, URL: url}
	type request struct {
		Type     string `json:"type"`
		Merchant string `json:"merchant"`
		ID       string `json:"id"`
	}
	sent := request{Type: "ledger.recompute", Merchant: "hydro", ID: "r-1"}
	id, err := s.SendJSON(context.Background(), sent)
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatal("no message id")
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var got request
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &got); err != nil {
				t.Fatalf("body %q: %v", aws.ToString(m.Body), err)
			}
			if got != sent || aws.ToString(m.MessageId) != id {
				t.Fatalf("received %+v (id %s), sent %+v (id %s)", got, aws.ToString(m.MessageId), sent, id)
			}
			return
		}
	}
	t.Fatal("the message never arrived")
}

func TestSender_SendJSON_Refusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := (&queue.Sender{}).SendJSON(ctx, 1); !errors.Is(err, queue.ErrNoQueue) {
		t.Errorf("no client: %v, want ErrNoQueue", err)
	}
	var nilSender *queue.Sender
	if _, err := nilSender.SendJSON(ctx, 1); !errors.Is(err, queue.ErrNoQueue) {
		t.Errorf("nil sender: %v, want ErrNoQueue", err)
	}
	s := &queue.Sender{Client: sqs.New(sqs.Options{Region: "eu-west-3"}), URL: "http://127.0.0.1:1/q"}
	if _, err := s.SendJSON(ctx, strings.Repeat("x", queue.MaxMessage)); err == nil || !strings.Contains(err.Error(), "over") {
		t.Errorf("oversized message: %v", err)
	}
	if _, err := s.SendJSON(ctx, func() {}); err == nil || !strings.Contains(err.Error(), "encode") {
		t.Errorf("unencodable message: %v", err)
	}
}
