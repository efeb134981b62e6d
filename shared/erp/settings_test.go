package erp

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/merchant"
)

// testFields is a FieldsOf for two kinds, as erpfile lists them.
func testFields(k Kind) ([]string, bool) {
	switch k {
	case KindProducts:
		return []string{"ref", "name.fr", "category", "basePrice", "inactive", "stamp"}, true
	case KindCustomers:
		return []string{"id", "name", "country", "dormant", "stamp"}, false
	}
	return []string{"id", "stamp"}, false
}

func TestSettings_CheckNamesEveryWrongField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    Settings
		want []string // "field" of each error, in order
	}{
		{"none", Settings{}, nil},
		{"a valid mapping and deactivation", Settings{Kinds: map[Kind]KindSettings{
			KindProducts:  {Mapping: map[string]string{"ref": "Code article", "name.fr": "Désignation", "name.nl": "Omschrijving"}, DeactivateMissing: true},
			KindCustomers: {DeactivateMissing: true},
		}}, nil},
		{"unknown kind", Settings{Kinds: map[Kind]KindSettings{"poems": {}}}, []string{"kinds.poems"}},
		{"unknown field", Settings{Kinds: map[Kind]KindSettings{KindCustomers: {Mapping: map[string]string{"ref": "Code"}}}}, []string{"kinds.customers.mapping.ref"}},
		{"names per language only where the kind has them", Settings{Kinds: map[Kind]KindSettings{
			KindCustomers: {Mapping: map[string]string{"name.fr": "Nom"}},
			KindProducts:  {Mapping: map[string]string{"name.FR": "Nom", "name.": "x", "name.toolong": "y"}},
		}}, []string{"kinds.customers.mapping.name.fr", "kinds.products.mapping.name.", "kinds.products.mapping.name.FR", "kinds.products.mapping.name.toolong"}},
		{"empty and blank columns", Settings{Kinds: map[Kind]KindSettings{KindProducts: {Mapping: map[string]string{"ref": "", "category": "   "}}}},
			[]string{"kinds.products.mapping.category", "kinds.products.mapping.ref"}},
		{"over-long column", Settings{Kinds: map[Kind]KindSettings{KindProducts: {Mapping: map[string]string{"ref": strings.Repeat("x", MaxColumnBytes+1)}}}},
			[]string{"kinds.products.mapping.ref"}},
		{"control characters", Settings{Kinds: map[Kind]KindSettings{KindProducts: {Mapping: map[string]string{"ref": "Code\narticle"}}}},
			[]string{"kinds.products.mapping.ref"}},
		{"one column for two fields, any case", Settings{Kinds: map[Kind]KindSettings{KindProducts: {Mapping: map[string]string{"ref": "Code", "category": " code "}}}},
			[]string{"kinds.products.mapping.ref"}},
		{"deactivation of a kind without an inactive state", Settings{Kinds: map[Kind]KindSettings{KindPrices: {DeactivateMissing: true}}},
			[]string{"kinds.prices.deactivateMissing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Check(testFields)
			var got []string
			var inv *InvalidSettingsError
			if errors.As(err, &inv) {
				for _, e := range inv.Errors {
					got = append(got, e.Field)
					if e.Reason == "" {
						t.Errorf("%s: no reason", e.Field)
					}
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors on %v, want %v (%v)", got, tt.want, err)
			}
			if (err != nil) != errors.Is(err, ErrInvalidSettings) {
				t.Errorf("%v does not wrap ErrInvalidSettings", err)
			}
		})
	}
}

func TestSettings_DeactivatesOnlyKindsWithAnInactiveState(t *testing.T) {
	t.Parallel()
	s := Settings{Kinds: map[Kind]KindSettings{KindProducts: {DeactivateMissing: true}, KindPrices: {DeactivateMissing: true}}}
	if !s.Deactivates(KindProducts) || s.Deactivates(KindPrices) || s.Deactivates(KindCustomers) {
		t.Errorf("products %v prices %v customers %v", s.Deactivates(KindProducts), s.Deactivates(KindPrices), s.Deactivates(KindCustomers))
	}
}

// settingsOf serves fixed settings.
type settingsOf Settings

func (s settingsOf) Settings(context.Context, merchant.ID) (Settings, error) { return Settings(s), nil }

type fakeSweeps struct {
	mu  sync.Mutex
	got []SweepRequest
}

func (f *fakeSweeps) SendSweep(_ context.Context, r SweepRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, r)
	return nil
}

// The merchant's settings reach the opener once per file; a full file of
// a kind whose setting is on marks its chunks and job, and asks for its
// sweep once streamed; the setting off, or a delta, never does; a file
// with rejected rows skips its sweep and says why.
func TestImporter_SettingsReachTheOpenerAndFullFilesAskForTheirSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	on := Settings{Kinds: map[Kind]KindSettings{KindProducts: {Mapping: map[string]string{"ref": "Code"}, DeactivateMissing: true}}}
	cases := []struct {
		name      string
		settings  Settings
		full      bool
		bad       map[int]RowError
		wantSweep bool
		skipped   bool
	}{
		{"full, setting on", on, true, nil, true, false},
		{"full, setting off", Settings{}, true, nil, false, false},
		{"delta, setting on", on, false, nil, false, false},
		{"full with a rejected row", on, true, map[int]RowError{1: {Line: 3, Reason: "bad"}}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var gotMapping map[string]string
			open := func(_ io.Reader, _ string, _ time.Time, s Settings) (OpenedFile, error) {
				gotMapping = s.Mapping(KindProducts)
				return OpenedFile{Rows: &rows{recs: products(3, func(int) string { return "x" }), bad: c.bad}, Kind: KindProducts, Full: c.full}, nil
			}
			jobs, sender, sweeps := &fakeJobs{}, &fakeSender{}, &fakeSweeps{}
			im := &Importer{Jobs: jobs, Files: &fakeFiles{}, OpenMapped: open, Settings: settingsOf(c.settings), Chunks: sender, Sweeps: sweeps}
			sum, done, err := im.Import(ctx, testJob, true)
			if err != nil || !done {
				t.Fatalf("done %v, %v", done, err)
			}
			if !reflect.DeepEqual(gotMapping, c.settings.Mapping(KindProducts)) {
				t.Errorf("the opener got mapping %v", gotMapping)
			}
			marked := c.wantSweep || c.skipped
			if sum.DeactivateMissing != marked || (marked && sum.FileStamp.IsZero()) {
				t.Errorf("summary %+v", sum)
			}
			for _, ch := range sender.chunks {
				if ch.DeactivateMissing != marked || !ch.FileStamp.Equal(sum.FileStamp) {
					t.Errorf("chunk %d: deactivate %v stamp %v", ch.Seq, ch.DeactivateMissing, ch.FileStamp)
				}
			}
			if (len(sweeps.got) == 1) != c.wantSweep || len(sweeps.got) > 1 {
				t.Errorf("sweep requests %+v", sweeps.got)
			}
			if (sum.SweepSkipped != "") != c.skipped {
				t.Errorf("skipped %q", sum.SweepSkipped)
			}
		})
	}
}

// streamedJobs serve one stored job.
type streamedJobs struct {
	fakeJobs
	job ImportJob
}

func (j *streamedJobs) Job(context.Context, merchant.ID, string) (ImportJob, error) {
	return j.job, nil
}

// A notification delivered again for a streamed full file whose sweep was
// not recorded sends the sweep request again (the worker may have stopped
// between the stream and the request); one whose sweep is recorded does
// not.
func TestImporter_ARedeliveredNotificationAsksForAMissingSweepAgain(t *testing.T) {
	t.Parallel()
	for _, swept := range []bool{false, true} {
		job := testJob
		job.Status, job.DeactivateMissing, job.Kind = StatusApplied, true, KindProducts
		if swept {
			job.Sweep = &SweepResult{Deactivated: 2}
		}
		sweeps := &fakeSweeps{}
		im := &Importer{Jobs: &streamedJobs{job: job}, Files: &fakeFiles{}, Open: openRows(&rows{}), Chunks: &fakeSender{}, Sweeps: sweeps}
		if _, done, err := im.Import(context.Background(), testJob, false); err != nil || done {
			t.Fatalf("done %v %v", done, err)
		}
		if (len(sweeps.got) == 1) == swept {
			t.Errorf("swept %v: requests %+v", swept, sweeps.got)
		}
	}
}

// sweepJobs is a SweepStore over one job.
type sweepJobs struct {
	mu    sync.Mutex
	job   ImportJob
	swept []SweepResult
}

func (s *sweepJobs) Job(context.Context, merchant.ID, string) (ImportJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.job, nil
}

func (s *sweepJobs) Swept(_ context.Context, _ merchant.ID, _ string, r SweepResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.swept = append(s.swept, r)
	if s.job.Sweep == nil {
		s.job.Sweep = &r
	}
	return nil
}

type countingSweeper struct{ calls int }

func (c *countingSweeper) Sweep(context.Context, merchant.ID, Kind, string, time.Time) (int, error) {
	c.calls++
	return 4, nil
}

// The sweep runs only for a full file that deactivates, once its stream is
// recorded and every chunk applied, and once: after that it is recorded.
func TestFinishSweep_RunsOnceEveryChunkIsApplied(t *testing.T) {
	t.Parallel()
	stamp := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	ready := ImportJob{ID: "j", Merchant: "m", Kind: KindProducts, Status: StatusApplied, Chunks: 2, ChunksDone: 2, DeactivateMissing: true, FileStamp: stamp}
	tests := []struct {
		name string
		job  func(ImportJob) ImportJob
		runs bool
	}{
		{"ready", func(j ImportJob) ImportJob { return j }, true},
		{"setting off", func(j ImportJob) ImportJob { j.DeactivateMissing = false; return j }, false},
		{"chunks left", func(j ImportJob) ImportJob { j.Status, j.ChunksDone = StatusStreamed, 1; return j }, false},
		{"stream not recorded", func(j ImportJob) ImportJob { j.Status = StatusReceived; return j }, false},
		{"swept before", func(j ImportJob) ImportJob { j.Sweep = &SweepResult{Deactivated: 1}; return j }, false},
		{"skipped", func(j ImportJob) ImportJob { j.Sweep = &SweepResult{Skipped: "rejected rows"}; return j }, false},
		{"a kind without an inactive state", func(j ImportJob) ImportJob { j.Kind = KindPrices; return j }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs := &sweepJobs{job: tt.job(ready)}
			sw := &countingSweeper{}
			res, ran, err := FinishSweep(context.Background(), jobs, sw, "m", "j", stamp)
			if err != nil {
				t.Fatal(err)
			}
			if ran != tt.runs || (sw.calls == 1) != tt.runs || (ran && res.Deactivated != 4) {
				t.Fatalf("ran %v, %d calls, %+v", ran, sw.calls, res)
			}
			// Called again (the next message): nothing more.
			if _, again, _ := FinishSweep(context.Background(), jobs, sw, "m", "j", stamp); again {
				t.Error("the sweep ran twice")
			}
		})
	}
}
