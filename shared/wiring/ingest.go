package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/queue"
)

// readsBucket names the functions that read or write the ERP bucket: only
// they need ERP_BUCKET and build an S3 client in their init (order-export
// writes the orders' files in it).
var readsBucket = map[string]bool{"erp-ingest": true, "order-export": true}

// newS3 builds the S3 client of a function that reads the ERP bucket.
func newS3(cfg aws.Config, getenv func(string) string, pathStyle bool) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = endpointURL(getenv, "AWS_ENDPOINT_URL_S3")
		o.UsePathStyle = pathStyle
	})
}

// ERPIngest builds the function fed by the ERP bucket's object-created
// notifications. Each file dropped under a merchant's inbox/ becomes an
// import job; a notification that names another bucket or no merchant is
// logged and acknowledged, one that names a merchant but a bad key or an
// object that is not (or no longer) in the bucket becomes a failed import
// job. A message that is not an S3 notification, and one that fails
// because the table or the bucket cannot be reached, is reported as a batch
// item failure: SQS retries it and, after maxReceiveCount, dead-letters it.
func ERPIngest(d Deps) QueueHandler {
	jobs := &dynamo.ImportJobs{Table: d.table()}
	in := &erp.Ingest{Bucket: d.Env.ERPBucket, Jobs: jobs, Merchants: jobs, Objects: bucket{d.S3}}
	return queue.Worker{Logger: d.Logger, Process: func(ctx context.Context, msg events.SQSMessage) error {
		return ingest(ctx, in, d.Logger, msg)
	}}.Handle
}

// ingest handles the object-created events of one message and logs what
// became of each.
func ingest(ctx context.Context, in *erp.Ingest, log *slog.Logger, msg events.SQSMessage) error {
	evs, err := queue.ObjectsCreated(msg)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		out, err := in.Handle(ctx, ev)
		if err != nil {
			return err
		}
		attrs := []any{slog.String("key", erp.Truncate(ev.Key, 200)), slog.String("etag", erp.Truncate(ev.ETag, erp.MaxETagBytes))}
		if out.Job.Merchant != "" {
			logging.SetMerchant(ctx, string(out.Job.Merchant))
			attrs = append(attrs, slog.String("job", out.Job.ID), slog.Bool("new", out.Created))
		}
		switch {
		case out.Ignored:
			log.DebugContext(ctx, "folder marker or outbox file ignored", attrs...)
		case out.Reason != "" && out.Job.Merchant == "":
			log.WarnContext(ctx, "ERP notification refused and acknowledged: it names no merchant's data",
				append(attrs, slog.String("bucket", erp.Truncate(ev.Bucket, 80)),
					slog.String("reason", string(out.Reason)), slog.String("detail", out.Detail))...)
		case out.Reason != "":
			log.WarnContext(ctx, "ERP notification refused: recorded as a failed import job",
				append(attrs, slog.String("reason", string(out.Reason)), slog.String("detail", out.Detail))...)
		default:
			log.InfoContext(ctx, "import job recorded", attrs...)
		}
	}
	return nil
}

// bucket reads objects' metadata with HeadObject.
type bucket struct{ client *s3.Client }

var _ erp.Objects = bucket{}

// Head returns the current version's size and ETag; a key the bucket does
// not hold (or whose current version is a delete marker) is erp.ErrNoObject.
func (b bucket) Head(ctx context.Context, name, key string) (erp.ObjectInfo, error) {
	if b.client == nil {
		return erp.ObjectInfo{}, errors.New("no S3 client")
	}
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(name), Key: aws.String(key)})
	var notFound *s3types.NotFound
	var noKey *s3types.NoSuchKey
	var resp *awshttp.ResponseError
	switch {
	case errors.As(err, &notFound), errors.As(err, &noKey),
		errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusNotFound:
		return erp.ObjectInfo{}, fmt.Errorf("head %s: %w", erp.Truncate(key, 80), erp.ErrNoObject)
	case err != nil:
		return erp.ObjectInfo{}, fmt.Errorf("head %s: %w", erp.Truncate(key, 80), err)
	}
	return erp.ObjectInfo{Size: aws.ToInt64(out.ContentLength), ETag: strings.Trim(aws.ToString(out.ETag), `"`)}, nil
}
