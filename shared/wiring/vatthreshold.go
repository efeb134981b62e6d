package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/queue"
	"github.com/comptoir/comptoir/shared/vatledger"
)

// VATThreshold builds the vat-threshold function: it keeps each merchant's
// distance-selling ledger from the order events of its queue
// (order.placed, order.cancelled; docs/events.md) and rebuilds it on a
// staff request (ledger.recompute).
//
// Each order counts in the calendar year of its placedAt in the merchant's
// time zone (art. 59c's calendar year is the supplier's): the worker reads
// the merchant's record (dynamo.Merchants, cached for CACHE_TTL: no round
// trip warm, one GetItem per merchant cold) for merchant.Merchant.Location.
// A merchant without a record is counted in merchant.DefaultTimeZone, as
// any merchant whose record names no zone: its events are applied as
// before, never dropped. When the record cannot be read (the table is
// unreachable), the merchant's messages are reported as failed, to be
// delivered again.
//
// A batch's order events are applied per merchant in one ledger write
// (dynamo.VATLedger.Apply: one transaction for the batch, the EU-wide
// total written once). When that write lost to other writers through all
// its attempts (vatledger.ErrConflict) or the invocation's time is up,
// the merchant's messages are reported as failed at once: SQS delivers
// them again after the visibility timeout, which is the backoff, instead
// of this worker adding one more write per message to the contended item.
// When it fails otherwise (an entry changed meanwhile, a bad message),
// each message is applied again on its own, so that only the messages
// that still fail are reported. Several recomputation requests for one
// merchant in a batch are answered by one rebuild, every one of them
// acknowledged (or reported failed) with it. A
// message that is not an order event or a recomputation request of the
// schema is poison (queue.ErrPoison): reported as failed, so that SQS
// retries it and then moves it to the dead-letter queue, never dropped.
func VATThreshold(d Deps) QueueHandler {
	w := &VATWorker{
		Ledger:    &dynamo.VATLedger{Table: d.table()},
		Merchants: &dynamo.Merchants{Table: d.table(), TTL: d.Env.CacheTTL},
		Logger:    d.Logger,
	}
	return w.Handle
}

// LedgerStore is what the vat-threshold worker writes to.
type LedgerStore interface {
	// Apply records a merchant's order events, each order in the
	// calendar year of its placedAt in loc, the merchant's time zone.
	Apply(ctx context.Context, m merchant.ID, loc *time.Location, evs []orderevent.Event) error
	Recompute(ctx context.Context, m merchant.ID) (vatledger.Recomputed, error)
}

var _ LedgerStore = (*dynamo.VATLedger)(nil)

// VATWorker is the vat-threshold function's message processing.
type VATWorker struct {
	Ledger LedgerStore
	// Merchants gives each merchant's time zone; nil counts every merchant
	// in merchant.DefaultTimeZone.
	Merchants merchant.Reader
	Logger    *slog.Logger
}

// location is the time zone merchant m's orders are counted in: its
// record's (merchant.Merchant.Location), merchant.DefaultTimeZone for a
// merchant without a record.
func (w *VATWorker) location(ctx context.Context, m merchant.ID) (*time.Location, error) {
	if w.Merchants == nil {
		return merchant.Merchant{}.Location(), nil
	}
	mr, err := w.Merchants.Merchant(ctx, m)
	switch {
	case errors.Is(err, merchant.ErrUnknown):
		return merchant.Merchant{}.Location(), nil
	case err != nil:
		return nil, fmt.Errorf("the time zone of merchant %s: %w", m, err)
	}
	return mr.Location(), nil
}

// message is one parsed message of a batch.
type vatMessage struct {
	msg       events.SQSMessage
	ctx       context.Context
	event     *orderevent.Event
	recompute *vatledger.RecomputeRequest
}

// ParseVATMessage reads a message of the vat-threshold queue: an order
// event or a recomputation request. Anything else is an error wrapping
// queue.ErrPoison.
func ParseVATMessage(body string) (*orderevent.Event, *vatledger.RecomputeRequest, error) {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(body), &probe); err != nil {
		return nil, nil, fmt.Errorf("%w: not a JSON object: %v", queue.ErrPoison, err)
	}
	if probe.Type == vatledger.RecomputeType {
		r, err := vatledger.ParseRecomputeRequest([]byte(body))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", queue.ErrPoison, err)
		}
		return nil, &r, nil
	}
	ev, err := orderevent.Parse([]byte(body))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", queue.ErrPoison, err)
	}
	return &ev, nil, nil
}

// Handle processes a batch and reports the messages that failed.
func (w *VATWorker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var (
		resp       events.SQSEventResponse
		byMerchant = map[merchant.ID][]vatMessage{}
		merchants  []merchant.ID
		recomputes []vatMessage
	)
	fail := func(m vatMessage, err error) {
		text := "message failed; it will be retried, then dead-lettered"
		if errors.Is(err, queue.ErrPoison) {
			text = "poison message; it will be dead-lettered after maxReceiveCount receives"
		}
		w.Logger.ErrorContext(m.ctx, text, slog.String("error", err.Error()),
			slog.String("receive_count", m.msg.Attributes["ApproximateReceiveCount"]))
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.msg.MessageId})
	}
	for _, msg := range ev.Records {
		m := vatMessage{msg: msg, ctx: logging.WithRequest(ctx, msg.MessageId)}
		var err error
		m.event, m.recompute, err = ParseVATMessage(msg.Body)
		switch {
		case err != nil:
			fail(m, err)
		case m.recompute != nil:
			logging.SetMerchant(m.ctx, string(m.recompute.Merchant))
			recomputes = append(recomputes, m)
		default:
			logging.SetMerchant(m.ctx, string(m.event.Merchant))
			if _, ok := byMerchant[m.event.Merchant]; !ok {
				merchants = append(merchants, m.event.Merchant)
			}
			byMerchant[m.event.Merchant] = append(byMerchant[m.event.Merchant], m)
		}
	}
	for _, mid := range merchants {
		msgs := byMerchant[mid]
		if err := ctx.Err(); err != nil {
			for _, m := range msgs {
				fail(m, err)
			}
			continue
		}
		loc, err := w.location(ctx, mid)
		if err != nil {
			for _, m := range msgs {
				fail(m, err)
			}
			continue
		}
		evs := make([]orderevent.Event, len(msgs))
		for i, m := range msgs {
			evs[i] = *m.event
		}
		err = w.Ledger.Apply(ctx, mid, loc, evs)
		if err == nil {
			for _, m := range msgs {
				w.logEvent(m)
			}
			continue
		}
		for _, m := range msgs {
			if !retryLater(ctx, err) {
				err = w.Ledger.Apply(m.ctx, mid, loc, []orderevent.Event{*m.event})
			}
			if err != nil {
				fail(m, err)
				continue
			}
			w.logEvent(m)
		}
	}
	// One rebuild per merchant answers all of the batch's requests for it:
	// each reads every order entry, and a second one right after the first
	// would find nothing to correct.
	var (
		recomputed = map[merchant.ID][]vatMessage{}
		asked      []merchant.ID
	)
	for _, m := range recomputes {
		mid := m.recompute.Merchant
		if _, ok := recomputed[mid]; !ok {
			asked = append(asked, mid)
		}
		recomputed[mid] = append(recomputed[mid], m)
	}
	for _, mid := range asked {
		msgs := recomputed[mid]
		if err := ctx.Err(); err != nil {
			for _, m := range msgs {
				fail(m, err)
			}
			continue
		}
		out, err := w.Ledger.Recompute(msgs[0].ctx, mid)
		for _, m := range msgs {
			if err != nil {
				fail(m, err)
				continue
			}
			r := m.recompute
			w.Logger.InfoContext(m.ctx, "ledger recomputed", slog.String("request", r.ID), slog.String("requested_by", r.RequestedBy),
				slog.Int("orders", out.Orders), slog.Int("corrected_totals", len(out.Changes)), slog.Int("requests_in_batch", len(msgs)))
		}
	}
	return resp, nil
}

// retryLater reports whether a failed ledger write is better left to
// SQS's next delivery than tried again message by message: the ledger
// stayed contended through every attempt, or the invocation's context is
// done.
func retryLater(ctx context.Context, err error) bool {
	return errors.Is(err, vatledger.ErrConflict) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil
}

func (w *VATWorker) logEvent(m vatMessage) {
	e := m.event
	w.Logger.InfoContext(m.ctx, "order event applied", slog.String("event", e.ID), slog.String("type", string(e.Type)),
		slog.String("order", e.Order.ID), slog.Bool("counts", vatledger.Counts(e.Order)))
}
