package wiring

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/queue"
)

// StockUpdate builds the stock-update function: it applies the chunks of
// ERP stock files (F_ARTSTOCK) that erp-sync forwards (dynamo.ERPStock:
// each level under its stamp, site orders' units kept, differences with
// the theoretical stock recorded, alerts raised once per fall and cleared
// above the minimum), then records each chunk on its import job
// (ImportJobs.ChunkDone: counted once per job and chunk). A chunk message
// delivered again applies nothing more (its levels are stamped) and
// counts nothing more. A message that is not a stock chunk is poison, and
// a chunk whose apply or record fails is retried: both are batch item
// failures, dead-lettered after maxReceiveCount; the rest of the batch
// applies.
func StockUpdate(d Deps) QueueHandler {
	u := &stockUpdate{
		stock: &dynamo.ERPStock{Table: d.table(), Alerts: &dynamo.StockAlerts{Table: d.table()}},
		jobs:  &dynamo.ImportJobs{Table: d.table()},
		log:   d.Logger,
	}
	return queue.Worker{Logger: d.Logger, Process: u.process}.Handle
}

// ChunkRecorder records an applied chunk on its import job, once per job
// and chunk (dynamo.ImportJobs).
type ChunkRecorder interface {
	ChunkDone(ctx context.Context, m merchant.ID, job string, seq int, c erp.Counts, rejects []erp.RowError) (first bool, err error)
}

// stockUpdate applies stock chunks.
type stockUpdate struct {
	stock erp.Applier
	jobs  ChunkRecorder
	log   *slog.Logger
}

// process applies one stock chunk message and records it.
func (u *stockUpdate) process(ctx context.Context, msg events.SQSMessage) error {
	c, err := DecodeChunk(msg.Body)
	if err != nil {
		return err
	}
	if c.Kind != erp.KindStock {
		return fmt.Errorf("%w: a chunk of %s sent to stock-update", queue.ErrPoison, c.Kind)
	}
	logging.SetMerchant(ctx, string(c.Merchant))
	counts, rejects, err := u.stock.Apply(ctx, c)
	if err != nil {
		return fmt.Errorf("apply stock chunk %d of job %s: %w", c.Seq, c.Job, err)
	}
	first, err := u.jobs.ChunkDone(ctx, c.Merchant, c.Job, c.Seq, counts, rejects)
	if err != nil {
		return fmt.Errorf("record stock chunk %d of job %s: %w", c.Seq, c.Job, err)
	}
	u.log.InfoContext(ctx, "ERP stock chunk applied", slog.String("job", c.Job), slog.Int("seq", c.Seq), slog.Int("records", len(c.Records)),
		slog.Bool("first", first), slog.Int("applied", counts.Applied), slog.Int("unchanged", counts.Unchanged), slog.Int("rejected", counts.Rejected))
	return nil
}
