package wiring

import (
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/queue"
)

// ERPIngest builds the function fed by the ERP bucket's object-created
// notifications: it records an import job for every file dropped.
func ERPIngest(d Deps) QueueHandler {
	in := &erp.Ingest{Jobs: &dynamo.ImportJobs{Table: d.table()}}
	return queue.Worker{Logger: d.Logger, Process: in.Process}.Handle
}
