package wiring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/queue"
)

// OrderExport builds the order-export function: for each order the
// order-events function announces ({"merchant","order"}), it writes
// <merchant>/outbox/orders/<id>.json (the order as GET /orders/{id} shows
// it) and <merchant>/outbox/orders/<id>.csv (order.WriteCSV) in the ERP
// bucket, then puts the order's export mark (EXPORT). For an order
// announced cancelled ({"merchant","order","event":"cancelled"}) it writes
// <id>.cancelled.json and <id>.cancelled.csv (the order as cancelled),
// once the order as placed was exported, then puts the cancellation's own
// mark (EXPORT#CANCELLED). A message whose export is marked already is
// acknowledged without writing: the same order announced twice gives one
// pair of files. A failure before the mark leaves the message to be
// retried; writing the files again replaces them with the same content.
func OrderExport(d Deps) QueueHandler {
	w := &ExportWorker{
		Orders: &dynamo.Orders{Table: d.table()},
		Marks:  &dynamo.OrderFollowUp{Table: d.table()},
		Files:  bucketFiles{client: d.S3, bucket: d.Env.ERPBucket},
		Logger: d.Logger,
	}
	return queue.Worker{Logger: d.Logger, Process: w.Process}.Handle
}

// OrderReader reads one order (order.Store's Order).
type OrderReader interface {
	Order(ctx context.Context, m merchant.ID, id string) (order.Order, error)
}

// ExportMarks records which orders were exported.
type ExportMarks interface {
	Exported(ctx context.Context, m merchant.ID, id string, what dynamo.OrderExport) (bool, error)
	MarkExported(ctx context.Context, m merchant.ID, id string, what dynamo.OrderExport, at time.Time) error
}

// FileWriter writes a file of the ERP bucket.
type FileWriter interface {
	Put(ctx context.Context, key, contentType string, body []byte) error
}

// ExportWorker is the order-export function's message processing.
type ExportWorker struct {
	Orders OrderReader
	Marks  ExportMarks
	Files  FileWriter
	Logger *slog.Logger
	// Now stamps the export mark; time.Now when nil.
	Now func() time.Time
}

// OutboxKey is the object key of an exported order's file with extension
// ext ("json", "csv"; "cancelled.json", "cancelled.csv" for its
// cancellation).
func OutboxKey(m merchant.ID, id, ext string) string {
	return string(m) + "/" + erp.OutboxFolder + "orders/" + id + "." + ext
}

// Process exports the order of one message.
func (w *ExportWorker) Process(ctx context.Context, msg events.SQSMessage) error {
	req, err := ParseExportRequest(msg.Body)
	if err != nil {
		return err
	}
	logging.SetMerchant(ctx, string(req.Merchant))
	what, ext := dynamo.ExportPlaced, ""
	if req.Event == ExportCancelled {
		what, ext = dynamo.ExportCancelled, ExportCancelled+"."
	}
	done, err := w.Marks.Exported(ctx, req.Merchant, req.Order, what)
	if err != nil {
		return err
	}
	if done {
		w.Logger.InfoContext(ctx, "order exported already", slog.String("order", req.Order), slog.String("event", req.Event))
		return nil
	}
	if what == dynamo.ExportCancelled {
		// The ERP learns of the order before its cancellation: the
		// message waits (is retried) until the order as placed is out.
		placed, err := w.Marks.Exported(ctx, req.Merchant, req.Order, dynamo.ExportPlaced)
		if err != nil {
			return err
		}
		if !placed {
			return fmt.Errorf("order %s: cancellation waits for the order's own export", req.Order)
		}
	}
	o, err := w.Orders.Order(ctx, req.Merchant, req.Order)
	if errors.Is(err, order.ErrNotFound) {
		return fmt.Errorf("%w: order %s of %s does not exist", queue.ErrPoison, req.Order, req.Merchant)
	}
	if err != nil {
		return err
	}
	if what == dynamo.ExportCancelled && o.Status != order.Cancelled {
		return fmt.Errorf("%w: order %s of %s is announced cancelled but is %s", queue.ErrPoison, o.ID, req.Merchant, o.Status)
	}
	doc, err := json.MarshalIndent(httpapi.NewOrderView(o), "", "  ")
	if err != nil {
		return fmt.Errorf("order %s as JSON: %w", o.ID, err)
	}
	var csv bytes.Buffer
	if err := order.WriteCSV(&csv, []order.Order{o}); err != nil {
		return fmt.Errorf("order %s as CSV: %w", o.ID, err)
	}
	if err := w.Files.Put(ctx, OutboxKey(req.Merchant, o.ID, ext+"json"), "application/json", doc); err != nil {
		return err
	}
	if err := w.Files.Put(ctx, OutboxKey(req.Merchant, o.ID, ext+"csv"), "text/csv; charset=utf-8", csv.Bytes()); err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	if err := w.Marks.MarkExported(ctx, req.Merchant, o.ID, what, now()); err != nil {
		return err
	}
	w.Logger.InfoContext(ctx, "order exported", slog.String("order", o.ID), slog.String("event", req.Event))
	return nil
}

// ParseExportRequest reads a message of the order-export queue. A message
// that is not one, or names an order or merchant that cannot be a key or a
// file name, is an error wrapping queue.ErrPoison.
func ParseExportRequest(body string) (ExportRequest, error) {
	var req ExportRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		return req, fmt.Errorf("%w: not an export request: %v", queue.ErrPoison, err)
	}
	for _, part := range []string{string(req.Merchant), req.Order} {
		if part == "" || len(part) > 64 || strings.ContainsAny(part, "#/\\ ") || part == "." || part == ".." {
			return req, fmt.Errorf("%w: export request names merchant %q, order %q", queue.ErrPoison, logging.Truncate(string(req.Merchant), 80), logging.Truncate(req.Order, 80))
		}
	}
	if req.Event != "" && req.Event != ExportCancelled {
		return req, fmt.Errorf("%w: export request of order %s for event %q", queue.ErrPoison, req.Order, logging.Truncate(req.Event, 80))
	}
	return req, nil
}

// bucketFiles writes files of the ERP bucket with PutObject.
type bucketFiles struct {
	client *s3.Client
	bucket string
}

// Put writes one object.
func (b bucketFiles) Put(ctx context.Context, key, contentType string, body []byte) error {
	if b.client == nil || b.bucket == "" {
		return errors.New("no ERP bucket configured")
	}
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String(contentType),
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}
