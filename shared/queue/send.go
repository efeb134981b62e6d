package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// MaxMessage is the largest message body SQS takes: 256 KiB.
const MaxMessage = 256 << 10

// ErrNoQueue is a Sender without a client or a queue URL: the function was
// deployed without the queue's environment variable.
var ErrNoQueue = errors.New("no queue configured")

// Sender sends JSON messages to one SQS queue.
type Sender struct {
	Client *sqs.Client
	// URL is the queue's URL, as its *_QUEUE_URL environment variable
	// gives it.
	URL string
}

// SendJSON sends v, encoded as JSON, as one message, and returns the id SQS
// gave it. A body over MaxMessage is refused before any call.
func (s *Sender) SendJSON(ctx context.Context, v any) (messageID string, err error) {
	if s == nil || s.Client == nil || s.URL == "" {
		return "", ErrNoQueue
	}
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode message: %w", err)
	}
	if len(body) > MaxMessage {
		return "", fmt.Errorf("message of %d bytes is over the %d bytes SQS takes", len(body), MaxMessage)
	}
	out, err := s.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.URL), MessageBody: aws.String(string(body))})
	if err != nil {
		return "", fmt.Errorf("send to %s: %w", s.URL, err)
	}
	return aws.ToString(out.MessageId), nil
}
