package wiring_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/wiring"
)

// One batch holding a good chunk, the same chunk again, poison and a stock
// chunk: the good chunk applies and counts once, the stock chunk goes on to
// stock-update as it came, and only the poison is reported as failed.
func TestERPSync_ChunksApplyOnceAndPoisonFailsAlone(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	sqsc := testenv.SQS(t)
	ctx := context.Background()
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(testenv.UniqueName("stock-update"))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sqsc.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	env := map[string]string{
		"TABLE_NAME": tbl.Name, "STOCK_UPDATE_QUEUE_URL": aws.ToString(q.QueueUrl),
		"AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": testenv.Database(), "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.DynamoDBEndpointVar),
		"AWS_ENDPOINT_URL_SQS":      testenv.Endpoint(t, testenv.SQSEndpointVar),
	}
	d, err := wiring.Load(ctx, "erp-sync", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	jobs := &dynamo.ImportJobs{Table: tbl}
	job := erp.ImportJob{ID: erp.JobID("hydro/inbox/P_CATTARIF.csv", "e"), Merchant: "hydro", Key: "hydro/inbox/P_CATTARIF.csv", ETag: "e", ReceivedAt: time.Now(), Status: erp.StatusReceived}
	if _, err := jobs.Record(ctx, job); err != nil {
		t.Fatal(err)
	}
	stamp := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	good, _ := json.Marshal(erp.Chunk{Merchant: "hydro", Job: job.ID, Kind: erp.KindPriceCategories, Seq: 0, Records: []erp.Record{
		{Kind: erp.KindPriceCategories, Line: 2, Key: "1", Stamp: stamp, PriceCategory: &customer.PriceCategory{ID: "1", Name: "Revendeurs"}},
		{Kind: erp.KindPriceCategories, Line: 3, Key: "2", Stamp: stamp, PriceCategory: &customer.PriceCategory{ID: "2", Name: "Installateurs"}},
	}})
	stockChunk, _ := json.Marshal(erp.Chunk{Merchant: "hydro", Job: job.ID, Kind: erp.KindStock, Seq: 0, Records: []erp.Record{
		{Kind: erp.KindStock, Line: 2, Key: "P-1|1", Stamp: stamp, Stock: &stock.Level{Ref: "P-1", Warehouse: "1", OnHand: 4}},
	}})
	mixed, _ := json.Marshal(erp.Chunk{Merchant: "hydro", Job: job.ID, Kind: erp.KindPrices, Seq: 1, Records: []erp.Record{
		{Kind: erp.KindStock, Line: 2, Key: "P-1|1", Stamp: stamp, Stock: &stock.Level{Ref: "P-1", Warehouse: "1", OnHand: 4}},
	}})
	msgs := []events.SQSMessage{
		{MessageId: "good", Body: string(good)},
		{MessageId: "not-json", Body: "nope"},
		{MessageId: "good-again", Body: string(good)},
		{MessageId: "unknown-kind", Body: `{"merchant":"hydro","job":"` + job.ID + `","kind":"poems","seq":0,"records":[{"kind":"poems"}]}`},
		{MessageId: "bad-merchant", Body: `{"merchant":"a#b","job":"` + job.ID + `","kind":"reps","seq":0,"records":[{"kind":"reps"}]}`},
		{MessageId: "mixed-kinds", Body: string(mixed)},
		{MessageId: "stock", Body: string(stockChunk)},
	}
	resp, err := wiring.ERPSync(d)(ctx, events.SQSEvent{Records: msgs})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	slices.Sort(failed)
	if want := []string{"bad-merchant", "mixed-kinds", "not-json", "unknown-kind"}; !slices.Equal(failed, want) {
		t.Errorf("failed %v, want only the poison %v", failed, want)
	}
	got, err := jobs.Job(ctx, "hydro", job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ChunksDone != 1 || got.Applied != 2 {
		t.Errorf("job %+v, want the chunk counted once with its 2 rows applied", got)
	}
	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != string(stockChunk) {
		t.Errorf("stock-update queue holds %d messages, want the stock chunk as it came", len(out.Messages))
	}
}
