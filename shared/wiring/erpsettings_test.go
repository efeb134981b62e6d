package wiring_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/wiring"
)

// erpPipeline is erp-ingest and erp-sync over one table, bucket and
// erp-sync queue of the local stack; pump carries the queue's messages to
// erp-sync, as the event source mapping does.
type erpPipeline struct {
	*ingestEnv
	sqs    *sqs.Client
	queue  string
	ingest wiring.QueueHandler
	sync   wiring.QueueHandler
	// delivered are every erp-sync message carried so far.
	delivered []string
	n         int
}

func newERPPipeline(t *testing.T) *erpPipeline {
	t.Helper()
	e := newIngestEnv(t)
	sqsc := testenv.SQS(t)
	ctx := context.Background()
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(testenv.UniqueName("erp-sync"))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sqsc.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	env := map[string]string{
		"TABLE_NAME": e.table.Name, "ERP_BUCKET": e.bucket, "S3_PATH_STYLE": "true",
		"ERP_SYNC_QUEUE_URL": aws.ToString(q.QueueUrl), "STOCK_UPDATE_QUEUE_URL": aws.ToString(q.QueueUrl),
		"AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": testenv.Database(), "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.DynamoDBEndpointVar),
		"AWS_ENDPOINT_URL_S3":       testenv.Endpoint(t, testenv.SQSEndpointVar),
		"AWS_ENDPOINT_URL_SQS":      testenv.Endpoint(t, testenv.SQSEndpointVar),
	}
	p := &erpPipeline{ingestEnv: e, sqs: sqsc, queue: aws.ToString(q.QueueUrl)}
	load := func(name string) wiring.Deps {
		d, err := wiring.Load(ctx, name, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	p.ingest, p.sync = wiring.ERPIngest(load("erp-ingest")), wiring.ERPSync(load("erp-sync"))
	// The merchant's categories.
	cats := erp.Chunk{Merchant: "hydro", Job: "setup", Kind: erp.KindCategories, Records: []erp.Record{
		{Kind: erp.KindCategories, Line: 2, Key: "POMPES", Stamp: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			Category: &catalog.Category{ID: "POMPES", Names: map[string]string{"fr": "Pompes"}}},
	}}
	if _, _, err := (dynamo.ERPCatalog{Table: e.table}).Apply(ctx, cats); err != nil {
		t.Fatal(err)
	}
	return p
}

// drop puts a file in the merchant's inbox, delivers its notification to
// erp-ingest, then every message of the erp-sync queue to erp-sync, until
// the queue is empty, and returns the file's job.
func (p *erpPipeline) drop(t *testing.T, name, content string) erp.ImportJob {
	t.Helper()
	ev := p.put(t, "hydro/inbox/"+name, content)
	p.n++
	if deliver(t, p.ingest, fmt.Sprintf("n%d", p.n), notification(ev)) {
		t.Fatalf("%s: erp-ingest reported a failure", name)
	}
	p.pump(t)
	job, err := (&dynamo.ImportJobs{Table: p.table}).Job(context.Background(), "hydro", erp.JobID(ev.Key, ev.ETag))
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// pump carries the erp-sync queue's messages to erp-sync until none is
// left.
func (p *erpPipeline) pump(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for {
		out, err := p.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(p.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return
		}
		var batch []events.SQSMessage
		for _, m := range out.Messages {
			batch = append(batch, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
			p.delivered = append(p.delivered, aws.ToString(m.Body))
		}
		resp, err := p.sync(ctx, events.SQSEvent{Records: batch})
		if err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("erp-sync: %v %+v", err, resp.BatchItemFailures)
		}
		for _, m := range out.Messages {
			if _, err := p.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(p.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// nextSecond waits (polling the clock, at most 2 s) until the bucket's
// next upload is stamped after the previous one: S3 stamps objects to
// the second.
func nextSecond(t *testing.T, after time.Time) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !time.Now().Truncate(time.Second).After(after.Truncate(time.Second)) {
		if time.Now().After(deadline) {
			t.Fatal("the clock does not move")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *erpPipeline) product(t *testing.T, ref string) catalog.Product {
	t.Helper()
	prod, err := (&dynamo.Catalog{Table: p.table}).Product(context.Background(), "hydro", ref)
	if err != nil {
		t.Fatalf("product %s: %v", ref, err)
	}
	return prod
}

// A file whose header uses the merchant's own column names is refused,
// naming the columns it lacks, until staff save the mapping; then a file
// with that header applies.
func TestERPPipeline_TheMerchantsOwnColumnNamesApplyOnceSaved(t *testing.T) {
	t.Parallel()
	p := newERPPipeline(t)
	file := "Code;Libellé;Famille;Prix\nPMP-1;Pompe doseuse;POMPES;120,50\nPMP-2;Pompe vide-cave;POMPES;89,90\n"
	job := p.drop(t, "products-maison.csv", file)
	if job.Status != erp.StatusFailed || job.Reason != erp.ReasonBadHeader ||
		!strings.Contains(job.Detail, "ref") || !strings.Contains(job.Detail, "category") || !strings.Contains(job.Detail, "basePrice") {
		t.Fatalf("before the mapping: job %+v, want bad-header naming ref, category, basePrice", job)
	}
	if _, err := (&dynamo.ERPSettings{Table: p.table}).UpdateSettings(context.Background(), "hydro", func(s *erp.Settings) error {
		s.Kinds[erp.KindProducts] = erp.KindSettings{Mapping: map[string]string{"ref": "Code", "name.fr": "Libellé", "category": "Famille", "basePrice": "Prix"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	job = p.drop(t, "products-maison-2.csv", file)
	if job.Status != erp.StatusApplied || job.Applied != 2 || job.Rejected != 0 {
		t.Fatalf("after the mapping: job %+v", job)
	}
	if prod := p.product(t, "PMP-1"); prod.Names["fr"] != "Pompe doseuse" || prod.BasePrice.String() != "120.5" || prod.CategoryID != "POMPES" {
		t.Errorf("PMP-1 %+v", prod)
	}
}

// With the setting on, a full products file without X puts X to sleep and
// says so on its job; a delta never does; with the setting off a full
// file does not either; every erp-sync message delivered again changes
// nothing.
func TestERPPipeline_AFullFileMarksWhatItLacksInactiveOnlyWhenTheSettingIsOn(t *testing.T) {
	t.Parallel()
	p := newERPPipeline(t)
	settings := &dynamo.ERPSettings{Table: p.table}
	set := func(on bool) {
		if _, err := settings.UpdateSettings(context.Background(), "hydro", func(s *erp.Settings) error {
			s.Kinds[erp.KindProducts] = erp.KindSettings{DeactivateMissing: on}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Rows carry the ERP's own modification stamps, long before the files.
	row := func(ref string) string { return ref + ";Article " + ref + ";POMPES;10,00;2026-11-02 10:00:00\n" }
	header := "ref;name.fr;category;basePrice;stamp\n"
	set(true)
	first := p.drop(t, "products-full-1.csv", header+row("A")+row("B")+row("X"))
	if first.Status != erp.StatusApplied || first.Applied != 3 || !first.DeactivateMissing || first.Sweep == nil || first.Sweep.Deactivated != 0 {
		t.Fatalf("first full file: %+v", first)
	}
	nextSecond(t, first.FileStamp)
	full := p.drop(t, "products-full-2.csv", header+row("A")+row("B"))
	if !p.product(t, "X").Inactive || p.product(t, "A").Inactive || p.product(t, "B").Inactive {
		t.Fatalf("X %v A %v B %v, want X alone inactive", p.product(t, "X").Inactive, p.product(t, "A").Inactive, p.product(t, "B").Inactive)
	}
	if full.Sweep == nil || full.Sweep.Deactivated != 1 || full.Unchanged != 2 {
		t.Errorf("full file's job: %+v sweep %+v", full, full.Sweep)
	}

	// A delta without B: B stays.
	nextSecond(t, full.FileStamp)
	delta := p.drop(t, "products-delta.csv", header+row("A"))
	if p.product(t, "B").Inactive || delta.DeactivateMissing || delta.Sweep != nil {
		t.Errorf("a delta deactivated: B %v, job %+v", p.product(t, "B").Inactive, delta)
	}
	// The setting off: a full file without B leaves it.
	set(false)
	nextSecond(t, delta.FileStamp)
	off := p.drop(t, "products-full-3.csv", header+row("A"))
	if p.product(t, "B").Inactive || off.DeactivateMissing || off.Sweep != nil {
		t.Errorf("setting off: B %v, job %+v", p.product(t, "B").Inactive, off)
	}

	// Every erp-sync message again: nothing changes.
	before := scanTable(t, p.table)
	for i, body := range p.delivered {
		if deliver(t, p.sync, fmt.Sprintf("again-%d", i), body) {
			t.Fatalf("message %d again failed", i)
		}
	}
	if after := scanTable(t, p.table); !reflect.DeepEqual(before, after) {
		t.Error("the messages delivered again changed the table")
	}
}

// scanTable is every item's document and stamps, by key (tests only).
func scanTable(t *testing.T, tbl dynamo.Table) map[string]string {
	t.Helper()
	out := map[string]string{}
	pages := dynamodb.NewScanPaginator(tbl.Client, &dynamodb.ScanInput{TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, av := range page.Items {
			keys := make([]string, 0, len(av))
			for k := range av {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			var b strings.Builder
			for _, k := range keys {
				switch v := av[k].(type) {
				case *types.AttributeValueMemberS:
					fmt.Fprintf(&b, "%s=S:%s;", k, v.Value)
				case *types.AttributeValueMemberN:
					fmt.Fprintf(&b, "%s=N:%s;", k, v.Value)
				default:
					fmt.Fprintf(&b, "%s=%T;", k, v)
				}
			}
			pk, _ := av["PK"].(*types.AttributeValueMemberS)
			sk, _ := av["SK"].(*types.AttributeValueMemberS)
			out[pk.Value+"|"+sk.Value] = b.String()
		}
	}
	return out
}

// A sweep request (what erp-ingest sends after recording the stream of a
// full file that deactivates) runs the sweep when every chunk was applied
// before the stream was recorded, once; before that it does nothing, and
// a request that names no merchant's data is poison.
func TestERPSync_ASweepRequestRunsTheSweepOnceItsChunksAreApplied(t *testing.T) {
	t.Parallel()
	p := newERPPipeline(t)
	ctx := context.Background()
	old := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	prod := func(ref string) erp.Record {
		return erp.Record{Kind: erp.KindProducts, Line: 2, Key: ref, Stamp: old, Product: &catalog.Product{Ref: ref, CategoryID: "POMPES",
			Names: map[string]string{"fr": ref}, Currency: "EUR"}}
	}
	if _, _, err := (dynamo.ERPCatalog{Table: p.table}).Apply(ctx, erp.Chunk{Merchant: "hydro", Job: "d0", Kind: erp.KindProducts,
		Records: []erp.Record{prod("A"), prod("X")}}); err != nil {
		t.Fatal(err)
	}
	jobs := &dynamo.ImportJobs{Table: p.table}
	key := "hydro/inbox/products-full.csv"
	job := erp.ImportJob{ID: erp.JobID(key, "e"), Merchant: "hydro", Bucket: p.bucket, Key: key, ETag: "e", ReceivedAt: time.Now(), Status: erp.StatusReceived}
	if _, err := jobs.Record(ctx, job); err != nil {
		t.Fatal(err)
	}
	request := fmt.Sprintf(`{"sweep":{"merchant":"hydro","job":%q,"kind":"products"}}`, job.ID)
	if deliver(t, p.sync, "early", request) {
		t.Fatal("a request for a job not streamed yet failed")
	}
	stamp := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	full := erp.Chunk{Merchant: "hydro", Job: job.ID, Kind: erp.KindProducts, Full: true, DeactivateMissing: true, FileStamp: stamp,
		Records: []erp.Record{prod("A")}}
	counts, rejects, err := (dynamo.ERPCatalog{Table: p.table}).Apply(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.ChunkDone(ctx, "hydro", job.ID, 0, counts, rejects); err != nil {
		t.Fatal(err)
	}
	if p.product(t, "X").Inactive {
		t.Fatal("X asleep before the sweep")
	}
	if err := jobs.Streamed(ctx, "hydro", job.ID, erp.StreamSummary{Kind: erp.KindProducts, Full: true, DeactivateMissing: true, FileStamp: stamp,
		Received: 1, Chunks: 1, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // delivered twice
		if deliver(t, p.sync, fmt.Sprintf("sweep-%d", i), request) {
			t.Fatal("the sweep request failed")
		}
	}
	got, err := jobs.Job(ctx, "hydro", job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !p.product(t, "X").Inactive || p.product(t, "A").Inactive || got.Sweep == nil || got.Sweep.Deactivated != 1 {
		t.Errorf("X %v A %v, job's sweep %+v", p.product(t, "X").Inactive, p.product(t, "A").Inactive, got.Sweep)
	}
	if !deliver(t, p.sync, "poison", `{"sweep":{"merchant":"a#b","job":"j","kind":"products"}}`) {
		t.Error("a sweep request of no merchant was not reported as failed")
	}
}
