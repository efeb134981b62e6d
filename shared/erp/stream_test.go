package erp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// rows is a file's rows as a reader would give them.
type rows struct {
	recs []Record
	bad  map[int]RowError // by index
	i    int
	err  error // after the rows, instead of io.EOF
}

func (r *rows) Next() (Record, *RowError, error) {
	if r.i >= len(r.recs) {
		if r.err != nil {
			return Record{}, nil, r.err
		}
		return Record{}, nil, io.EOF
	}
	i := r.i
	r.i++
	if e, ok := r.bad[i]; ok {
		return Record{}, &e, nil
	}
	return r.recs[i], nil, nil
}

type fakeFiles struct {
	mu      sync.Mutex
	missing bool
	reports map[string]string
}

func (f *fakeFiles) Open(context.Context, string, string, string) (io.ReadCloser, time.Time, error) {
	if f.missing {
		return nil, time.Time{}, ErrNoObject
	}
	return io.NopCloser(strings.NewReader("")), time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC), nil
}

func (f *fakeFiles) PutReport(_ context.Context, _, key string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reports == nil {
		f.reports = map[string]string{}
	}
	f.reports[key] = string(body)
	return nil
}

type fakeSender struct {
	mu     sync.Mutex
	chunks map[int]Chunk
	fail   bool
}

func (s *fakeSender) SendChunk(_ context.Context, c Chunk) error {
	if s.fail {
		return errors.New("queue unreachable")
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if len(data) > MaxChunkBytes {
		return fmt.Errorf("chunk %d is %d bytes", c.Seq, len(data))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chunks == nil {
		s.chunks = map[int]Chunk{}
	}
	s.chunks[c.Seq] = c
	return nil
}

type fakeJobs struct {
	mu      sync.Mutex
	streams map[string]StreamSummary
	status  string
}

func (j *fakeJobs) Job(_ context.Context, m merchant.ID, id string) (ImportJob, error) {
	return ImportJob{ID: id, Merchant: m, Status: j.status}, nil
}

func (j *fakeJobs) Streamed(_ context.Context, _ merchant.ID, id string, s StreamSummary) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.streams == nil {
		j.streams = map[string]StreamSummary{}
	}
	if _, ok := j.streams[id]; !ok {
		j.streams[id] = s
	}
	return nil
}

func products(n int, name func(i int) string) []Record {
	recs := make([]Record, n)
	for i := range recs {
		ref := fmt.Sprintf("P-%05d", i)
		recs[i] = Record{Kind: KindProducts, Line: i + 2, Key: ref, Stamp: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			Product: &catalog.Product{Ref: ref, Names: map[string]string{"fr": name(i)}}}
	}
	return recs
}

func importer(open FileOpener, files *fakeFiles, chunks *fakeSender, jobs *fakeJobs) *Importer {
	return &Importer{Jobs: jobs, Files: files, Open: open, Chunks: chunks, Senders: 3}
}

func openRows(r *rows) FileOpener {
	return func(io.Reader, string, time.Time) (OpenedFile, error) {
		return OpenedFile{Rows: r, Kind: KindProducts, Profile: "sage100", Format: FileFormat{Encoding: "windows-1252", Separator: ";", DecimalComma: true}}, nil
	}
}

var testJob = ImportJob{ID: "0123456789abcdef0123456789abcdef", Merchant: "hydro", Bucket: "erp", Key: "hydro/inbox/F_ARTICLE.csv", File: "F_ARTICLE.csv", ETag: "e", Status: StatusReceived}

// A file's valid rows go in chunks of at most MaxChunkRecords records and
// MaxChunkBytes of JSON, numbered from 0 in the file's order, the same
// every time; the bad rows go to the report; the summary says it all.
func TestImporter_ChunksAreBoundedAndTheSameEveryTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		rows   int
		text   func(i int) string
		chunks int
	}{
		{"by records", 1201, func(i int) string { return "Pompe" }, 3},
		{"by bytes", 300, func(i int) string { return strings.Repeat("é", 1000) }, 4}, // ~2 KB of JSON a row: 97 a chunk
		{"one row", 1, func(i int) string { return "Vanne" }, 1},
		{"empty file", 0, func(i int) string { return "" }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var runs [2]map[int]Chunk
			for run := range 2 {
				r := &rows{recs: products(c.rows, c.text), bad: map[int]RowError{}}
				if c.rows > 10 {
					r.bad[7] = RowError{Line: 9, Column: "AR_PrixVen", Reason: "not a decimal number", Value: "1;2"}
				}
				files, sender, jobs := &fakeFiles{}, &fakeSender{}, &fakeJobs{}
				sum, done, err := importer(openRows(r), files, sender, jobs).Import(context.Background(), testJob, true)
				if err != nil || !done {
					t.Fatalf("import: done %v, %v", done, err)
				}
				runs[run] = sender.chunks
				if sum.Chunks != c.chunks || len(sender.chunks) != c.chunks || sum.Received != c.rows || sum.Kind != KindProducts || sum.Format.Separator != ";" {
					t.Errorf("summary %+v, %d chunks sent, want %d chunks of %d rows", sum, len(sender.chunks), c.chunks, c.rows)
				}
				if jobs.streams[testJob.ID].Chunks != c.chunks {
					t.Errorf("recorded summary %+v", jobs.streams[testJob.ID])
				}
				lines := []int{}
				for seq := range c.chunks {
					ch, ok := sender.chunks[seq]
					if !ok || len(ch.Records) == 0 || len(ch.Records) > MaxChunkRecords || ch.Job != testJob.ID || ch.Merchant != "hydro" || ch.Kind != KindProducts {
						t.Fatalf("chunk %d: %v, %d records", seq, ok, len(ch.Records))
					}
					for _, r := range ch.Records {
						lines = append(lines, r.Line)
					}
				}
				for i := 1; i < len(lines); i++ {
					if lines[i] <= lines[i-1] {
						t.Fatalf("records out of the file's order: line %d after %d", lines[i], lines[i-1])
					}
				}
				wantReport := "line;column;reason;value\n"
				if c.rows > 10 {
					wantReport += "9;AR_PrixVen;not a decimal number;\"1;2\"\n"
					if sum.Rejected != 1 || len(lines) != c.rows-1 {
						t.Errorf("rejected %d, %d records sent, want 1 and %d", sum.Rejected, len(lines), c.rows-1)
					}
				}
				if got := files.reports[ReportKey("hydro", testJob.ID)]; got != wantReport {
					t.Errorf("report %q, want %q", got, wantReport)
				}
			}
			a, _ := json.Marshal(runs[0])
			b, _ := json.Marshal(runs[1])
			if !bytes.Equal(a, b) {
				t.Error("the same file gave other chunks the second time")
			}
		})
	}
}

// A file that cannot be imported at all fails its job with the reason,
// and its report says why; nothing is sent.
func TestImporter_FilesThatCannotBeImportedFailTheirJob(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		open    FileOpener
		missing bool
		reason  Reason
	}{
		{"unknown name", func(io.Reader, string, time.Time) (OpenedFile, error) {
			return OpenedFile{}, fmt.Errorf("%w: %q", ErrUnknownFile, "notes.txt")
		}, false, ReasonUnknownFile},
		{"bad header", func(io.Reader, string, time.Time) (OpenedFile, error) {
			return OpenedFile{}, fmt.Errorf("%w: missing AR_Ref", ErrBadHeader)
		}, false, ReasonBadHeader},
		{"replaced since", openRows(&rows{}), true, ReasonObjectReplaced},
	}
	for _, c := range cases {
		files, sender, jobs := &fakeFiles{missing: c.missing}, &fakeSender{}, &fakeJobs{}
		sum, done, err := importer(c.open, files, sender, jobs).Import(context.Background(), testJob, true)
		if err != nil || !done || sum.Reason != c.reason || len(sender.chunks) != 0 {
			t.Errorf("%s: summary %+v, done %v, %v, %d chunks; want reason %s", c.name, sum, done, err, len(sender.chunks), c.reason)
		}
		if rep := files.reports[ReportKey("hydro", testJob.ID)]; !strings.HasPrefix(rep, "line;column;reason;value\n") {
			t.Errorf("%s: report %q", c.name, rep)
		}
	}
}

// Streaming that fails (the queue, the stream) is retried: nothing is
// recorded; a job streamed before is not streamed again.
func TestImporter_FailuresAreRetriedAndStreamedJobsSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	jobs := &fakeJobs{}
	if _, _, err := importer(openRows(&rows{recs: products(600, func(int) string { return "x" })}), &fakeFiles{}, &fakeSender{fail: true}, jobs).Import(ctx, testJob, true); err == nil {
		t.Error("a queue failure was not an error")
	}
	if _, _, err := importer(openRows(&rows{recs: products(3, func(int) string { return "x" }), err: errors.New("connection reset")}), &fakeFiles{}, &fakeSender{}, jobs).Import(ctx, testJob, true); err == nil {
		t.Error("a cut stream was not an error")
	}
	if len(jobs.streams) != 0 {
		t.Errorf("summaries recorded after failures: %+v", jobs.streams)
	}
	sender := &fakeSender{}
	streamed := &fakeJobs{status: StatusStreamed}
	if _, done, err := importer(openRows(&rows{recs: products(3, func(int) string { return "x" })}), &fakeFiles{}, sender, streamed).Import(ctx, testJob, false); err != nil || done || len(sender.chunks) != 0 {
		t.Errorf("job streamed before: done %v, %v, %d chunks sent again", done, err, len(sender.chunks))
	}
	// A job not streamed yet, notified again, is streamed.
	again := &fakeJobs{status: StatusReceived}
	if _, done, err := importer(openRows(&rows{recs: products(3, func(int) string { return "x" })}), &fakeFiles{}, sender, again).Import(ctx, testJob, false); err != nil || !done || len(sender.chunks) != 1 {
		t.Errorf("job whose streaming did not finish: done %v, %v, %d chunks", done, err, len(sender.chunks))
	}
}

// A file that cannot be read past a point (an unclosed quote) is not
// retried for ever: the rows before it apply, the rest is one rejected row
// of the report, and the job is streamed.
func TestImporter_AnUnreadableRestIsRejectedAndWhatCameBeforeApplies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	jobs, files, sender := &fakeJobs{}, &fakeFiles{}, &fakeSender{}
	r := &rows{recs: products(3, func(int) string { return "x" }), err: fmt.Errorf("read: %w", ErrUnreadable)}
	sum, done, err := importer(openRows(r), files, sender, jobs).Import(ctx, testJob, true)
	if err != nil || !done {
		t.Fatalf("Import: done %v, %v", done, err)
	}
	if sum.Received != 4 || sum.Rejected != 1 || sum.Chunks != 1 || len(sender.chunks) != 1 || len(sender.chunks[0].Records) != 3 {
		t.Errorf("summary %+v, %d chunks: want the 3 rows applied and the rest rejected", sum, len(sender.chunks))
	}
	rep := files.reports[ReportKey(testJob.Merchant, testJob.ID)]
	if !strings.Contains(rep, "5;;the file cannot be read from here on") {
		t.Errorf("report %q does not say the file is unreadable from line 5", rep)
	}
}

// A report stays within MaxReportBytes and says how many rows it left
// out.
func TestReport_IsBounded(t *testing.T) {
	t.Parallel()
	r := NewReport()
	n := 0
	for ; n < 200000; n++ {
		r.Add(RowError{Line: n + 2, Column: "AR_Ref", Reason: "not a reference", Value: strings.Repeat("x", 200)})
	}
	b := r.Bytes()
	if len(b) > MaxReportBytes+1024 {
		t.Errorf("report of %d bytes, over %d", len(b), MaxReportBytes)
	}
	if !bytes.Contains(b, []byte("more rejected rows are not listed")) {
		t.Error("the report does not say it was cut")
	}
}

// A rejected value that a spreadsheet would run as a formula is shown as
// text in the report.
func TestReportRow_NeutralisesFormulas(t *testing.T) {
	t.Parallel()
	cases := []struct {
		value, want string
	}{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+33 1", "'+33 1"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"P-100", "P-100"},
		{"", ""},
	}
	for _, c := range cases {
		if got := ReportRow(RowError{Line: 2, Column: "AR_Ref", Reason: "bad", Value: c.value})[3]; got != c.want {
			t.Errorf("value %q: cell %q, want %q", c.value, got, c.want)
		}
	}
}
