package erp

import (
	"context"
	"fmt"
	"time"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Full files that deactivate what they lack ("the sweep"). When the
// merchant's settings ask it for the file's kind (Settings.Deactivates),
// a full file's chunks carry DeactivateMissing and the file's stamp: each
// item a row names is marked as seen by the file. Once every chunk is
// applied, the sweep (Sweeper) reads the kind's items of the merchant page
// by page and marks inactive those the ERP wrote, not seen by a full file
// at least as recent, and last written by an older row: products "en
// sommeil" (catalog.Product.Inactive), customers dormant
// (customer.Customer.Dormant). The job records how many it deactivated.
//
// Whoever sees the last of the two events runs it: erp-sync after the
// last chunk is counted (when the stream is recorded), or the sweep
// request erp-ingest sends after recording the stream (when the chunks
// were all applied before). A sweep run twice deactivates nothing more,
// and its count is recorded once.

// SweepRequest asks erp-sync to run the sweep of a job once its chunks are
// all applied: the message erp-ingest sends after streaming a full file
// that deactivates (SweepMessage).
type SweepRequest struct {
	Merchant merchant.ID `json:"merchant"`
	Job      string      `json:"job"`
	Kind     Kind        `json:"kind"`
}

// SweepMessage is the body of a sweep request on the erp-sync queue,
// beside the chunks.
type SweepMessage struct {
	Sweep *SweepRequest `json:"sweep"`
}

// SweepResult is what the sweep of a full file did, recorded on its job.
type SweepResult struct {
	// Deactivated counts the items the sweep marked inactive.
	Deactivated int `json:"deactivated"`
	// Skipped says why the sweep did not run (a file with rejected
	// rows...); nothing was deactivated.
	Skipped string    `json:"skipped,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// SweepSender sends a sweep request to erp-sync.
type SweepSender interface {
	SendSweep(ctx context.Context, r SweepRequest) error
}

// Sweeper marks inactive the items of kind the merchant's ERP wrote that
// a full file of stamp did not hold (dynamo.ERPSweep): those whose ERP
// stamp is older than stamp and that no full file of stamp or later saw,
// each with a write conditioned on what it read, so that a newer row
// written meanwhile wins. It returns how many items the sweep of job
// deactivated, counting those an earlier run of the same sweep did.
type Sweeper interface {
	Sweep(ctx context.Context, m merchant.ID, kind Kind, job string, stamp time.Time) (deactivated int, err error)
}

// SweepStore is what the sweep needs from the import jobs.
type SweepStore interface {
	// Job returns a recorded job (ErrNoJob when none).
	Job(ctx context.Context, m merchant.ID, id string) (ImportJob, error)
	// Swept records the sweep's result on the job, unless one was
	// recorded before.
	Swept(ctx context.Context, m merchant.ID, id string, r SweepResult) error
}

// SweepSkipReason says why a full file that asked to deactivate what it
// lacks deactivates nothing, "" when its sweep is to run: a file with
// rejected rows (a row refused for a typo would otherwise put its item to
// sleep) or without rows (an empty export would put everything to sleep).
func SweepSkipReason(s StreamSummary) string {
	switch {
	case !s.DeactivateMissing || s.Reason != "":
		return ""
	case s.Received == 0:
		return "the full file holds no row: nothing is marked inactive"
	case s.Rejected > 0:
		return fmt.Sprintf("the full file has %d rejected rows: nothing is marked inactive, so that a row refused for a typo does not put its item to sleep; fix them and drop the file again", s.Rejected)
	}
	return ""
}

// FinishSweep runs the sweep of job, when its file deactivates what it
// lacks, its stream is recorded, every chunk is applied and no sweep was
// recorded, and records the result: ran says whether it did. It reads the
// job once (strongly consistent) and does nothing more otherwise, so that
// it may be called after every chunk and on every sweep request.
func FinishSweep(ctx context.Context, jobs SweepStore, sw Sweeper, m merchant.ID, id string, now time.Time) (res SweepResult, ran bool, err error) {
	job, err := jobs.Job(ctx, m, id)
	if err != nil {
		return SweepResult{}, false, fmt.Errorf("read import job %s: %w", id, err)
	}
	if !job.DeactivateMissing || job.Sweep != nil || job.Status != StatusApplied || job.FileStamp.IsZero() || !DeactivatableKind(job.Kind) {
		return SweepResult{}, false, nil
	}
	n, err := sw.Sweep(ctx, m, job.Kind, job.ID, job.FileStamp)
	if err != nil {
		return SweepResult{}, false, fmt.Errorf("sweep the %s of import job %s: %w", job.Kind, id, err)
	}
	res = SweepResult{Deactivated: n, At: now.UTC()}
	if err := jobs.Swept(ctx, m, id, res); err != nil {
		return SweepResult{}, false, fmt.Errorf("record the sweep of import job %s: %w", id, err)
	}
	return res, true, nil
}
