package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/devstack/localaws"
)

// BucketWatcher stands in for S3 event notifications, which the local S3
// does not send: it lists the bucket periodically and, for every new object
// or new version (changed ETag), sends the notification target queue the
// s3:ObjectCreated:Put event S3 would send.
type BucketWatcher struct {
	S3     *s3.Client
	SQS    *sqs.Client
	Bucket string
	// QueueURL is the notification target queue.
	QueueURL string
	// Interval between listings; 500ms when zero.
	Interval time.Duration
	Logger   *slog.Logger
	// Now is the event time clock; time.Now when nil.
	Now func() time.Time

	mu     sync.Mutex
	seen   map[string]string // key -> ETag
	primed bool
	seq    uint64
}

// Prime records the objects already in the bucket, which are not notified:
// S3 notifies events, not contents. Run primes itself if Prime was not
// called; call it before anything is put to be sure the put is notified.
func (w *BucketWatcher) Prime(ctx context.Context) error {
	objs, err := w.list(ctx)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = map[string]string{}
	for _, o := range objs {
		w.seen[o.key] = o.etag
	}
	w.primed = true
	return nil
}

// Run watches the bucket until ctx is cancelled, then returns nil.
func (w *BucketWatcher) Run(ctx context.Context) error {
	w.mu.Lock()
	primed := w.primed
	w.mu.Unlock()
	if !primed {
		if err := w.Prime(ctx); err != nil && ctx.Err() == nil {
			w.log().WarnContext(ctx, "bucket watcher: first listing failed", slog.String("error", err.Error()))
		}
	}
	interval := w.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		n, err := w.ScanOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.log().WarnContext(ctx, "bucket watcher: scan failed", slog.String("bucket", w.Bucket), slog.String("error", err.Error()))
			continue
		}
		if n > 0 {
			w.log().InfoContext(ctx, "bucket watcher: notified", slog.String("bucket", w.Bucket), slog.Int("objects", n))
		}
	}
}

// ScanOnce lists the bucket and notifies the new objects and versions. It
// returns how many notifications it sent.
func (w *BucketWatcher) ScanOnce(ctx context.Context) (int, error) {
	objs, err := w.list(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, o := range objs {
		w.mu.Lock()
		if w.seen == nil {
			w.seen = map[string]string{}
		}
		known := w.seen[o.key] == o.etag
		w.mu.Unlock()
		if known {
			continue
		}
		body, err := w.notification(o)
		if err != nil {
			return sent, err
		}
		if _, err := w.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(w.QueueURL), MessageBody: aws.String(body)}); err != nil {
			return sent, fmt.Errorf("notify %s: %w", o.key, err)
		}
		w.mu.Lock()
		w.seen[o.key] = o.etag
		w.mu.Unlock()
		sent++
	}
	return sent, nil
}

type object struct {
	key  string
	etag string
	size int64
}

func (w *BucketWatcher) list(ctx context.Context) ([]object, error) {
	var objs []object
	p := s3.NewListObjectsV2Paginator(w.S3, &s3.ListObjectsV2Input{Bucket: aws.String(w.Bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list bucket %s: %w", w.Bucket, err)
		}
		for _, o := range page.Contents {
			objs = append(objs, object{key: aws.ToString(o.Key), etag: strings.Trim(aws.ToString(o.ETag), `"`), size: aws.ToInt64(o.Size)})
		}
	}
	return objs, nil
}

// notification renders the message body S3 sends to a queue for an object
// created with PUT.
func (w *BucketWatcher) notification(o object) (string, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	t := now().UTC()
	w.mu.Lock()
	w.seq++
	seq := uint64(t.UnixNano())<<4 | w.seq&0xf
	w.mu.Unlock()
	ev := events.S3Event{Records: []events.S3EventRecord{{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         localaws.Region,
		EventTime:         t.Truncate(time.Millisecond),
		EventName:         "ObjectCreated:Put",
		PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:LOCAL"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: "127.0.0.1"},
		ResponseElements: map[string]string{
			"x-amz-request-id": newRequestID(),
			"x-amz-id-2":       newRequestID(),
		},
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: "local-erp-notifications",
			Bucket: events.S3Bucket{
				Name: w.Bucket, Arn: "arn:aws:s3:::" + w.Bucket,
				OwnerIdentity: events.S3UserIdentity{PrincipalID: "LOCAL"},
			},
			Object: events.S3Object{
				Key:       encodeKey(o.key),
				Size:      o.size,
				ETag:      o.etag,
				Sequencer: fmt.Sprintf("%018X", seq),
			},
		},
	}}}
	b, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("encode S3 event: %w", err)
	}
	// S3 does not send urlDecodedKey: aws-lambda-go derives it on decode.
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		return "", fmt.Errorf("encode S3 event: %w", err)
	}
	for _, r := range generic["Records"].([]any) {
		obj := r.(map[string]any)["s3"].(map[string]any)["object"].(map[string]any)
		delete(obj, "urlDecodedKey")
		if obj["versionId"] == "" {
			delete(obj, "versionId")
		}
	}
	b, err = json.Marshal(generic)
	if err != nil {
		return "", fmt.Errorf("encode S3 event: %w", err)
	}
	return string(b), nil
}

// encodeKey encodes an object key as S3 notifications do: form encoding,
// so a space becomes "+", with "/" kept.
func encodeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}

func (w *BucketWatcher) log() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}
