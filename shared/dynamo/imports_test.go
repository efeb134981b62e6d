package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
)

func recordJob(t *testing.T, jobs *dynamo.ImportJobs, m merchant.ID, file string, at time.Time) erp.ImportJob {
	t.Helper()
	key := string(m) + "/inbox/" + file
	j := erp.ImportJob{ID: erp.JobID(key, "e1"), Merchant: m, Bucket: "erp", Key: key, File: file, ETag: "e1", ReceivedAt: at, Status: erp.StatusReceived}
	if created, err := jobs.Record(context.Background(), j); err != nil || !created {
		t.Fatalf("record %s: created %v, %v", file, created, err)
	}
	return j
}

// Every chunk delivered many times at once, by many workers, counts once:
// the marker and the job's counters are written in one transaction.
func TestImportJobs_ChunkDone_CountsEachChunkOnceUnderConcurrentRedelivery(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	jobs := &dynamo.ImportJobs{Table: tbl}
	ctx := context.Background()
	j := recordJob(t, jobs, "hydro", "F_ARTICLE.csv", time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	const chunks, deliveries = 6, 5
	if err := jobs.Streamed(ctx, "hydro", j.ID, erp.StreamSummary{Kind: erp.KindProducts, Profile: "sage100", Received: 30, Rejected: 1, Chunks: chunks, Report: erp.ReportKey("hydro", j.ID), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	got, err := jobs.Job(ctx, "hydro", j.ID)
	if err != nil || got.Status != erp.StatusStreamed || got.Chunks != chunks || got.Kind != erp.KindProducts || got.Received != 30 {
		t.Fatalf("job %+v (%v), want streamed with 6 chunks", got, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := map[int]int{}
	for seq := range chunks {
		for range deliveries {
			wg.Go(func() {
				first, err := jobs.ChunkDone(ctx, "hydro", j.ID, seq, erp.Counts{Applied: 3, Unchanged: 1, Rejected: 1},
					[]erp.RowError{{Line: seq + 2, Column: "AR_Ref", Reason: "unknown product", Value: "X"}})
				if err != nil {
					t.Error(err)
					return
				}
				if first {
					mu.Lock()
					firsts[seq]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for seq := range chunks {
		if firsts[seq] != 1 {
			t.Errorf("chunk %d counted %d times, want once", seq, firsts[seq])
		}
	}
	got, err = jobs.Job(ctx, "hydro", j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != erp.StatusApplied || got.ChunksDone != chunks || got.Applied != 3*chunks || got.Unchanged != chunks || got.Rejected != 1+chunks {
		t.Errorf("job %+v, want applied with every chunk counted once", got)
	}
	rejects, err := jobs.ApplyRejects(ctx, "hydro", j.ID)
	if err != nil || len(rejects) != chunks || rejects[0].Line != 2 || rejects[chunks-1].Line != chunks+1 {
		t.Errorf("apply-time rejects %+v (%v), want one per chunk in order", rejects, err)
	}
	// A summary recorded again (the file streamed again) is kept as it was.
	if err := jobs.Streamed(ctx, "hydro", j.ID, erp.StreamSummary{Chunks: 99}); err != nil {
		t.Fatal(err)
	}
	if again, _ := jobs.Job(ctx, "hydro", j.ID); again.Chunks != chunks {
		t.Errorf("chunks %d after a second summary, want %d", again.Chunks, chunks)
	}
	// The job's listing as recorded does not list the markers.
	if all, err := jobs.Jobs(ctx, "hydro"); err != nil || len(all) != 1 {
		t.Errorf("jobs %+v (%v), want the one job", all, err)
	}
}

func TestImportJobs_UnknownJobsAndCursorsAreRefused(t *testing.T) {
	t.Parallel()
	jobs := &dynamo.ImportJobs{Table: testenv.Table(t)}
	ctx := context.Background()
	if _, err := jobs.Job(ctx, "hydro", "0123456789abcdef0123456789abcdef"); !errors.Is(err, erp.ErrNoJob) {
		t.Errorf("Job of an unknown id: %v, want ErrNoJob", err)
	}
	if _, err := jobs.ChunkDone(ctx, "hydro", "0123456789abcdef0123456789abcdef", 0, erp.Counts{Applied: 1}, nil); !errors.Is(err, erp.ErrNoJob) {
		t.Errorf("ChunkDone of an unknown job: %v, want ErrNoJob", err)
	}
	if err := jobs.Streamed(ctx, "hydro", "0123456789abcdef0123456789abcdef", erp.StreamSummary{}); !errors.Is(err, erp.ErrNoJob) {
		t.Errorf("Streamed of an unknown job: %v, want ErrNoJob", err)
	}
	for _, c := range []string{"%%%", "bm9wZQ", "MjAyNi0xMi0wMlQwOTowMDowMC4wMDAwMDAwMDBaIw"} {
		if _, err := jobs.JobsPage(ctx, "hydro", 10, c); !errors.Is(err, dynamo.ErrBadImportCursor) {
			t.Errorf("cursor %q: %v, want ErrBadImportCursor", c, err)
		}
	}
}

func TestImportJobs_JobsPage_NewestFirstPageByPage(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	jobs := &dynamo.ImportJobs{Table: tbl}
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for i := range 7 {
		recordJob(t, jobs, "hydro", fmt.Sprintf("F_ARTICLE-%d.csv", i), start.Add(time.Duration(i)*time.Hour))
	}
	recordJob(t, jobs, "jardin", "F_ARTICLE.csv", start.Add(time.Minute))
	var files []string
	cursor := ""
	for range 10 {
		page, err := jobs.JobsPage(ctx, "hydro", 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range page.Jobs {
			files = append(files, j.File)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	want := []string{"F_ARTICLE-6.csv", "F_ARTICLE-5.csv", "F_ARTICLE-4.csv", "F_ARTICLE-3.csv", "F_ARTICLE-2.csv", "F_ARTICLE-1.csv", "F_ARTICLE-0.csv"}
	if fmt.Sprint(files) != fmt.Sprint(want) {
		t.Errorf("pages list %v, want %v", files, want)
	}
}
