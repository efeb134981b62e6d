package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/stock"
)

// OrderEvents builds the order-events function, which follows the table's
// stream (docs/events.md):
//
//   - an order written (INSERT, not cancelled) is announced: its
//     order.placed event to the vat-threshold queue, and
//     {"merchant","order"} to the order-export queue;
//   - an order that becomes cancelled (MODIFY) sends its order.cancelled
//     event to the vat-threshold queue (and its export, below);
//   - a stock level whose available quantity falls from above its alert
//     minimum to at or below it raises the stock alert
//     (dynamo.StockAlerts.Raise: a replay writes the same alert);
//   - a stock hold removed while it still held (Type HOLD: neither
//     consumed by its order's write nor given back by its checkout; its
//     time to live ended) gives its stock back, once, whatever became of
//     its order (dynamo.OrderFollowUp);
//   - an order that becomes cancelled also sends
//     {"merchant","order","event":"cancelled"} to the order-export queue.
//
// Records are handled in stream order. At the first record that fails,
// the function stops and reports that record's sequence number: Lambda
// retries the batch from it (up to MaximumRetryAttempts, bisecting), then
// sends the batch's description to the on-failure queue. The queues'
// consumers are idempotent per order, so a message sent again on a retry
// changes nothing.
func OrderEvents(d Deps) StreamHandler {
	f := &StreamFollower{
		SQS:         d.SQS,
		VATQueue:    d.Env.QueueURLs["VAT_THRESHOLD_QUEUE_URL"],
		ExportQueue: d.Env.QueueURLs["ORDER_EXPORT_QUEUE_URL"],
		Alerts:      &dynamo.StockAlerts{Table: d.table()},
		Holds:       &dynamo.OrderFollowUp{Table: d.table()},
		Logger:      d.Logger,
	}
	return f.Handle
}

// AlertStore keeps stock alerts.
type AlertStore interface {
	Raise(ctx context.Context, m merchant.ID, a stock.Alert) error
}

// HoldStore gives expired stock holds back.
type HoldStore interface {
	GiveBackHold(ctx context.Context, m merchant.ID, id string, n int, expiresAt int64, takes []dynamo.HeldStock, at time.Time) (bool, error)
}

// StreamFollower is the order-events function's record processing.
type StreamFollower struct {
	SQS *sqs.Client
	// VATQueue and ExportQueue are the URLs of the vat-threshold and
	// order-export queues.
	VATQueue, ExportQueue string
	Alerts                AlertStore
	Holds                 HoldStore
	Logger                *slog.Logger
}

// Item types and attributes the follower reads in stream images.
const (
	streamTypeHold = "HOLD"
	// streamGivenBack marks a hold whose stock the checkout gave back
	// itself (dynamo.AttrGivenBack).
	streamGivenBack = "GivenBack"
)

// outgoing is one message to send, with the index of its record.
type outgoing struct {
	record int
	queue  string
	body   string
}

// Handle processes the records in order and reports the first that failed.
func (f *StreamFollower) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	firstFailed := len(ev.Records)
	var out []outgoing
	for i, r := range ev.Records {
		rctx := logging.WithRequest(ctx, r.EventID)
		msgs, err := f.record(rctx, r)
		if err != nil {
			f.Logger.ErrorContext(rctx, "stream record failed; the batch is retried from it",
				slog.String("error", err.Error()), slog.String("event", r.EventName),
				slog.String("sequence", r.Change.SequenceNumber))
			firstFailed = i
			break
		}
		for _, m := range msgs {
			m.record = i
			out = append(out, m)
		}
	}
	if i := f.send(ctx, out); i < firstFailed {
		firstFailed = i
	}
	var resp events.DynamoDBEventResponse
	if firstFailed < len(ev.Records) {
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[firstFailed].Change.SequenceNumber}}
	}
	return resp, nil
}

// record handles one stream record and returns the messages it sends.
func (f *StreamFollower) record(ctx context.Context, r events.DynamoDBEventRecord) ([]outgoing, error) {
	pk, _ := attrS(r.Change.Keys, dynamo.AttrPK)
	sk, _ := attrS(r.Change.Keys, dynamo.AttrSK)
	m, ok := merchantOfKey(pk)
	if !ok {
		return nil, nil // not a merchant's item: nothing follows it
	}
	logging.SetMerchant(ctx, string(m))
	switch {
	case sk == "ORDER":
		return f.orderChanged(ctx, r, m)
	case strings.HasPrefix(sk, "STOCK#") && r.EventName == "MODIFY":
		return nil, f.stockChanged(ctx, r, m)
	case strings.HasPrefix(sk, "HOLD#") && r.EventName == "REMOVE":
		return nil, f.holdRemoved(ctx, r, m, pk, sk)
	}
	return nil, nil
}

// orderChanged announces a placed or cancelled order. The export message
// goes whatever the order's VAT event is like: an event that does not
// validate is logged with the order's number and still sent, for the
// vat-threshold worker to refuse and dead-letter with its content; it
// never holds the ERP export back.
func (f *StreamFollower) orderChanged(ctx context.Context, r events.DynamoDBEventRecord, m merchant.ID) ([]outgoing, error) {
	if r.EventName == "REMOVE" {
		return nil, nil
	}
	o, err := orderImage(r.Change.NewImage, m)
	if err != nil {
		return nil, err
	}
	var ev orderevent.Event
	var exportEvent string
	switch r.EventName {
	case "INSERT":
		if o.Status == order.Cancelled {
			return nil, nil
		}
		ev = order.PlacedEvent(o)
	case "MODIFY":
		before, err := orderImage(r.Change.OldImage, m)
		if err != nil {
			return nil, err
		}
		if before.Status == order.Cancelled || o.Status != order.Cancelled {
			return nil, nil
		}
		ev, exportEvent = order.CancelledEvent(o), ExportCancelled
	default:
		return nil, nil
	}
	export, err := json.Marshal(ExportRequest{Merchant: m, Order: o.ID, Event: exportEvent})
	if err != nil {
		return nil, err
	}
	out := []outgoing{{queue: f.ExportQueue, body: string(export)}}
	if body, ok := f.eventBody(ctx, o.ID, ev); ok {
		out = append(out, outgoing{queue: f.VATQueue, body: body})
	}
	return out, nil
}

// eventBody writes an order event and checks it against its schema: an
// event the vat-threshold worker would refuse is logged with the order's
// number, here where the order is at hand, and sent all the same (the
// worker dead-letters it with its content). ok is false only for an event
// that cannot be written at all (logged too).
func (f *StreamFollower) eventBody(ctx context.Context, id string, e orderevent.Event) (body string, ok bool) {
	b, err := orderevent.Marshal(e)
	if err != nil {
		f.Logger.ErrorContext(ctx, "order event cannot be written; it is not sent",
			slog.String("order", id), slog.String("type", string(e.Type)), slog.String("error", err.Error()))
		return "", false
	}
	if _, err := orderevent.Parse(b); err != nil {
		f.Logger.ErrorContext(ctx, "order event does not validate; it is sent to be dead-lettered with its content",
			slog.String("order", id), slog.String("type", string(e.Type)), slog.String("error", err.Error()))
	}
	return string(b), true
}

// stockChanged raises the stock alert of a level that fell to its minimum.
func (f *StreamFollower) stockChanged(ctx context.Context, r events.DynamoDBEventRecord, m merchant.ID) error {
	level, after, err := levelImage(r.Change.NewImage)
	if err != nil {
		return err
	}
	_, before, err := levelImage(r.Change.OldImage)
	if err != nil {
		return err
	}
	if !stock.Crossed(level, before, after) {
		return nil
	}
	a, ok := stock.AlertFor(level, after, recordTime(r))
	if !ok {
		return nil
	}
	if err := f.Alerts.Raise(ctx, m, a); err != nil {
		return err
	}
	f.Logger.InfoContext(ctx, "stock alert raised", slog.String("ref", a.Ref), slog.String("warehouse", a.Warehouse),
		slog.Int64("available", a.Available), slog.Int64("min", a.Min))
	return nil
}

// holdRemoved gives back the stock of a hold removed while it still
// held: the order's final write turns each of its holds into a consumed
// hold (Type HOLD-CONSUMED) and a checkout that gives a hold back itself
// makes it a returned one (HOLD-RETURNED), so an item of Type HOLD that
// goes away is one nobody took or gave back (its time to live ended),
// whatever became of the order since (a retried checkout may have placed
// it with other stock). The give-back is once per hold (its release mark).
func (f *StreamFollower) holdRemoved(ctx context.Context, r events.DynamoDBEventRecord, m merchant.ID, pk, sk string) error {
	old := r.Change.OldImage
	if typ, _ := attrS(old, dynamo.AttrType); typ != streamTypeHold {
		return nil
	}
	if _, given := old[streamGivenBack]; given {
		return nil
	}
	at := recordTime(r)
	expires, _ := attrN(old, dynamo.AttrExpires)
	_, id, ok := strings.Cut(pk, "#ORDER#")
	n, err := strconv.Atoi(strings.TrimPrefix(sk, "HOLD#"))
	if !ok || err != nil {
		return fmt.Errorf("hold %s %s: not an order's hold key", pk, sk)
	}
	doc, _ := attrS(old, dynamo.AttrDoc)
	var takes []dynamo.HeldStock
	if err := json.Unmarshal([]byte(doc), &takes); err != nil {
		return fmt.Errorf("hold %d of order %s: %w", n, id, err)
	}
	given, err := f.Holds.GiveBackHold(ctx, m, id, n, expires, takes, at)
	if err != nil {
		return err
	}
	if given {
		f.Logger.InfoContext(ctx, "expired stock hold given back", slog.String("order", id), slog.Int("hold", n), slog.Int("levels", len(takes)))
	}
	return nil
}

// send sends the messages, ten at a time per queue, and returns the index
// of the first record one of whose messages could not be sent
// (math.MaxInt when all were sent).
func (f *StreamFollower) send(ctx context.Context, out []outgoing) int {
	firstFailed := int(^uint(0) >> 1)
	byQueue := map[string][]outgoing{}
	var queues []string
	for _, m := range out {
		if _, ok := byQueue[m.queue]; !ok {
			queues = append(queues, m.queue)
		}
		byQueue[m.queue] = append(byQueue[m.queue], m)
	}
	fail := func(m outgoing, err string) {
		f.Logger.ErrorContext(ctx, "order message not sent; the batch is retried from its record",
			slog.String("queue", m.queue), slog.String("error", err))
		firstFailed = min(firstFailed, m.record)
	}
	for _, q := range queues {
		msgs := byQueue[q]
		for start := 0; start < len(msgs); start += 10 {
			chunk := msgs[start:min(start+10, len(msgs))]
			if q == "" || f.SQS == nil {
				for _, m := range chunk {
					fail(m, "no queue configured")
				}
				continue
			}
			entries := make([]sqstypes.SendMessageBatchRequestEntry, len(chunk))
			for i, m := range chunk {
				entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(m.body)}
			}
			res, err := f.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q), Entries: entries})
			if err != nil {
				for _, m := range chunk {
					fail(m, err.Error())
				}
				continue
			}
			for _, e := range res.Failed {
				i, err := strconv.Atoi(aws.ToString(e.Id))
				if err != nil || i < 0 || i >= len(chunk) {
					for _, m := range chunk {
						fail(m, "unknown failed entry "+aws.ToString(e.Id))
					}
					continue
				}
				fail(chunk[i], aws.ToString(e.Code)+": "+aws.ToString(e.Message))
			}
		}
	}
	return firstFailed
}

// ExportRequest is the message of the order-export queue: an order to
// write as ERP files.
type ExportRequest struct {
	Merchant merchant.ID `json:"merchant"`
	Order    string      `json:"order"`
	// Event is what to export: empty for the order as placed,
	// ExportCancelled for the order as cancelled.
	Event string `json:"event,omitempty"`
}

// ExportCancelled is the Event of an export request for an order that was
// cancelled.
const ExportCancelled = "cancelled"

// merchantOfKey returns the merchant of a "M#<m>#..." partition key.
func merchantOfKey(pk string) (merchant.ID, bool) {
	rest, ok := strings.CutPrefix(pk, "M#")
	if !ok {
		return "", false
	}
	m, _, _ := strings.Cut(rest, "#")
	return merchant.ID(m), m != ""
}

// orderImage decodes an order item's image: its document, with the
// top-level Status attribute as the truth.
func orderImage(img map[string]events.DynamoDBAttributeValue, m merchant.ID) (order.Order, error) {
	doc, ok := attrS(img, dynamo.AttrDoc)
	if !ok {
		return order.Order{}, errors.New("order image without document")
	}
	var o order.Order
	if err := json.Unmarshal([]byte(doc), &o); err != nil {
		return order.Order{}, fmt.Errorf("order image: %w", err)
	}
	if s, ok := attrS(img, dynamo.AttrStatus); ok && s != "" {
		o.Status = order.Status(s)
	}
	if o.Merchant == "" {
		o.Merchant = m
	}
	return o, nil
}

// levelImage decodes a stock level item's image and what is available:
// the numeric Available attribute, or, on an item written before it
// existed, the level's own computation.
func levelImage(img map[string]events.DynamoDBAttributeValue) (stock.Level, int64, error) {
	doc, ok := attrS(img, dynamo.AttrDoc)
	if !ok {
		return stock.Level{}, 0, errors.New("stock level image without document")
	}
	var l stock.Level
	if err := json.Unmarshal([]byte(doc), &l); err != nil {
		return stock.Level{}, 0, fmt.Errorf("stock level image: %w", err)
	}
	if n, ok := attrN(img, "SiteOrders"); ok {
		l.SiteOrders = n
	}
	if n, ok := attrN(img, "Available"); ok {
		return l, n, nil
	}
	return l, l.Available(), nil
}

// recordTime is when the record was written, to the second; now when the
// record does not say.
func recordTime(r events.DynamoDBEventRecord) time.Time {
	if t := r.Change.ApproximateCreationDateTime.Time; !t.IsZero() {
		return t.UTC()
	}
	return time.Now().UTC()
}

// attrS reads a string attribute of an image.
func attrS(img map[string]events.DynamoDBAttributeValue, name string) (string, bool) {
	v, ok := img[name]
	if !ok || v.DataType() != events.DataTypeString {
		return "", false
	}
	return v.String(), true
}

// attrN reads an integer number attribute of an image.
func attrN(img map[string]events.DynamoDBAttributeValue, name string) (int64, bool) {
	v, ok := img[name]
	if !ok || v.DataType() != events.DataTypeNumber {
		return 0, false
	}
	n, err := v.Integer()
	return n, err == nil
}
