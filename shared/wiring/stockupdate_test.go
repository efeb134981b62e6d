package wiring_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/wiring"
)

// The stock-update worker applies a stock chunk forwarded by erp-sync and
// records it on its job; the same message again changes nothing and
// counts nothing; a message that is not a stock chunk fails alone.
func TestStockUpdate_AppliesStockChunksOnceAndRecordsThem(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: tbl}
	if err := acc.Save(ctx, acc.NewBatch("hydro").Warehouse(stock.Warehouse{ID: "1", Name: "Lyon", Country: "FR"}).
		StockLevel(stock.Level{Ref: "VIS-M6", Warehouse: "1", OnHand: 40, Min: 5, Max: 60})); err != nil {
		t.Fatal(err)
	}
	jobs := &dynamo.ImportJobs{Table: tbl}
	if _, err := jobs.Record(ctx, erp.ImportJob{ID: "job-1", Merchant: "hydro", Key: "hydro/inbox/F_ARTSTOCK.csv", Status: "received",
		ReceivedAt: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	handle := wiring.StockUpdate(wiring.Deps{Env: wiring.Env{Function: "stock-update", TableName: tbl.Name}, DynamoDB: tbl.Client,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	stamp := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	chunk := erp.Chunk{Merchant: "hydro", Job: "job-1", Kind: erp.KindStock, Seq: 0, Records: []erp.Record{
		{Kind: erp.KindStock, Line: 2, Stamp: stamp, Key: "VIS-M6|1", Stock: &stock.Level{Ref: "VIS-M6", Warehouse: "1", OnHand: 3, Min: 5, Max: 60}},
		{Kind: erp.KindStock, Line: 3, Stamp: stamp, Key: "ECROU|1", Stock: &stock.Level{Ref: "ECROU", Warehouse: "1", OnHand: 12}},
		{Kind: erp.KindStock, Line: 4, Stamp: stamp, Key: "BAD REF|1", Stock: &stock.Level{Ref: "BAD REF", Warehouse: "1", OnHand: 1}},
	}}
	body, err := json.Marshal(chunk)
	if err != nil {
		t.Fatal(err)
	}
	products, _ := json.Marshal(erp.Chunk{Merchant: "hydro", Job: "job-1", Kind: erp.KindProducts, Seq: 1, Records: []erp.Record{{Kind: erp.KindProducts, Line: 2}}})
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: string(body)},
		{MessageId: "m2", Body: "not a chunk"},
		{MessageId: "m3", Body: string(products)},
		{MessageId: "m4", Body: string(body)}, // delivered twice in one batch
	}}
	for range 2 { // and the whole batch again
		resp, err := handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 2 || resp.BatchItemFailures[0].ItemIdentifier != "m2" || resp.BatchItemFailures[1].ItemIdentifier != "m3" {
			t.Fatalf("failures = %+v, want m2 and m3", resp.BatchItemFailures)
		}
	}
	job, err := jobs.Job(ctx, "hydro", "job-1")
	if err != nil {
		t.Fatal(err)
	}
	if job.Applied != 2 || job.Unchanged != 0 || job.Rejected != 1 || job.ChunksDone != 1 {
		t.Errorf("job = applied %d, unchanged %d, rejected %d, chunks done %d; want 2, 0, 1, 1", job.Applied, job.Unchanged, job.Rejected, job.ChunksDone)
	}
	levels, err := (&dynamo.Orders{Table: tbl}).Levels(ctx, "hydro", []string{"VIS-M6", "ECROU"})
	if err != nil {
		t.Fatal(err)
	}
	if l := levels["VIS-M6"]; len(l) != 1 || l[0].OnHand != 3 || l[0].Available() != 3 {
		t.Errorf("VIS-M6 = %+v", l)
	}
	if l := levels["ECROU"]; len(l) != 1 || l[0].OnHand != 12 {
		t.Errorf("ECROU = %+v", l)
	}
	alerts, err := (&dynamo.StockAlerts{Table: tbl}).List(ctx, "hydro")
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Ref != "VIS-M6" || alerts[0].Reorder != 57 {
		t.Errorf("alerts = %+v, want VIS-M6's, reorder 57", alerts)
	}
	diffs, err := (&dynamo.ERPStock{Table: tbl}).Differences(ctx, "hydro")
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 1 || diffs[0].Ref != "VIS-M6" || diffs[0].Theoretical != 40 || diffs[0].Difference != -37 {
		t.Errorf("differences = %+v", diffs)
	}
}
