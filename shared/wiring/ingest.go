package wiring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/erpfile"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/queue"
)

// readsBucket names the functions that read or write the ERP bucket: only
// they need ERP_BUCKET and build an S3 client in their init (order-export
// writes the orders' files in it).
var readsBucket = map[string]bool{"erp-ingest": true, "order-export": true}

// readsBucketIfSet names the functions that read the ERP bucket when
// ERP_BUCKET is set, and serve without it otherwise: the admin function
// reads the import reports.
var readsBucketIfSet = map[string]bool{"admin": true}

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
// job. A received job's file is then streamed (erp.Importer): its valid
// rows go in chunks to the erp-sync queue (ERP_SYNC_QUEUE_URL), its
// rejected rows to the job's report in the bucket
// (<merchant>/reports/<job>.csv), and the job records what was found. A
// message that is not an S3 notification, and one that fails because the
// table, the bucket or the queue cannot be reached, is reported as a batch
// item failure: SQS retries it and, after maxReceiveCount, dead-letters it.
func ERPIngest(d Deps) QueueHandler {
	jobs := &dynamo.ImportJobs{Table: d.table()}
	in := &erp.Ingest{Bucket: d.Env.ERPBucket, Jobs: jobs, Merchants: jobs, Objects: bucket{d.S3}}
	sync := chunkSender{&queue.Sender{Client: d.SQS, URL: d.Env.QueueURLs["ERP_SYNC_QUEUE_URL"]}}
	im := &erp.Importer{
		Jobs: jobs, Files: bucket{d.S3}, Open: openERPFile,
		OpenMapped: openMappedERPFile, Settings: &dynamo.ERPSettings{Table: d.table()},
		Chunks: sync, Sweeps: sync,
	}
	return queue.Worker{Logger: d.Logger, Process: func(ctx context.Context, msg events.SQSMessage) error {
		return ingest(ctx, in, im, d.Logger, msg)
	}}.Handle
}

// openERPFile reads a file's header with erpfile: its kind and profile
// from its name (erpfile.Route), its format as detected.
func openERPFile(r io.Reader, name string, stamp time.Time) (erp.OpenedFile, error) {
	return openMappedERPFile(r, name, stamp, erp.Settings{})
}

// openMappedERPFile is openERPFile with the merchant's column mapping of
// the file's kind (its ERP settings) over the profile's names.
func openMappedERPFile(r io.Reader, name string, stamp time.Time, s erp.Settings) (erp.OpenedFile, error) {
	kind, profile, full, ok := erpfile.Route(path.Base(name))
	if !ok {
		return erp.OpenedFile{}, fmt.Errorf("%w: %q (see the file names of docs/erp-files.md)", erp.ErrUnknownFile, erp.Truncate(path.Base(name), 80))
	}
	rd, err := erpfile.NewReader(r, erpfile.Source{Name: name, Kind: kind, Profile: profile, Stamp: stamp, Mapping: s.Mapping(kind)})
	if errors.Is(err, erpfile.ErrBadHeader) {
		return erp.OpenedFile{}, fmt.Errorf("%w: %w", erp.ErrBadHeader, err)
	}
	if err != nil {
		return erp.OpenedFile{}, err
	}
	f := rd.Format()
	format := erp.FileFormat{Encoding: f.Encoding, DecimalComma: f.DecimalComma, JSONLines: f.JSONLines}
	if f.Separator != 0 {
		format.Separator = string(f.Separator)
	}
	return erp.OpenedFile{Rows: rd, Kind: rd.Kind(), Profile: string(profile), Full: full, Format: format}, nil
}

// chunkSender sends chunks to the erp-sync queue, one message each.
type chunkSender struct{ q *queue.Sender }

// SendChunk sends c as one message.
func (s chunkSender) SendChunk(ctx context.Context, c erp.Chunk) error {
	_, err := s.q.SendJSON(ctx, c)
	return err
}

// SendSweep sends a sweep request (erp.SweepMessage) as one message.
func (s chunkSender) SendSweep(ctx context.Context, r erp.SweepRequest) error {
	_, err := s.q.SendJSON(ctx, erp.SweepMessage{Sweep: &r})
	return err
}

// ingest handles the object-created events of one message, streams the
// files of the received jobs, and logs what became of each.
func ingest(ctx context.Context, in *erp.Ingest, im *erp.Importer, log *slog.Logger, msg events.SQSMessage) error {
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
		if out.Job.Status != erp.StatusReceived {
			continue
		}
		sum, done, err := im.Import(ctx, out.Job, out.Created)
		switch {
		case err != nil:
			return err
		case !done:
			log.DebugContext(ctx, "import job streamed before: nothing to do", attrs...)
		case sum.Reason != "":
			log.WarnContext(ctx, "ERP file cannot be imported: the import job failed",
				append(attrs, slog.String("reason", string(sum.Reason)), slog.String("detail", sum.Detail))...)
		default:
			log.InfoContext(ctx, "ERP file streamed", append(attrs, slog.String("kind", string(sum.Kind)),
				slog.Int("received", sum.Received), slog.Int("rejected", sum.Rejected), slog.Int("chunks", sum.Chunks))...)
		}
	}
	return nil
}

// bucket reads the ERP bucket's objects and writes the import reports.
type bucket struct{ client *s3.Client }

var (
	_ erp.Objects = bucket{}
	_ erp.Files   = bucket{}
)

// Open streams the object key as it is with etag (GetObject If-Match: the
// body is read as it comes, never whole); erp.ErrNoObject when the bucket
// no longer holds that version.
func (b bucket) Open(ctx context.Context, name, key, etag string) (io.ReadCloser, time.Time, error) {
	if b.client == nil {
		return nil, time.Time{}, errors.New("no S3 client")
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(name), Key: aws.String(key), IfMatch: aws.String(`"` + etag + `"`)})
	var noKey *s3types.NoSuchKey
	var resp *awshttp.ResponseError
	switch {
	case errors.As(err, &noKey), errors.As(err, &resp) && (resp.HTTPStatusCode() == http.StatusNotFound || resp.HTTPStatusCode() == http.StatusPreconditionFailed):
		return nil, time.Time{}, fmt.Errorf("get %s: %w", erp.Truncate(key, 80), erp.ErrNoObject)
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("get %s: %w", erp.Truncate(key, 80), err)
	}
	return out.Body, aws.ToTime(out.LastModified), nil
}

// PutReport writes an import report as text/csv.
func (b bucket) PutReport(ctx context.Context, name, key string, body []byte) error {
	if b.client == nil {
		return errors.New("no S3 client")
	}
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(name), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("text/csv; charset=utf-8"),
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", erp.Truncate(key, 80), err)
	}
	return nil
}

// report streams an import report from the bucket; erp.ErrNoObject when
// there is none.
func (b bucket) report(ctx context.Context, name, key string, w io.Writer) error {
	if b.client == nil {
		return errors.New("no S3 client: ERP_BUCKET is not set")
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(name), Key: aws.String(key)})
	var noKey *s3types.NoSuchKey
	var resp *awshttp.ResponseError
	switch {
	case errors.As(err, &noKey), errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusNotFound:
		return fmt.Errorf("get %s: %w", erp.Truncate(key, 80), erp.ErrNoObject)
	case err != nil:
		return fmt.Errorf("get %s: %w", erp.Truncate(key, 80), err)
	}
	defer out.Body.Close()
	_, err = io.Copy(w, out.Body)
	return err
}

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

// importsAdmin serves the back office's import jobs: the jobs from the
// table, the reports from the bucket and the table.
type importsAdmin struct {
	*dynamo.ImportJobs
	bucket bucket
	name   string
}

// Report writes the job's report: the file's rejected rows, as erp-ingest
// wrote them in the bucket, then the rows refused when its chunks were
// applied (ImportJobs.ApplyRejects). A job whose file was never read has
// the header only.
func (a importsAdmin) Report(ctx context.Context, m merchant.ID, job erp.ImportJob, w io.Writer) error {
	if job.Report == "" {
		return erp.ErrNoObject
	}
	if err := a.bucket.report(ctx, a.name, job.Report, w); err != nil {
		return err
	}
	rejects, err := a.ApplyRejects(ctx, m, job.ID)
	if err != nil {
		return err
	}
	cw := erp.ReportWriter(w)
	for _, e := range rejects {
		if err := cw.Write(erp.ReportRow(e)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
