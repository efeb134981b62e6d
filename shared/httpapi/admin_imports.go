package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
)

// The ERP import jobs in the back office (see Routes): every file the ERP
// dropped, what was found in it and applied, and the report of its
// rejected rows.

// ImportsAdmin is what the back office needs from the import jobs.
type ImportsAdmin interface {
	// JobsPage lists jobs newest first, limit at a time, from a cursor
	// a previous page gave ("" first); erp.ErrBadCursor for another.
	JobsPage(ctx context.Context, m merchant.ID, limit int, cursor string) (erp.JobPage, error)
	// Job returns one job, erp.ErrNoJob when none.
	Job(ctx context.Context, m merchant.ID, id string) (erp.ImportJob, error)
	// Report writes the job's report (erp.ReportHeader): the rows the
	// file's validation refused, then those refused when applied.
	Report(ctx context.Context, m merchant.ID, job erp.ImportJob, w io.Writer) error
}

// Page sizes of GET /admin/imports.
const (
	defaultImportsPage = 20
	maxImportsPage     = 100
)

// jobParam is the {id} path segment: an import job id (erp.JobID, 32
// hexadecimal digits).
func jobParam(r *Request) (string, error) {
	id := r.PathValue("id")
	if len(id) != 32 || !isLowerHex(id) {
		return "", InvalidParameter("id must be an import job id: 32 hexadecimal digits")
	}
	return id, nil
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// imports answers a page of the merchant's import jobs, newest first:
// {"jobs": [...], "next": cursor}; ?limit= 1 to 100 (20), ?cursor= the
// next of the previous page.
func (a *AdminAPI) imports(w http.ResponseWriter, r *Request) error {
	q := r.URL.Query()
	limit := defaultImportsPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxImportsPage {
			return InvalidParameter("limit must be a whole number from 1 to " + strconv.Itoa(maxImportsPage))
		}
		limit = n
	}
	cursor := q.Get("cursor")
	if len(cursor) > 256 {
		return InvalidCursor()
	}
	if a.Imports == nil {
		return errors.New("import jobs: no store configured")
	}
	page, err := a.Imports.JobsPage(r.Context(), r.Merchant(), limit, cursor)
	if errors.Is(err, erp.ErrBadCursor) {
		return InvalidCursor()
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// importJob answers one import job.
func (a *AdminAPI) importJob(w http.ResponseWriter, r *Request) error {
	job, err := a.findImport(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, job)
}

// findImport reads the job of the {id} segment: 404 when none.
func (a *AdminAPI) findImport(r *Request) (erp.ImportJob, error) {
	id, err := jobParam(r)
	if err != nil {
		return erp.ImportJob{}, err
	}
	if a.Imports == nil {
		return erp.ImportJob{}, errors.New("import jobs: no store configured")
	}
	job, err := a.Imports.Job(r.Context(), r.Merchant(), id)
	if errors.Is(err, erp.ErrNoJob) {
		return erp.ImportJob{}, NotFound("no import job " + id)
	}
	return job, err
}

// importReport answers a job's report as a ";"-separated CSV file to
// download (line;column;reason;value): the rows the file's validation
// refused, then those refused when applied. A job whose file was not
// streamed yet (or whose notification was refused) has none: 404.
func (a *AdminAPI) importReport(w http.ResponseWriter, r *Request) error {
	job, err := a.findImport(r)
	if err != nil {
		return err
	}
	if job.Report == "" {
		return NotFound("import job " + job.ID + " has no report: its file was not read (status " + job.Status + ")")
	}
	var buf bytes.Buffer
	err = a.Imports.Report(r.Context(), r.Merchant(), job, &buf)
	if errors.Is(err, erp.ErrNoObject) {
		return NotFound("the report of import job " + job.ID + " is no longer in the bucket")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "import-" + job.ID + ".csv"}))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}
