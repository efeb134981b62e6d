package erp

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/merchant"
)

func TestParseKey(t *testing.T) {
	cases := []struct {
		key      string
		merchant merchant.ID
		file     string
		ok       bool
	}{
		{"hydro/inbox/F_ARTICLE.csv", "hydro", "F_ARTICLE.csv", true},
		{"hydro/inbox/2026/F%20ARTICLE.csv", "hydro", "2026/F ARTICLE.csv", true},
		{"hydro/outbox/x.csv", "", "", false},
		{"F_ARTICLE.csv", "", "", false},
		{"/inbox/x.csv", "", "", false},
		{"a%23b/inbox/x.csv", "", "", false},
	}
	for _, c := range cases {
		m, f, err := ParseKey(c.key)
		if (err == nil) != c.ok || m != c.merchant || f != c.file {
			t.Errorf("ParseKey(%q) = %q, %q, %v", c.key, m, f, err)
		}
	}
}

type memJobs struct{ jobs []ImportJob }

func (m *memJobs) Record(_ context.Context, j ImportJob) (bool, error) {
	for _, old := range m.jobs {
		if old.Key == j.Key && old.ETag == j.ETag {
			return false, nil
		}
	}
	m.jobs = append(m.jobs, j)
	return true, nil
}

func TestIngest_Process(t *testing.T) {
	body := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",
	  "s3":{"bucket":{"name":"erp"},"object":{"key":"hydro/inbox/F_ARTICLE.csv","size":42,"eTag":"abc","sequencer":"01"}}}]}`
	jobs := &memJobs{}
	in := &Ingest{Jobs: jobs}
	for range 2 { // a duplicate delivery makes one job
		if err := in.Process(context.Background(), events.SQSMessage{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	if len(jobs.jobs) != 1 || jobs.jobs[0].Merchant != "hydro" || jobs.jobs[0].File != "F_ARTICLE.csv" || jobs.jobs[0].Size != 42 {
		t.Fatalf("jobs = %+v", jobs.jobs)
	}
	if err := in.Process(context.Background(), events.SQSMessage{Body: `{"Event":"s3:TestEvent"}`}); err != nil {
		t.Errorf("test event: %v", err)
	}
	bad := `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"erp"},"object":{"key":"stray.csv"}}}]}`
	if err := in.Process(context.Background(), events.SQSMessage{Body: bad}); !errors.Is(err, ErrBadKey) {
		t.Errorf("stray key: err = %v", err)
	}
	if err := in.Process(context.Background(), events.SQSMessage{Body: "nope"}); err == nil {
		t.Error("non-JSON body accepted")
	}
}
