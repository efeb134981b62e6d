package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/queue"
)

// ERPSync builds the function that applies the chunks of ERP files
// erp-ingest sends: each chunk with the erp.Applier of its kind, then
// recorded on its import job (ImportJobs.ChunkDone: counted once per job
// and chunk, however often the message comes). Stock chunks are forwarded
// unchanged to the stock-update queue (STOCK_UPDATE_QUEUE_URL), whose
// worker applies and records them. A message that is not a chunk, a chunk
// of a kind without an applier, and a chunk whose applier or record fails
// are batch item failures: retried, then dead-lettered; the rest of the
// batch applies.
func ERPSync(d Deps) QueueHandler {
	s := &erpSync{
		appliers: erpAppliers(d),
		jobs:     &dynamo.ImportJobs{Table: d.table()},
		sweeper:  dynamo.ERPSweep{Table: d.table()},
		sqs:      d.SQS,
		stockURL: d.Env.QueueURLs["STOCK_UPDATE_QUEUE_URL"],
		log:      d.Logger,
	}
	return queue.Worker{Logger: d.Logger, Process: s.process}.Handle
}

// erpAppliers maps each kind erp-sync applies to its applier. A kind
// missing here fails only its own chunks (retried, then dead-lettered).
func erpAppliers(d Deps) map[erp.Kind]erp.Applier {
	catalog := dynamo.ERPCatalog{Table: d.table()}
	accounts := &dynamo.ERPAccounts{Table: d.table()}
	return map[erp.Kind]erp.Applier{
		erp.KindCategories:       catalog,
		erp.KindProducts:         catalog,
		erp.KindPrices:           catalog,
		erp.KindQuantityBreaks:   catalog,
		erp.KindFamilyDiscounts:  catalog,
		erp.KindPriceCategories:  catalog,
		erp.KindWarehouses:       catalog,
		erp.KindExchangeRates:    catalog,
		erp.KindCustomers:        accounts,
		erp.KindReps:             accounts,
		erp.KindAcknowledgements: &dynamo.ERPAcknowledgements{Table: d.table()},
	}
}

// erpSync applies chunks.
type erpSync struct {
	appliers map[erp.Kind]erp.Applier
	jobs     *dynamo.ImportJobs
	sweeper  erp.Sweeper
	sqs      *sqs.Client
	stockURL string
	log      *slog.Logger
}

// ErrNoApplier is the failure of a chunk of a kind erp-sync has no applier
// for: the message is retried, then dead-lettered.
var ErrNoApplier = errors.New("no applier for this kind of ERP file")

// DecodeChunk decodes and checks an erp-sync message: a chunk of a known
// kind, merchant and job ids that can be key parts, records of the chunk's
// kind. Anything else wraps queue.ErrPoison.
func DecodeChunk(body string) (erp.Chunk, error) {
	var c erp.Chunk
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("%w: not an ERP chunk: %v", queue.ErrPoison, err)
	}
	switch {
	case !slices.Contains(erp.Kinds, c.Kind):
		return c, fmt.Errorf("%w: unknown kind %q", queue.ErrPoison, erp.Truncate(string(c.Kind), 40))
	case !validKeyPart(string(c.Merchant), 64):
		return c, fmt.Errorf("%w: merchant %q cannot be a key part", queue.ErrPoison, erp.Truncate(string(c.Merchant), 80))
	case !validKeyPart(c.Job, 64):
		return c, fmt.Errorf("%w: job %q cannot be a key part", queue.ErrPoison, erp.Truncate(c.Job, 80))
	case c.Seq < 0 || c.Seq > 999999:
		return c, fmt.Errorf("%w: chunk number %d out of range", queue.ErrPoison, c.Seq)
	case len(c.Records) == 0 || len(c.Records) > erp.MaxChunkRecords:
		return c, fmt.Errorf("%w: %d records, want 1 to %d", queue.ErrPoison, len(c.Records), erp.MaxChunkRecords)
	}
	for _, r := range c.Records {
		if r.Kind != c.Kind {
			return c, fmt.Errorf("%w: a %s record (line %d) in a chunk of %s", queue.ErrPoison, erp.Truncate(string(r.Kind), 40), r.Line, c.Kind)
		}
	}
	return c, nil
}

// validKeyPart: 1 to n bytes, none of the key separators.
func validKeyPart(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for _, r := range s {
		if r == '#' || r == '/' || r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// DecodeSweep decodes a sweep request (erp.SweepMessage): ok is false
// when the body is not one (a chunk); a request whose ids cannot be key
// parts, or of a kind without an inactive state, wraps queue.ErrPoison.
func DecodeSweep(body string) (r erp.SweepRequest, ok bool, err error) {
	var env struct {
		Sweep   *erp.SweepRequest `json:"sweep"`
		Records json.RawMessage   `json:"records"`
	}
	if json.Unmarshal([]byte(body), &env) != nil || env.Sweep == nil || env.Records != nil {
		return erp.SweepRequest{}, false, nil
	}
	r = *env.Sweep
	switch {
	case !validKeyPart(string(r.Merchant), 64):
		return r, true, fmt.Errorf("%w: merchant %q cannot be a key part", queue.ErrPoison, erp.Truncate(string(r.Merchant), 80))
	case !validKeyPart(r.Job, 64):
		return r, true, fmt.Errorf("%w: job %q cannot be a key part", queue.ErrPoison, erp.Truncate(r.Job, 80))
	case !erp.DeactivatableKind(r.Kind):
		return r, true, fmt.Errorf("%w: %q files do not deactivate what they lack", queue.ErrPoison, erp.Truncate(string(r.Kind), 40))
	}
	return r, true, nil
}

// sweep runs the sweep of a job whose chunks are all applied (see
// erp.FinishSweep); nothing when it is not ready or ran before.
func (s *erpSync) sweep(ctx context.Context, m merchant.ID, job string, attrs []any) error {
	res, ran, err := erp.FinishSweep(ctx, s.jobs, s.sweeper, m, job, time.Now())
	if err != nil {
		return err
	}
	if ran {
		s.log.InfoContext(ctx, "ERP full file swept: what it lacked is inactive", append(attrs, slog.Int("deactivated", res.Deactivated))...)
	}
	return nil
}

// process applies one chunk message, or runs the sweep a sweep request
// asks for.
func (s *erpSync) process(ctx context.Context, msg events.SQSMessage) error {
	if r, ok, err := DecodeSweep(msg.Body); ok {
		if err != nil {
			return err
		}
		logging.SetMerchant(ctx, string(r.Merchant))
		return s.sweep(ctx, r.Merchant, r.Job, []any{slog.String("job", r.Job), slog.String("kind", string(r.Kind))})
	}
	c, err := DecodeChunk(msg.Body)
	if err != nil {
		return err
	}
	logging.SetMerchant(ctx, string(c.Merchant))
	attrs := []any{slog.String("job", c.Job), slog.Int("seq", c.Seq), slog.String("kind", string(c.Kind)), slog.Int("records", len(c.Records))}
	if c.Kind == erp.KindStock {
		return s.forwardStock(ctx, msg.Body, attrs)
	}
	applier := s.appliers[c.Kind]
	if applier == nil {
		return fmt.Errorf("chunk %d of job %s: %w %q", c.Seq, c.Job, ErrNoApplier, c.Kind)
	}
	counts, rejects, err := applier.Apply(ctx, c)
	if err != nil {
		return fmt.Errorf("apply chunk %d of job %s (%s): %w", c.Seq, c.Job, c.Kind, err)
	}
	first, err := s.jobs.ChunkDone(ctx, c.Merchant, c.Job, c.Seq, counts, rejects)
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "ERP chunk applied", append(attrs, slog.Bool("first", first),
		slog.Int("applied", counts.Applied), slog.Int("unchanged", counts.Unchanged), slog.Int("rejected", counts.Rejected))...)
	if c.DeactivateMissing {
		// The last chunk of a full file that deactivates runs its sweep
		// (when the stream is recorded; else erp-ingest's request will).
		return s.sweep(ctx, c.Merchant, c.Job, attrs)
	}
	return nil
}

// forwardStock sends a stock chunk's message, as it came, to stock-update.
func (s *erpSync) forwardStock(ctx context.Context, body string, attrs []any) error {
	if s.sqs == nil || s.stockURL == "" {
		return fmt.Errorf("forward a stock chunk: %w (STOCK_UPDATE_QUEUE_URL)", queue.ErrNoQueue)
	}
	if _, err := s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.stockURL), MessageBody: aws.String(body)}); err != nil {
		return fmt.Errorf("forward a stock chunk to %s: %w", s.stockURL, err)
	}
	s.log.InfoContext(ctx, "ERP stock chunk forwarded to stock-update", attrs...)
	return nil
}
