package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
)

// demoPoll is how often LoadDemo reads an import job while it waits.
const demoPoll = 200 * time.Millisecond

// LoadDemo loads the demo data the way make dev does, through the ERP
// connector for what Hydrotech's ERP owns: the direct part first
// (demo.LoadBesideERP), then each of demo.SageFiles dropped into
// Hydrotech's inbox in the bucket and waited for until its import job is
// applied (erp-ingest streams it, erp-sync and stock-update apply its
// chunks: the stack must be running, see Run), then the site's own fields
// (demo.LoadSiteFields). progress, when not nil, is told each step and,
// every few seconds, how far the job it waits for is. A file whose job
// fails, or rejects a row, or is not applied within the time left of
// within, is an error naming it.
func (s *Stack) LoadDemo(ctx context.Context, within time.Duration, progress func(string)) (demo.Summary, error) {
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if s.Resources.BucketName == "" {
		return demo.Summary{}, errors.New("demo: the template has no ERP bucket to drop the Sage files into")
	}
	sum, err := demo.LoadBesideERP(ctx, s.Table())
	if err != nil {
		return sum, err
	}
	files, err := demo.SageFiles()
	if err != nil {
		return sum, err
	}
	jobs := &dynamo.ImportJobs{Table: s.Table()}
	for i, f := range files {
		key := string(demo.Hydro) + "/inbox/" + f.Name
		out, err := s.Clients.S3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.Resources.BucketName), Key: aws.String(key), Body: bytes.NewReader(f.Body),
		})
		if err != nil {
			return sum, fmt.Errorf("demo: drop %s: %w", key, err)
		}
		id := erp.JobID(key, strings.Trim(aws.ToString(out.ETag), `"`))
		say("ERP file %d/%d %s dropped into s3://%s/%s (%d bytes): import job %s", i+1, len(files), f.Name, s.Resources.BucketName, key, len(f.Body), id)
		job, err := waitApplied(ctx, jobs, id, func(j erp.ImportJob) {
			say("  %s: %s, %d of %d rows applied or unchanged, %d of %d chunks", f.Name, j.Status, j.Applied+j.Unchanged, j.Received, j.ChunksDone, j.Chunks)
		})
		if err != nil {
			return sum, fmt.Errorf("demo: %s: %w", f.Name, err)
		}
		say("  %s applied: %d rows received, %d applied, %d unchanged", f.Name, job.Received, job.Applied, job.Unchanged)
	}
	if err := demo.LoadSiteFields(ctx, s.Table()); err != nil {
		return sum, err
	}
	say("site fields of the products and customers written")
	return sum, nil
}

// waitApplied polls the job until it is applied, reporting it every few
// seconds while it waits. A failed job, or one that rejected rows, is an
// error.
func waitApplied(ctx context.Context, jobs *dynamo.ImportJobs, id string, report func(erp.ImportJob)) (erp.ImportJob, error) {
	tick := time.NewTicker(demoPoll)
	defer tick.Stop()
	lastReport := time.Now()
	for {
		j, err := jobs.Job(ctx, demo.Hydro, id)
		switch {
		case errors.Is(err, erp.ErrNoJob):
			// erp-ingest has not recorded it yet.
		case err != nil:
			return j, err
		case j.Status == erp.StatusFailed:
			return j, fmt.Errorf("import job %s failed: %s %s", id, j.Reason, j.Detail)
		case j.Status == erp.StatusApplied && j.Rejected > 0:
			return j, fmt.Errorf("import job %s rejected %d rows (GET /admin/imports/%s/report)", id, j.Rejected, id)
		case j.Status == erp.StatusApplied:
			return j, nil
		}
		if time.Since(lastReport) >= 3*time.Second && err == nil {
			report(j)
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("import job %s not applied in time (status %q): %w", id, j.Status, ctx.Err())
		case <-tick.C:
		}
	}
}
