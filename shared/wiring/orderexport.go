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

	"github.com/comptoir/comptoir/shared/customer"
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
// it), <merchant>/outbox/orders/<id>.csv (order.WriteCSV) and
// <merchant>/outbox/orders/<id>.sage.csv (the Sage 100 document import
// file, order.WriteSage) in the ERP bucket, then puts the order's export
// mark (EXPORT). For an order announced cancelled
// ({"merchant","order","event":"cancelled"}) it writes <id>.cancelled.json,
// <id>.cancelled.csv and <id>.cancelled.sage.csv (the order as cancelled),
// once the order as placed was exported, then puts the cancellation's own
// mark (EXPORT#CANCELLED). A message whose export is marked already is
// acknowledged without writing: the same order announced twice gives one
// set of files. A failure before the mark leaves the message to be
// retried; writing the files again replaces them with the same content.
func OrderExport(d Deps) QueueHandler {
	w := &ExportWorker{
		Orders:    &dynamo.Orders{Table: d.table()},
		Marks:     &dynamo.OrderFollowUp{Table: d.table()},
		Files:     bucketFiles{client: d.S3, bucket: d.Env.ERPBucket},
		Customers: &dynamo.Customers{Table: d.table()},
		Merchants: &dynamo.Merchants{Table: d.table(), TTL: d.Env.CacheTTL},
		Logger:    d.Logger,
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

// CustomerReader reads a customer account (customer.ErrUnknown when there
// is none).
type CustomerReader interface {
	Customer(ctx context.Context, m merchant.ID, id string) (customer.Customer, error)
}

// ExportWorker is the order-export function's message processing.
type ExportWorker struct {
	Orders OrderReader
	Marks  ExportMarks
	Files  FileWriter
	// Customers gives the delivery address of the Sage file (the order
	// keeps only its id); nil leaves the address out, but its country.
	Customers CustomerReader
	// Merchants gives the time zone that dates the Sage document; nil
	// dates it in merchant.DefaultTimeZone.
	Merchants merchant.Reader
	// ShippingRef is the ERP article code of the delivery in the Sage
	// file; order.DefaultShippingRef when empty.
	ShippingRef string
	Logger      *slog.Logger
	// Now stamps the export mark; time.Now when nil.
	Now func() time.Time
}

// OutboxKey is the object key of an exported order's file with extension
// ext ("json", "csv", "sage.csv"; "cancelled.json", "cancelled.csv",
// "cancelled.sage.csv" for its cancellation).
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
	sage, err := w.sage(ctx, o)
	if err != nil {
		return err
	}
	if err := w.Files.Put(ctx, OutboxKey(req.Merchant, o.ID, ext+"json"), "application/json", doc); err != nil {
		return err
	}
	if err := w.Files.Put(ctx, OutboxKey(req.Merchant, o.ID, ext+"csv"), "text/csv; charset=utf-8", csv.Bytes()); err != nil {
		return err
	}
	if err := w.Files.Put(ctx, OutboxKey(req.Merchant, o.ID, ext+"sage.csv"), "text/csv; charset=windows-1252", sage); err != nil {
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

// sage writes order o as a Sage 100 document import file: the delivery
// address as the customer's account holds it now (the order keeps only its
// id; an account or address gone since leaves the address's country
// alone), dated in the merchant's time zone. Cells whose characters
// Windows-1252 cannot encode are logged.
func (w *ExportWorker) sage(ctx context.Context, o order.Order) ([]byte, error) {
	opts := order.SageOptions{ShippingRef: w.ShippingRef, Location: merchant.Merchant{}.Location()}
	if w.Merchants != nil {
		mr, err := w.Merchants.Merchant(ctx, o.Merchant)
		switch {
		case errors.Is(err, merchant.ErrUnknown):
		case err != nil:
			return nil, fmt.Errorf("the time zone of merchant %s: %w", o.Merchant, err)
		default:
			opts.Location = mr.Location()
		}
	}
	if w.Customers != nil {
		c, err := w.Customers.Customer(ctx, o.Merchant, o.Customer)
		if err != nil && !errors.Is(err, customer.ErrUnknown) {
			return nil, fmt.Errorf("the delivery address of order %s: %w", o.ID, err)
		}
		if err == nil {
			d, err := c.Delivery(o.Shipping.AddressID)
			if err == nil {
				name := d.ID
				if name == "" {
					name = c.Name
				}
				opts.ShipTo = order.SageAddress{Name: name, Line1: d.Line1, PostalCode: d.PostalCode, City: d.City, Country: d.Country}
			}
		}
		if opts.ShipTo == (order.SageAddress{}) {
			w.Logger.WarnContext(ctx, "order exported for the ERP without its delivery address", slog.String("order", o.ID), slog.String("address", o.Shipping.AddressID))
		}
	}
	if opts.ShipTo.Country == "" {
		opts.ShipTo.Country = o.Shipping.Country
	}
	var b bytes.Buffer
	replaced, err := order.WriteSage(&b, o, opts)
	if err != nil {
		return nil, err
	}
	for _, r := range replaced {
		w.Logger.WarnContext(ctx, "characters Windows-1252 cannot encode were replaced in the Sage file",
			slog.String("order", o.ID), slog.String("column", r.Column), slog.Int("row", r.Row), slog.String("value", logging.Truncate(r.Value, 80)))
	}
	return b.Bytes(), nil
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
