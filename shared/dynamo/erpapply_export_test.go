package dynamo

import (
	"context"

	"github.com/comptoir/comptoir/shared/erp"
)

// ERPWrite lets the engine's tests build writes of their own documents.
type ERPWrite = erpWrite

// ApplyERP runs the engine of ERP imports on writes.
func (t Table) ApplyERP(ctx context.Context, job string, writes []ERPWrite) (erp.Counts, []erp.RowError, error) {
	return t.applyERP(ctx, job, writes)
}
