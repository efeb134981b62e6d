package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/erp"
)

// ErrPoison marks a message no retry can process (not JSON, not the
// expected event). Returning it still fails the message: SQS redelivers it
// until maxReceiveCount, then moves it to the dead-letter queue, where an
// operator sees it.
var ErrPoison = errors.New("poison message")

// MaxS3Records bounds the records of one S3 event notification. S3 sends
// one record per message; a message with more was not sent by S3, and
// would make one delivery do unbounded work.
const MaxS3Records = 10

// ObjectsCreated decodes the S3 event notification an SQS message carries
// into the object-created events of package erp, keys URL-decoded. S3's
// test event, sent once when a notification is configured, gives none;
// records of other event types (removals, restores) are skipped. A body
// that is not an S3 event notification, or holds more than MaxS3Records
// records, is an error wrapping ErrPoison.
func ObjectsCreated(msg events.SQSMessage) ([]erp.ObjectCreated, error) {
	var probe struct {
		Event   string            `json:"Event"`
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal([]byte(msg.Body), &probe); err != nil {
		return nil, fmt.Errorf("%w: body is not a JSON object: %v", ErrPoison, err)
	}
	if probe.Event == "s3:TestEvent" {
		return nil, nil
	}
	if len(probe.Records) == 0 {
		return nil, fmt.Errorf("%w: not an S3 event notification (no Records)", ErrPoison)
	}
	if len(probe.Records) > MaxS3Records {
		return nil, fmt.Errorf("%w: %d records, more than %d", ErrPoison, len(probe.Records), MaxS3Records)
	}
	var ev events.S3Event
	if err := json.Unmarshal([]byte(msg.Body), &ev); err != nil {
		return nil, fmt.Errorf("%w: not an S3 event notification: %v", ErrPoison, err)
	}
	var out []erp.ObjectCreated
	for i, r := range ev.Records {
		if r.EventSource != "aws:s3" || r.EventName == "" {
			return nil, fmt.Errorf("%w: record %d is not an S3 event (source %q, name %q)", ErrPoison, i,
				erp.Truncate(r.EventSource, 40), erp.Truncate(r.EventName, 40))
		}
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		o := r.S3.Object
		out = append(out, erp.ObjectCreated{
			Bucket: r.S3.Bucket.Name, Key: o.URLDecodedKey, Size: o.Size,
			ETag: o.ETag, VersionID: o.VersionID, Sequencer: o.Sequencer,
		})
	}
	return out, nil
}
