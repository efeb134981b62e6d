package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/erpfile"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing/benchdata"
	"github.com/comptoir/comptoir/shared/samtemplate"
)

// Flags of the ERP import measurement.
var (
	erpRows    = flag.Int("erp-rows", 100000, "rows of the Sage price file imported (customer prices, at most 100 customers × 1,000 products)")
	erpWorkers = flag.Int("erp-workers", 8, "chunks applied at once (erp-sync's concurrency), and writers of the raw BatchWriteItem beside it")
	skipERP    = flag.Bool("skip-erp", false, "skip the ERP import measurement")
)

// erpHeader is the header of a Sage 100 F_ARTCLIENT export.
const erpHeader = "AR_Ref;AC_Categorie;CT_Num;AC_PrixVen;AC_Remise;AC_QteMont;cbModification\r\n"

// ERPReport is a Sage price file imported through the pipeline's code
// (erpfile, erp.Importer's chunks, dynamo.ERPCatalog, ImportJobs.ChunkDone)
// next to raw BatchWriteItem of the same items in the same run, and
// erp-ingest's peak memory streaming files of 1× and 10× the rows.
type ERPReport struct {
	Endpoint string `json:"dynamodbEndpoint"`
	Rows     int    `json:"rows"`
	Workers  int    `json:"workers"`
	// Counts are what the import's chunks did.
	Counts        erp.Counts `json:"counts"`
	Chunks        int        `json:"chunks"`
	ImportSeconds float64    `json:"importSeconds"`
	ImportRowsPS  float64    `json:"importRowsPerSecond"`
	// RawItems are the customer price items the import wrote, written
	// again with BatchWriteItem (25 a call, Workers at once) to a fresh
	// table.
	RawItems   int     `json:"rawItems"`
	RawSeconds float64 `json:"rawSeconds"`
	RawItemsPS float64 `json:"rawItemsPerSecond"`
	// Ratio is ImportRowsPS / RawItemsPS (target ≥ 0.8).
	Ratio float64 `json:"ratio"`
	// PeakHeap1x and PeakHeap10x are the largest heap in use (sampled
	// every 5 ms) while erp-ingest's streaming read a file of Rows and of
	// 10 × Rows rows, its chunks discarded: flat when they are alike.
	PeakHeap1x  uint64 `json:"peakHeap1x"`
	PeakHeap10x uint64 `json:"peakHeap10x"`
}

// benchERP runs the ERP import measurement on fresh tables.
func benchERP(ctx context.Context, o options) (*ERPReport, func(), error) {
	tpl, err := samtemplate.Load(o.template)
	if err != nil {
		return nil, nil, err
	}
	client := localaws.DynamoDB(o.dynamodb, dynamo.CountRoundTrips, localaws.LambdaLikeRetries)
	name := "bench-erp-" + fmt.Sprint(time.Now().UnixNano())
	cl, err := sectionTable(ctx, client, tpl, name)
	if err != nil {
		return nil, nil, fmt.Errorf("erp: %w", err)
	}
	rows := min(max(*erpRows, 1), benchdata.Customers*benchdata.Products)
	rep := &ERPReport{Endpoint: o.dynamodb, Rows: rows, Workers: max(*erpWorkers, 1)}
	tbl := dynamo.Table{Client: client, Name: name}

	d := benchdata.Generate(benchSeed)
	cat := &dynamo.Catalog{Table: tbl}
	if err := cat.SaveCategories(ctx, benchMerchant, d.Categories); err != nil {
		return nil, cl.run, fmt.Errorf("erp: categories: %w", err)
	}
	// 50 products a call, each call tried again (a product save is a
	// transaction, which DynamoDB Local can time out on a busy machine).
	for start := 0; start < len(d.Products); start += 50 {
		batch := d.Products[start:min(start+50, len(d.Products))]
		if err := cat.SaveProducts(ctx, benchMerchant, batch); err == nil {
			continue
		}
		for _, p := range batch {
			var err error
			for range 5 {
				if err = cat.SaveProducts(ctx, benchMerchant, []catalog.Product{p}); err == nil {
					break
				}
			}
			if err != nil {
				return nil, cl.run, fmt.Errorf("erp: product %s: %w", p.Ref, err)
			}
		}
	}
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch(benchMerchant).Merchant(dynamo.Merchant{ID: benchMerchant, Name: "Bench", Country: "FR", DefaultLanguage: "fr", Currency: benchdata.Currency})
	for _, c := range d.Customers {
		b.Customer(c)
	}
	if err := acc.Save(ctx, b); err != nil {
		return nil, cl.run, fmt.Errorf("erp: accounts: %w", err)
	}
	customers := make([]string, len(d.Customers))
	for i, c := range d.Customers {
		customers[i] = c.ID
	}
	refs := make([]string, len(d.Products))
	for i, p := range d.Products {
		refs[i] = p.Ref
	}

	// The import: the file streamed, its chunks applied as erp-sync
	// applies them, Workers at once, each counted on the job.
	file := priceFile(rows, refs, customers)
	jobs := &dynamo.ImportJobs{Table: tbl}
	key := string(benchMerchant) + "/inbox/F_ARTCLIENT_bench.csv"
	job := erp.ImportJob{ID: erp.JobID(key, "bench"), Merchant: benchMerchant, Bucket: "bench", Key: key, File: path.Base(key),
		ETag: "bench", Size: int64(len(file)), ReceivedAt: time.Now().UTC(), Status: erp.StatusReceived}
	if _, err := jobs.Record(ctx, job); err != nil {
		return nil, cl.run, fmt.Errorf("erp: job: %w", err)
	}
	apply := &applySender{catalog: dynamo.ERPCatalog{Table: tbl}, jobs: jobs}
	im := &erp.Importer{Jobs: jobs, Files: memFiles{body: file}, Open: openBenchFile, Chunks: apply, Senders: rep.Workers}
	logf("erp: importing a %d-row Sage price file (%.1f MB)", rows, float64(len(file))/(1<<20))
	t0 := time.Now()
	sum, _, err := im.Import(ctx, job, true)
	if err != nil {
		return nil, cl.run, fmt.Errorf("erp: import: %w", err)
	}
	rep.ImportSeconds = time.Since(t0).Seconds()
	rep.ImportRowsPS = float64(rows) / rep.ImportSeconds
	rep.Chunks = sum.Chunks
	rep.Counts = apply.counts()
	logf("erp: imported %d rows in %.1f s (%.0f rows/s): %+v", rows, rep.ImportSeconds, rep.ImportRowsPS, rep.Counts)

	// Raw: the same items, read back, written again with BatchWriteItem
	// to a fresh table.
	items, err := customerPriceItems(ctx, client, name, customers)
	if err != nil {
		return nil, cl.run, fmt.Errorf("erp: read back: %w", err)
	}
	rawName := name + "-raw"
	rawCl, err := sectionTable(ctx, client, tpl, rawName)
	if err != nil {
		return nil, cl.run, fmt.Errorf("erp: %w", err)
	}
	cl.add(rawCl.run)
	t0 = time.Now()
	if err := batchWrite(ctx, client, rawName, items, rep.Workers); err != nil {
		return nil, cl.run, fmt.Errorf("erp: raw batch write: %w", err)
	}
	rep.RawItems = len(items)
	rep.RawSeconds = time.Since(t0).Seconds()
	rep.RawItemsPS = float64(len(items)) / rep.RawSeconds
	rep.Ratio = ratio(rep.ImportRowsPS, rep.RawItemsPS)
	logf("erp: raw BatchWriteItem of %d items in %.1f s (%.0f items/s); import/raw %.2f", len(items), rep.RawSeconds, rep.RawItemsPS, rep.Ratio)

	// Peak memory of the streaming alone, on 1× and 10× the rows.
	for _, c := range []struct {
		rows int
		peak *uint64
	}{{rows, &rep.PeakHeap1x}, {10 * rows, &rep.PeakHeap10x}} {
		p, err := streamPeak(ctx, c.rows, refs, customers)
		if err != nil {
			return nil, cl.run, fmt.Errorf("erp: stream %d rows: %w", c.rows, err)
		}
		*c.peak = p
		logf("erp: streaming %d rows peaked at %s of heap", c.rows, mb(int64(p)))
	}
	return rep, cl.run, nil
}

// priceRow is row i of a generated F_ARTCLIENT file: a customer's price of
// a product, customer by customer.
func priceRow(i int, refs, customers []string) string {
	ref := refs[i%len(refs)]
	c := customers[(i/len(refs))%len(customers)]
	return fmt.Sprintf("%s;0;%s;%d,%02d;0;0;2026-12-02 10:00:00\r\n", ref, c, 5+i%90, i%100)
}

// priceFile is a generated F_ARTCLIENT file of n rows.
func priceFile(n int, refs, customers []string) []byte {
	var b bytes.Buffer
	b.WriteString(erpHeader)
	for i := range n {
		b.WriteString(priceRow(i, refs, customers))
	}
	return b.Bytes()
}

// rowsReader generates a file of n rows as it is read, never whole.
type rowsReader struct {
	n, i      int
	refs, cus []string
	buf       []byte
}

func (r *rowsReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i <= r.n {
		if r.i == 0 {
			r.buf = append(r.buf, erpHeader...)
		} else {
			r.buf = append(r.buf, priceRow(r.i-1, r.refs, r.cus)...)
		}
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// openBenchFile opens a file as erp-ingest does (wiring's erpfile adapter).
func openBenchFile(r io.Reader, name string, stamp time.Time) (erp.OpenedFile, error) {
	kind, profile, full, ok := erpfile.Route(path.Base(name))
	if !ok {
		return erp.OpenedFile{}, fmt.Errorf("%w: %s", erp.ErrUnknownFile, name)
	}
	rd, err := erpfile.NewReader(r, erpfile.Source{Name: name, Kind: kind, Profile: profile, Stamp: stamp})
	if errors.Is(err, erpfile.ErrBadHeader) {
		return erp.OpenedFile{}, fmt.Errorf("%w: %w", erp.ErrBadHeader, err)
	}
	if err != nil {
		return erp.OpenedFile{}, err
	}
	return erp.OpenedFile{Rows: rd, Kind: rd.Kind(), Profile: string(profile), Full: full}, nil
}

// memFiles serves one file from memory (or a generator) and drops the
// report.
type memFiles struct {
	body []byte
	gen  io.Reader
}

func (f memFiles) Open(context.Context, string, string, string) (io.ReadCloser, time.Time, error) {
	if f.gen != nil {
		return io.NopCloser(f.gen), time.Now(), nil
	}
	return io.NopCloser(bytes.NewReader(f.body)), time.Now(), nil
}

func (memFiles) PutReport(context.Context, string, string, []byte) error { return nil }

// applySender applies each chunk as erp-sync does: the catalog applier,
// then the chunk counted on its job.
type applySender struct {
	catalog dynamo.ERPCatalog
	jobs    *dynamo.ImportJobs
	mu      sync.Mutex
	total   erp.Counts
}

func (s *applySender) SendChunk(ctx context.Context, c erp.Chunk) error {
	counts, rejects, err := s.catalog.Apply(ctx, c)
	if err != nil {
		return err
	}
	if _, err := s.jobs.ChunkDone(ctx, c.Merchant, c.Job, c.Seq, counts, rejects); err != nil {
		return err
	}
	s.mu.Lock()
	s.total = s.total.Add(counts)
	s.mu.Unlock()
	return nil
}

func (s *applySender) counts() erp.Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// discardSender drops chunks, counting them.
type discardSender struct{ n atomic.Int64 }

func (s *discardSender) SendChunk(context.Context, erp.Chunk) error { s.n.Add(1); return nil }

// streamPeak streams a generated file of n rows through erp.Importer, its
// chunks discarded, and returns the peak heap in use meanwhile.
func streamPeak(ctx context.Context, n int, refs, customers []string) (uint64, error) {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	st := &summaryOnly{}
	im := &erp.Importer{Jobs: st, Files: memFiles{gen: &rowsReader{n: n, refs: refs, cus: customers}}, Open: openBenchFile, Chunks: &discardSender{}}
	job := erp.ImportJob{ID: "stream", Merchant: benchMerchant, Key: "bench/inbox/F_ARTCLIENT_stream.csv", File: "F_ARTCLIENT_stream.csv", Status: erp.StatusReceived}
	sum, _, err := im.Import(ctx, job, true)
	close(done)
	wg.Wait()
	if err == nil && sum.Received != n {
		err = fmt.Errorf("streamed %d rows, want %d", sum.Received, n)
	}
	return peak.Load(), err
}

// summaryOnly is a job store that keeps nothing.
type summaryOnly struct{}

func (summaryOnly) Job(ctx context.Context, m merchant.ID, id string) (erp.ImportJob, error) {
	return erp.ImportJob{ID: id, Merchant: m, Status: erp.StatusReceived}, nil
}

func (summaryOnly) Streamed(context.Context, merchant.ID, string, erp.StreamSummary) error {
	return nil
}

// customerPriceItems reads back the customer price items of customers
// (Query of each customer's partition, begins_with PRICE#).
func customerPriceItems(ctx context.Context, client *dynamodb.Client, table string, customers []string) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for _, c := range customers {
		p := dynamodb.NewQueryPaginator(client, &dynamodb.QueryInput{
			TableName:              aws.String(table),
			KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: "M#" + string(benchMerchant) + "#C#" + c},
				":sk": &types.AttributeValueMemberS{Value: "PRICE#"},
			},
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			items = append(items, out.Items...)
		}
	}
	return items, nil
}

// batchWrite puts items with BatchWriteItem, 25 a call, workers at once,
// retrying what DynamoDB leaves unprocessed.
func batchWrite(ctx context.Context, client *dynamodb.Client, table string, items []map[string]types.AttributeValue, workers int) error {
	batches := make(chan []types.WriteRequest)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range workers {
		wg.Go(func() {
			for reqs := range batches {
				pending := map[string][]types.WriteRequest{table: reqs}
				for len(pending[table]) > 0 {
					out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
					if err != nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
						break
					}
					pending = out.UnprocessedItems
				}
			}
		})
	}
	for start := 0; start < len(items); start += 25 {
		reqs := make([]types.WriteRequest, 0, 25)
		for _, it := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		batches <- reqs
	}
	close(batches)
	wg.Wait()
	return firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// erpTargets checks the import's rate against raw BatchWriteItem and
// erp-ingest's memory on a file 10× larger.
func erpTargets(e *ERPReport) []Target {
	return []Target{
		{Name: "ERP price file import vs raw BatchWriteItem", Goal: "at least 0.8× the raw items per second",
			Measured: fmt.Sprintf("%.0f rows/s vs %.0f items/s: %.2f×", e.ImportRowsPS, e.RawItemsPS, e.Ratio), Met: e.Ratio >= 0.8},
		{Name: "erp-ingest peak heap on a 10× file", Goal: "flat: within 1.5× the 1× file's, whatever the size",
			Measured: fmt.Sprintf("%s (1×) vs %s (10×)", mb(int64(e.PeakHeap1x)), mb(int64(e.PeakHeap10x))),
			Met:      e.PeakHeap1x > 0 && float64(e.PeakHeap10x) <= 1.5*float64(e.PeakHeap1x)},
	}
}

// erpMarkdown writes the ERP import section.
func (r *Report) erpMarkdown(p func(format string, args ...any)) {
	e := r.ERP
	p("")
	p("## ERP import: a Sage price file")
	p("")
	p("A %d-row Sage 100 F_ARTCLIENT file (`;`, decimal comma, customer prices of %d customers × %d products) streamed "+
		"by erp-ingest's code (erpfile, `erp.Importer`) into %d chunks, each applied as erp-sync applies it (`dynamo.ERPCatalog`, "+
		"then `ImportJobs.ChunkDone`), %d at once, on DynamoDB Local (%s); then the same items read back and written again "+
		"with raw BatchWriteItem (25 a call, %d writers) to a fresh table, in the same run.",
		e.Rows, benchdata.Customers, benchdata.Products, e.Chunks, e.Workers, e.Endpoint, e.Workers)
	p("")
	p("| | Rows or items | Seconds | Per second |")
	p("| --- | ---: | ---: | ---: |")
	p("| import (applied %d, unchanged %d, rejected %d) | %d | %s | %.0f |", e.Counts.Applied, e.Counts.Unchanged, e.Counts.Rejected, e.Rows, f2(e.ImportSeconds), e.ImportRowsPS)
	p("| raw BatchWriteItem | %d | %s | %.0f |", e.RawItems, f2(e.RawSeconds), e.RawItemsPS)
	p("")
	p("Import ÷ raw: **%.2f×**. erp-ingest's peak heap in use, streaming alone (chunks discarded): %s for %d rows, "+
		"%s for %d rows.", e.Ratio, mb(int64(e.PeakHeap1x)), e.Rows, mb(int64(e.PeakHeap10x)), 10*e.Rows)
}
