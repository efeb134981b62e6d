package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/logging"
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

// process applies one chunk message.
func (s *erpSync) process(ctx context.Context, msg events.SQSMessage) error {
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
