package erp

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Streaming a file: erp-ingest reads the object of a received import job
// row by row (never whole), sends its valid records in chunks to erp-sync,
// writes its rejected rows to the job's report and records what it found
// on the job (StreamSummary).

// Bounds of one chunk: an SQS message takes 256 KiB, and erp-sync applies
// a chunk in a few round trips.
const (
	// MaxChunkRecords is the most records a chunk holds.
	MaxChunkRecords = 500
	// MaxChunkBytes is the most bytes of JSON a chunk's message holds.
	MaxChunkBytes = 200 << 10
	// MaxReportBytes bounds a report's CSV: past it, the report ends with
	// a line that says how many more rows were rejected, so that erp-ingest's
	// memory stays flat whatever the file.
	MaxReportBytes = 4 << 20
	// MaxStoredRejects is the most apply-time rejections stored per chunk.
	MaxStoredRejects = 100
)

// ReportsFolder is the folder under a merchant's prefix where Comptoir
// writes the import jobs' reports (reports/<job id>.csv); erp-ingest never
// imports a file from it.
const ReportsFolder = "reports/"

// ReportKey is the object key of a job's report in the ERP bucket.
func ReportKey(m merchant.ID, job string) string {
	return string(m) + "/" + ReportsFolder + job + ".csv"
}

// FileFormat is the format a file was read in, as declared or detected.
type FileFormat struct {
	Encoding     string `json:"encoding,omitempty"`
	Separator    string `json:"separator,omitempty"`
	DecimalComma bool   `json:"decimalComma,omitempty"`
	JSONLines    bool   `json:"jsonLines,omitempty"`
}

// StreamSummary is what streaming one file found: erp-ingest records it on
// the import job once every chunk is sent and the report written.
type StreamSummary struct {
	Kind    Kind        `json:"kind,omitempty"`
	Profile string      `json:"profile,omitempty"`
	Full    bool        `json:"full,omitempty"`
	Format  *FileFormat `json:"format,omitempty"`
	// Received counts the rows read, valid and rejected.
	Received int `json:"received"`
	// Rejected counts the rows the file's validation refused.
	Rejected int `json:"rejected"`
	// Chunks is the number of chunks sent.
	Chunks int `json:"chunks"`
	// Report is the report's object key.
	Report string    `json:"report,omitempty"`
	At     time.Time `json:"at"`
	// DeactivateMissing says that the file is full and the merchant's
	// settings deactivate what such a file lacks (see FinishSweep);
	// FileStamp is the file's own timestamp, the sweep's stamp.
	DeactivateMissing bool      `json:"deactivateMissing,omitempty"`
	FileStamp         time.Time `json:"fileStamp,omitzero"`
	// SweepSkipped says why the sweep of a file that asked it will not
	// run (SweepSkipReason).
	SweepSkipped string `json:"sweepSkipped,omitempty"`
	// Reason and Detail say why the file could not be imported at all
	// (ReasonUnknownFile, ReasonBadHeader, ReasonObjectReplaced): the job
	// is then failed.
	Reason Reason `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// RecordReader streams the rows of one file (erpfile.Reader).
type RecordReader interface {
	// Next returns the next valid record, or a rejected row, or io.EOF
	// at the end; another error means the stream cannot be read.
	Next() (Record, *RowError, error)
}

// OpenedFile is a file whose header was read.
type OpenedFile struct {
	Rows    RecordReader
	Kind    Kind
	Profile string
	Full    bool
	Format  FileFormat
}

// Errors a FileOpener wraps for a file that cannot be imported at all.
var (
	// ErrUnknownFile: the file name names no kind of file.
	ErrUnknownFile = errors.New("the file name names no kind of ERP file")
	// ErrBadHeader: a required column is missing, or the file has no
	// header.
	ErrBadHeader = errors.New("bad header")
)

// FileOpener reads the header of the file name from r; stamp is the
// file's timestamp, the stamp of rows without their own. It returns an
// error wrapping ErrUnknownFile or ErrBadHeader for a file that cannot be
// imported; any other error is to be retried.
type FileOpener func(r io.Reader, name string, stamp time.Time) (OpenedFile, error)

// StreamStore is what streaming needs from the import jobs' store.
type StreamStore interface {
	// Job returns a recorded job (ErrNoJob when none).
	Job(ctx context.Context, m merchant.ID, id string) (ImportJob, error)
	// Streamed records the summary on the job, unless it was recorded
	// before.
	Streamed(ctx context.Context, m merchant.ID, id string, s StreamSummary) error
}

// ErrNoJob is returned for an import job that was never recorded.
var ErrNoJob = errors.New("no such import job")

// JobPage is a page of import jobs, newest first; Next is the cursor of
// the next page, "" after the last.
type JobPage struct {
	Jobs []ImportJob `json:"jobs"`
	Next string      `json:"next,omitempty"`
}

// ErrBadCursor is returned for a page cursor the store never gave.
var ErrBadCursor = errors.New("invalid cursor")

// Files reads the ERP bucket's objects and writes the reports.
type Files interface {
	// Open returns the body of the object key as it was with etag, and
	// its modification time; an error wrapping ErrNoObject when the
	// bucket no longer holds that version.
	Open(ctx context.Context, bucket, key, etag string) (io.ReadCloser, time.Time, error)
	// PutReport writes a report (text/csv) at key.
	PutReport(ctx context.Context, bucket, key string, body []byte) error
}

// ChunkSender sends a chunk to erp-sync.
type ChunkSender interface {
	SendChunk(ctx context.Context, c Chunk) error
}

// MappedOpener is a FileOpener that also takes the merchant's ERP
// settings: the column mapping of the file's kind applies over its
// profile.
type MappedOpener func(r io.Reader, name string, stamp time.Time, s Settings) (OpenedFile, error)

// Importer streams the files of received import jobs.
type Importer struct {
	Jobs  StreamStore
	Files Files
	// Open reads a file's header; OpenMapped, when set, is used instead,
	// with the merchant's settings read from Settings (one read per file
	// streamed).
	Open       FileOpener
	OpenMapped MappedOpener
	Settings   SettingsReader
	// Sweeps, when set, gets the sweep request of a full file that
	// deactivates what it lacks, once streamed (see FinishSweep).
	Sweeps SweepSender
	Chunks ChunkSender
	// Senders is the number of chunks sent at once (0: 8); at most
	// Senders+1 chunks are held in memory.
	Senders int
	Now     func() time.Time
}

// Import streams the file of job, unless it was streamed before: a
// notification delivered again does nothing, and one for a job whose
// streaming did not finish (its worker was stopped) streams the file
// again, sending the same chunks, which erp-sync applies and counts once
// per (job, seq). fresh says that job was just recorded, so that the
// store need not be read. done is false when the job was streamed before.
//
// An error (the bucket, the queue or the table unreachable, a stream cut)
// is to be retried; a file that cannot be imported is not an error: its
// job is failed with the reason.
func (im *Importer) Import(ctx context.Context, job ImportJob, fresh bool) (sum StreamSummary, done bool, err error) {
	if job.Status != StatusReceived {
		return StreamSummary{}, false, nil
	}
	if !fresh {
		stored, err := im.Jobs.Job(ctx, job.Merchant, job.ID)
		if err != nil {
			return StreamSummary{}, false, fmt.Errorf("read import job %s: %w", job.ID, err)
		}
		if stored.Status != StatusReceived {
			// Streamed before: its sweep request may not have gone out
			// (the worker was stopped right after recording the stream).
			if stored.DeactivateMissing && stored.Sweep == nil && stored.Status != StatusFailed {
				if err := im.sendSweep(ctx, stored.Merchant, stored.ID, stored.Kind); err != nil {
					return StreamSummary{}, false, err
				}
			}
			return StreamSummary{}, false, nil
		}
	}
	sum, err = im.stream(ctx, job)
	if err != nil {
		return StreamSummary{}, false, err
	}
	if err := im.Jobs.Streamed(ctx, job.Merchant, job.ID, sum); err != nil {
		return StreamSummary{}, false, fmt.Errorf("record streamed import job %s: %w", job.ID, err)
	}
	if sum.DeactivateMissing && sum.Reason == "" && sum.SweepSkipped == "" {
		if err := im.sendSweep(ctx, job.Merchant, job.ID, sum.Kind); err != nil {
			return StreamSummary{}, false, err
		}
	}
	return sum, true, nil
}

// sendSweep asks erp-sync to run the job's sweep once its chunks are
// applied.
func (im *Importer) sendSweep(ctx context.Context, m merchant.ID, job string, kind Kind) error {
	if im.Sweeps == nil {
		return nil
	}
	if err := im.Sweeps.SendSweep(ctx, SweepRequest{Merchant: m, Job: job, Kind: kind}); err != nil {
		return fmt.Errorf("send the sweep request of import job %s: %w", job, err)
	}
	return nil
}

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now().UTC()
	}
	return time.Now().UTC()
}

// stream reads the file, sends its chunks and writes its report.
func (im *Importer) stream(ctx context.Context, job ImportJob) (StreamSummary, error) {
	sum := StreamSummary{Report: ReportKey(job.Merchant, job.ID)}
	report := NewReport()
	body, modified, err := im.Files.Open(ctx, job.Bucket, job.Key, job.ETag)
	if errors.Is(err, ErrNoObject) {
		sum.Reason, sum.Detail = ReasonObjectReplaced, "the bucket no longer holds this version of the file: it was replaced or deleted"
		return im.finish(ctx, job, sum, report)
	}
	if err != nil {
		return sum, fmt.Errorf("open %s: %w", Truncate(job.Key, 80), err)
	}
	defer body.Close()
	var settings Settings
	if im.Settings != nil {
		if settings, err = im.Settings.Settings(ctx, job.Merchant); err != nil {
			return sum, fmt.Errorf("read the ERP settings of %s: %w", job.Merchant, err)
		}
	}
	var f OpenedFile
	if im.OpenMapped != nil {
		f, err = im.OpenMapped(body, job.File, modified, settings)
	} else {
		f, err = im.Open(body, job.File, modified)
	}
	switch {
	case errors.Is(err, ErrUnknownFile):
		sum.Reason, sum.Detail = ReasonUnknownFile, Truncate(err.Error(), 500)
		report.Add(RowError{Line: 1, Reason: sum.Detail})
		return im.finish(ctx, job, sum, report)
	case errors.Is(err, ErrBadHeader):
		sum.Reason, sum.Detail = ReasonBadHeader, Truncate(err.Error(), 500)
		report.Add(RowError{Line: 1, Reason: sum.Detail})
		return im.finish(ctx, job, sum, report)
	case err != nil:
		return sum, fmt.Errorf("read the header of %s: %w", Truncate(job.Key, 80), err)
	}
	format := f.Format
	sum.Kind, sum.Profile, sum.Full, sum.Format = f.Kind, f.Profile, f.Full, &format
	if f.Full && settings.Deactivates(f.Kind) {
		sum.DeactivateMissing, sum.FileStamp = true, modified.UTC()
	}

	senders := im.Senders
	if senders <= 0 {
		senders = 8
	}
	g, gctx := errgroup.WithContext(ctx)
	out := make(chan Chunk)
	for range senders {
		g.Go(func() error {
			for c := range out {
				if err := im.Chunks.SendChunk(gctx, c); err != nil {
					return fmt.Errorf("send chunk %d of job %s: %w", c.Seq, job.ID, err)
				}
			}
			return nil
		})
	}
	readErr := func() error {
		defer close(out)
		b := chunker{base: Chunk{Merchant: job.Merchant, Job: job.ID, Kind: f.Kind, Full: f.Full,
			DeactivateMissing: sum.DeactivateMissing, FileStamp: sum.FileStamp}}
		emit := func(c Chunk) error {
			select {
			case out <- c:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		lastLine := 1
		for {
			rec, bad, err := f.Rows.Next()
			if err == io.EOF {
				break
			}
			if errors.Is(err, ErrUnreadable) {
				// Reading again would fail the same way: the rest of the
				// file is one rejected row, what came before applies.
				sum.Received++
				sum.Rejected++
				report.Add(RowError{Line: lastLine + 1, Reason: Truncate("the file cannot be read from here on: "+err.Error(), 300)})
				break
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", Truncate(job.Key, 80), err)
			}
			sum.Received++
			if bad != nil {
				lastLine = max(lastLine, bad.Line)
				sum.Rejected++
				report.Add(*bad)
				continue
			}
			lastLine = max(lastLine, rec.Line)
			full, rowErr := b.add(rec)
			if rowErr != nil {
				sum.Rejected++
				report.Add(*rowErr)
			}
			if full != nil {
				if err := emit(*full); err != nil {
					return err
				}
			}
		}
		if last := b.flush(); last != nil {
			if err := emit(*last); err != nil {
				return err
			}
		}
		sum.Chunks = b.seq
		return nil
	}()
	if err := g.Wait(); err != nil {
		return sum, err
	}
	if readErr != nil {
		return sum, readErr
	}
	sum.SweepSkipped = SweepSkipReason(sum)
	return im.finish(ctx, job, sum, report)
}

// finish writes the report and stamps the summary.
func (im *Importer) finish(ctx context.Context, job ImportJob, sum StreamSummary, report *Report) (StreamSummary, error) {
	if err := im.Files.PutReport(ctx, job.Bucket, sum.Report, report.Bytes()); err != nil {
		return sum, fmt.Errorf("write report %s: %w", sum.Report, err)
	}
	sum.At = im.now()
	return sum, nil
}

// chunker cuts a file's records into chunks of at most MaxChunkRecords
// records and MaxChunkBytes of JSON, numbered from 0: the same file always
// gives the same chunks.
type chunker struct {
	base  Chunk
	seq   int
	cur   []Record
	bytes int
}

// envelopeBytes is room for a chunk's fields besides its records.
const envelopeBytes = 512

// add adds rec and returns the chunk it completed, if any; a record too
// large for any chunk is refused.
func (b *chunker) add(rec Record) (*Chunk, *RowError) {
	data, err := json.Marshal(rec)
	if err != nil || len(data)+envelopeBytes > MaxChunkBytes {
		return nil, &RowError{Line: rec.Line, Reason: fmt.Sprintf("the row is over %d bytes once decoded", MaxChunkBytes-envelopeBytes)}
	}
	var done *Chunk
	if len(b.cur) == MaxChunkRecords || b.bytes+len(data)+1+envelopeBytes > MaxChunkBytes {
		done = b.flush()
	}
	b.cur = append(b.cur, rec)
	b.bytes += len(data) + 1
	return done, nil
}

// flush returns the chunk being filled, nil when empty.
func (b *chunker) flush() *Chunk {
	if len(b.cur) == 0 {
		return nil
	}
	c := b.base
	c.Seq, c.Records = b.seq, b.cur
	b.seq++
	b.cur, b.bytes = nil, 0
	return &c
}

// ReportHeader is the header of an import report: one line per rejected
// row, ";"-separated.
var ReportHeader = []string{"line", "column", "reason", "value"}

// Report is the CSV of a job's rejected rows (line;column;reason;value),
// bounded by MaxReportBytes: the rows past the bound are counted in a
// last line.
type Report struct {
	buf     bytes.Buffer
	w       *csv.Writer
	omitted int
}

// NewReport starts a report with its header.
func NewReport() *Report {
	r := &Report{}
	r.w = ReportWriter(&r.buf)
	_ = r.w.Write(ReportHeader)
	return r
}

// ReportWriter is a CSV writer in the report's format, for the rows a
// report lists after the file's own (the apply-time rejections).
func ReportWriter(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	return cw
}

// ReportRow is a rejected row as a report line. A cell a spreadsheet would
// run as a formula (it starts with =, +, -, @, a tab or a carriage return:
// a file's value may) gets a leading apostrophe, shown as text.
func ReportRow(e RowError) []string {
	line := ""
	if e.Line > 0 {
		line = strconv.Itoa(e.Line)
	}
	return []string{line, textCell(e.Column), textCell(e.Reason), textCell(Truncate(e.Value, 80))}
}

// textCell neutralises a cell a spreadsheet would take for a formula.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Add lists a rejected row.
func (r *Report) Add(e RowError) {
	if r.buf.Len() >= MaxReportBytes {
		r.omitted++
		return
	}
	_ = r.w.Write(ReportRow(e))
	r.w.Flush()
}

// Bytes returns the report's CSV.
func (r *Report) Bytes() []byte {
	if r.omitted > 0 {
		_ = r.w.Write([]string{"", "", fmt.Sprintf("%d more rejected rows are not listed: the report stops at %d bytes", r.omitted, MaxReportBytes), ""})
	}
	r.w.Flush()
	r.omitted = 0
	return r.buf.Bytes()
}
