// Package erp is the ERP connector: files the ERP (typically Sage 100) drops
// into the ERP bucket become import jobs, and placed orders flow back as files.
package erp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/merchant"
)

// ImportJob is one ERP file received in the bucket.
type ImportJob struct {
	Merchant merchant.ID `json:"merchant"`
	Bucket   string      `json:"bucket"`
	Key      string      `json:"key"`
	File     string      `json:"file"`
	Size     int64       `json:"size"`
	ETag     string      `json:"etag"`
	// Sequencer orders the events of one key: a later upload has a greater
	// sequencer, so older data never overwrites newer.
	Sequencer  string    `json:"sequencer"`
	ReceivedAt time.Time `json:"receivedAt"`
	Status     string    `json:"status"`
}

// JobStore records import jobs.
type JobStore interface {
	// Record stores the job unless the same object version was recorded
	// before; created says whether it was new.
	Record(ctx context.Context, job ImportJob) (created bool, err error)
}

// ErrBadKey is returned for an object key outside "<merchant>/inbox/<file>".
var ErrBadKey = errors.New("object key is not <merchant>/inbox/<file>")

// ParseKey splits an object key of the ERP bucket into its merchant and file
// name. Keys arrive URL-encoded in S3 notifications.
func ParseKey(raw string) (merchant.ID, string, error) {
	key, err := url.QueryUnescape(raw)
	if err != nil {
		return "", "", fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	parts := strings.SplitN(key, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] != "inbox" || parts[2] == "" || strings.ContainsAny(parts[0], "# ") {
		return "", "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return merchant.ID(parts[0]), parts[2], nil
}

// Ingest turns S3 object-created notifications, delivered through SQS, into
// import jobs.
type Ingest struct {
	Jobs JobStore
	Now  func() time.Time
}

// Process handles one SQS message holding an S3 event notification. A
// message for a key outside any merchant's inbox is an error, so it ends in
// the dead-letter queue where an operator sees it.
func (in *Ingest) Process(ctx context.Context, msg events.SQSMessage) error {
	var probe struct {
		Event string `json:"Event"`
	}
	if err := json.Unmarshal([]byte(msg.Body), &probe); err != nil {
		return fmt.Errorf("message is not JSON: %w", err)
	}
	if probe.Event == "s3:TestEvent" { // sent once when the notification is configured
		return nil
	}
	var ev events.S3Event
	if err := json.Unmarshal([]byte(msg.Body), &ev); err != nil {
		return fmt.Errorf("message is not an S3 event: %w", err)
	}
	if len(ev.Records) == 0 {
		return errors.New("S3 event without records")
	}
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	for _, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		m, file, err := ParseKey(r.S3.Object.Key)
		if err != nil {
			return err
		}
		job := ImportJob{
			Merchant: m, Bucket: r.S3.Bucket.Name, Key: r.S3.Object.URLDecodedKey, File: file,
			Size: r.S3.Object.Size, ETag: r.S3.Object.ETag, Sequencer: r.S3.Object.Sequencer,
			ReceivedAt: now().UTC(), Status: "received",
		}
		if job.Key == "" {
			job.Key, _ = url.QueryUnescape(r.S3.Object.Key)
		}
		if _, err := in.Jobs.Record(ctx, job); err != nil {
			return fmt.Errorf("record import of %s: %w", job.Key, err)
		}
	}
	return nil
}
