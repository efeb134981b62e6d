package erp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/merchant"
)

func TestParseKey(t *testing.T) {
	cases := []struct {
		name     string
		key      string
		merchant merchant.ID
		file     string
	}{
		{"plain file", "hydro/inbox/F_ARTICLE.csv", "hydro", "F_ARTICLE.csv"},
		{"sub-folder and spaces", "hydro/inbox/2026/F ARTICLE+v2.csv", "hydro", "2026/F ARTICLE+v2.csv"},
		{"file name at its bound", "hydro/inbox/" + strings.Repeat("é", MaxFileBytes/2), "hydro", strings.Repeat("é", MaxFileBytes/2)},
		{"outbox", "hydro/outbox/x.csv", "", ""},
		{"no merchant folder", "F_ARTICLE.csv", "", ""},
		{"empty merchant", "/inbox/x.csv", "", ""},
		{"key separator in merchant", "a#b/inbox/x.csv", "", ""},
		{"space in merchant", "a b/inbox/x.csv", "", ""},
		{"merchant over its bound", strings.Repeat("m", MaxMerchantBytes+1) + "/inbox/x.csv", "", ""},
		{"no file", "hydro/inbox/", "", ""},
		{"empty segment", "hydro/inbox/2026//x.csv", "", ""},
		{"dot-dot segment", "hydro/inbox/../outbox/x.csv", "", ""},
		{"file name over its bound", "hydro/inbox/" + strings.Repeat("f", MaxFileBytes+1), "", ""},
		{"key over S3's bound", "hydro/inbox/" + strings.Repeat("f/", 600) + "x", "", ""},
		{"control character", "hydro/inbox/x\x00.csv", "", ""},
		{"C1 control", "hydro/inbox/x\u0085.csv", "", ""},
		{"bidi override", "hydro/inbox/x\u202ecsv.exe", "", ""},
		{"not UTF-8", "hydro/inbox/\xff.csv", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, f, err := ParseKey(c.key)
			if ok := c.merchant != ""; (err == nil) != ok || m != c.merchant || f != c.file {
				t.Errorf("ParseKey = %q, %q, %v; want %q, %q", m, f, err, c.merchant, c.file)
			}
			if err != nil && !errors.Is(err, ErrBadKey) {
				t.Errorf("error %v does not wrap ErrBadKey", err)
			}
			if err != nil && len(err.Error()) > 200 {
				t.Errorf("error echoes %d bytes of the key", len(err.Error()))
			}
		})
	}
}

func TestTruncate_CutsOnACharacterBoundary(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 6, "abc…"},
		{"ééééé", 6, "é…"},
		{"ééééé", 7, "éé…"},
	} {
		got := Truncate(c.in, c.n)
		if got != c.want || len(got) > c.n || !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestJobID_BoundedAndPerObjectVersion(t *testing.T) {
	long := strings.Repeat("k", 5000)
	if len(JobID(long, "e")) != 32 {
		t.Errorf("JobID of a long key is %d characters", len(JobID(long, "e")))
	}
	if JobID("a", "b") != JobID("a", "b") || JobID("a", "b") == JobID("a", "c") || JobID("a\x00", "b") == JobID("a", "\x00b") {
		t.Error("JobID does not identify the key and the ETag")
	}
}

// The fakes below stand for erp's own ports; the DynamoDB and S3 adapters
// are tested against DynamoDB Local and the local S3 in shared/wiring.

type memJobs struct{ jobs []ImportJob }

func (m *memJobs) Record(_ context.Context, j ImportJob) (bool, error) {
	for _, old := range m.jobs {
		if old.ID == j.ID {
			return false, nil
		}
	}
	m.jobs = append(m.jobs, j)
	return true, nil
}

type memMerchants map[merchant.ID]bool

func (m memMerchants) MerchantExists(_ context.Context, id merchant.ID) (bool, error) {
	return m[id], nil
}

type memObjects map[string]ObjectInfo

func (m memObjects) Head(_ context.Context, bucket, key string) (ObjectInfo, error) {
	o, ok := m[bucket+"/"+key]
	if !ok {
		return ObjectInfo{}, ErrNoObject
	}
	return o, nil
}

func TestIngest_Handle(t *testing.T) {
	const bucket = "erp"
	objects := memObjects{
		"erp/hydro/inbox/F_ARTICLE.csv": {Size: 42, ETag: "abc"},
		"erp/hydro/inbox/F_TARIF.csv":   {Size: 50, ETag: "def2"},
		"other/hydro/inbox/x.csv":       {Size: 1, ETag: "a"},
	}
	ok := ObjectCreated{Bucket: bucket, Key: "hydro/inbox/F_ARTICLE.csv", Size: 42, ETag: "abc", Sequencer: "01"}
	with := func(f func(*ObjectCreated)) ObjectCreated { ev := ok; f(&ev); return ev }
	cases := []struct {
		name   string
		ev     ObjectCreated
		status string // "" when nothing is stored
		reason Reason
		file   string
	}{
		{"object as notified", ok, StatusReceived, "", "F_ARTICLE.csv"},
		{"foreign bucket", with(func(e *ObjectCreated) { e.Bucket = "other"; e.Key = "hydro/inbox/x.csv"; e.Size = 1; e.ETag = "a" }), "", ReasonForeignBucket, ""},
		{"unknown merchant", with(func(e *ObjectCreated) { e.Key = "ghost/inbox/F_ARTICLE.csv" }), "", ReasonUnknownMerchant, ""},
		{"key without merchant", with(func(e *ObjectCreated) { e.Key = "stray.csv" }), "", ReasonUnknownMerchant, ""},
		{"outside the inbox", with(func(e *ObjectCreated) { e.Key = "hydro/exports/x.csv" }), StatusFailed, ReasonBadKey, ""},
		{"over-long key", with(func(e *ObjectCreated) { e.Key = "hydro/inbox/" + strings.Repeat("x", 3000) }), StatusFailed, ReasonBadKey, ""},
		{"over-long ETag", with(func(e *ObjectCreated) { e.ETag = strings.Repeat("a", 3000) }), StatusFailed, ReasonBadEvent, "F_ARTICLE.csv"},
		{"negative size", with(func(e *ObjectCreated) { e.Size = -1 }), StatusFailed, ReasonBadEvent, "F_ARTICLE.csv"},
		{"missing object", with(func(e *ObjectCreated) { e.Key = "hydro/inbox/gone.csv" }), StatusFailed, ReasonObjectMissing, "gone.csv"},
		{"replaced object", with(func(e *ObjectCreated) { e.Key = "hydro/inbox/F_TARIF.csv"; e.Size = 50; e.ETag = "0dd" }), StatusFailed, ReasonObjectReplaced, "F_TARIF.csv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jobs := &memJobs{}
			in := &Ingest{Bucket: bucket, Jobs: jobs, Merchants: memMerchants{"hydro": true}, Objects: objects,
				Now: func() time.Time { return time.Date(2026, 11, 26, 21, 5, 12, 0, time.UTC) }}
			out, err := in.Handle(context.Background(), c.ev)
			if err != nil {
				t.Fatal(err)
			}
			if out.Reason != c.reason {
				t.Errorf("reason %q, want %q (%s)", out.Reason, c.reason, out.Detail)
			}
			if c.status == "" {
				if len(jobs.jobs) != 0 {
					t.Errorf("jobs %+v, want none", jobs.jobs)
				}
				return
			}
			if len(jobs.jobs) != 1 {
				t.Fatalf("%d jobs, want 1", len(jobs.jobs))
			}
			j := jobs.jobs[0]
			if j.Status != c.status || j.Reason != c.reason || j.Merchant != "hydro" || j.File != c.file || j.ID != JobID(c.ev.Key, c.ev.ETag) {
				t.Errorf("job %+v", j)
			}
			if (c.reason == "") != (j.Detail == "") || len(j.Key) > MaxKeyBytes || len(j.ETag) > MaxETagBytes || len(j.Detail) > 400 {
				t.Errorf("job detail %q, key %d bytes, ETag %d bytes", j.Detail, len(j.Key), len(j.ETag))
			}
			// A repeated notification is the same job.
			again, err := in.Handle(context.Background(), c.ev)
			if err != nil || again.Created || len(jobs.jobs) != 1 {
				t.Errorf("repeat: created %v, %d jobs, err %v", again.Created, len(jobs.jobs), err)
			}
		})
	}
}

func TestIngest_Handle_IgnoresFolderMarkers(t *testing.T) {
	jobs := &memJobs{}
	in := &Ingest{Bucket: "erp", Jobs: jobs, Merchants: memMerchants{"hydro": true}, Objects: memObjects{}}
	out, err := in.Handle(context.Background(), ObjectCreated{Bucket: "erp", Key: "hydro/inbox/2026/", ETag: "d41d8cd98f00b204e9800998ecf8427e"})
	if err != nil || !out.Ignored || len(jobs.jobs) != 0 {
		t.Errorf("outcome %+v, err %v, jobs %+v", out, err, jobs.jobs)
	}
}

func TestIngest_Handle_IgnoresTheOutboxButNotATrickOfIt(t *testing.T) {
	jobs := &memJobs{}
	in := &Ingest{Bucket: "erp", Jobs: jobs, Merchants: memMerchants{"hydro": true}, Objects: memObjects{}}
	for _, key := range []string{"hydro/outbox/orders/20261202-K3M9Q2TX.json", "hydro/outbox/orders/20261202-K3M9Q2TX.csv"} {
		out, err := in.Handle(context.Background(), ObjectCreated{Bucket: "erp", Key: key, Size: 120, ETag: "d41d8cd98f00b204e9800998ecf8427e"})
		if err != nil || !out.Ignored || len(jobs.jobs) != 0 {
			t.Errorf("%s: outcome %+v, err %v, jobs %+v", key, out, err, jobs.jobs)
		}
	}
	// A key that only walks into the outbox is no outbox file: refused as
	// a bad key, recorded as a failed job.
	out, err := in.Handle(context.Background(), ObjectCreated{Bucket: "erp", Key: "hydro/inbox/../outbox/x.csv", Size: 1, ETag: "d41d8cd98f00b204e9800998ecf8427e"})
	if err != nil || out.Ignored || out.Reason == "" || len(jobs.jobs) != 1 {
		t.Errorf("outcome %+v, err %v, jobs %+v", out, err, jobs.jobs)
	}
}

type failingMerchants struct{}

func (failingMerchants) MerchantExists(context.Context, merchant.ID) (bool, error) {
	return false, errors.New("table unavailable")
}

type failingObjects struct{}

func (failingObjects) Head(context.Context, string, string) (ObjectInfo, error) {
	return ObjectInfo{}, errors.New("bucket unavailable")
}

func TestIngest_Handle_UnavailableStoreIsAnErrorNotARefusal(t *testing.T) {
	ev := ObjectCreated{Bucket: "erp", Key: "hydro/inbox/F.csv", Size: 1, ETag: "ab"}
	for name, in := range map[string]*Ingest{
		"table":  {Bucket: "erp", Jobs: &memJobs{}, Merchants: failingMerchants{}, Objects: memObjects{}},
		"bucket": {Bucket: "erp", Jobs: &memJobs{}, Merchants: memMerchants{"hydro": true}, Objects: failingObjects{}},
	} {
		out, err := in.Handle(context.Background(), ev)
		if err == nil || out.Reason != "" || len(in.Jobs.(*memJobs).jobs) != 0 {
			t.Errorf("%s unavailable: outcome %+v, err %v", name, out, err)
		}
	}
}
