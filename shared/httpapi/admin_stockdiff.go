package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
)

// StockDifferencesAdmin lists the differences between the ERP's stock
// counts and the site's theoretical stock (dynamo.ERPStock).
type StockDifferencesAdmin interface {
	// Differences returns the merchant's latest difference per product
	// and warehouse, by product then warehouse.
	Differences(ctx context.Context, m merchant.ID) ([]stock.Difference, error)
	// DifferencesPage returns limit of them from a cursor a previous page
	// gave ("" for the first); stock.ErrBadCursor for another.
	DifferencesPage(ctx context.Context, m merchant.ID, limit int, cursor string) (stock.DifferencePage, error)
}

// Pages of stock differences: ?limit= from 1 to maxStockDiffPage, or
// defaultStockDiffPage.
const (
	defaultStockDiffPage = 200
	maxStockDiffPage     = 1000
)

// StockDifferenceView is a difference as the back office lists it
// ("écart de stock réel / théorique"): at its last count, the ERP counted
// ERPLevel units of a product in a warehouse where the site expected
// Theoretical (the previous count less the site orders the ERP had not
// seen); Difference is ERPLevel − Theoretical.
type StockDifferenceView struct {
	Ref         string    `json:"ref"`
	Warehouse   string    `json:"warehouse"`
	ERPLevel    int64     `json:"erpLevel"`
	Theoretical int64     `json:"theoretical"`
	Difference  int64     `json:"difference"`
	Job         string    `json:"job"`
	At          time.Time `json:"at"`
}

// stockDifferences lists the merchant's stock differences, by product then
// warehouse: as JSON, a page at a time ({"differences": [...], "next":
// cursor}; ?limit= 1 to 1,000, 200 by default; ?cursor= the next of the
// previous page; one Query), or, with ?format=csv or Accept: text/csv, as
// a ";"-separated file to download (stock.WriteDifferencesCSV): all of
// them, up to MaxExportBytes (past it 422 export-too-large), or, with
// ?limit= or ?cursor=, that page, the next one's address in a Link header
// (rel="next").
func (a *AdminAPI) stockDifferences(w http.ResponseWriter, r *Request) error {
	csv, err := wantsTotalsCSV(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := defaultStockDiffPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxStockDiffPage {
			return InvalidParameter("limit must be a whole number from 1 to " + strconv.Itoa(maxStockDiffPage))
		}
		limit = n
	}
	cursor := q.Get("cursor")
	if len(cursor) > 256 {
		return InvalidCursor()
	}
	if a.StockDifferences == nil {
		return errors.New("stock differences: no store configured")
	}
	paged := q.Has("limit") || q.Has("cursor")
	if csv && !paged {
		ds, err := a.StockDifferences.Differences(r.Context(), r.Merchant())
		if err != nil {
			return err
		}
		return writeDifferencesCSV(w, ds, "")
	}
	page, err := a.StockDifferences.DifferencesPage(r.Context(), r.Merchant(), limit, cursor)
	if errors.Is(err, stock.ErrBadCursor) {
		return InvalidCursor()
	}
	if err != nil {
		return err
	}
	if csv {
		next := ""
		if page.Next != "" {
			next = "/admin/stock/differences?" + url.Values{"format": {"csv"}, "limit": {strconv.Itoa(limit)}, "cursor": {page.Next}}.Encode()
		}
		return writeDifferencesCSV(w, page.Differences, next)
	}
	out := make([]StockDifferenceView, 0, len(page.Differences))
	for _, d := range page.Differences {
		out = append(out, StockDifferenceView{Ref: d.Ref, Warehouse: d.Warehouse, ERPLevel: d.ERPLevel, Theoretical: d.Theoretical,
			Difference: d.Difference, Job: d.Job, At: d.At.UTC()})
	}
	return writeJSON(w, http.StatusOK, StockDifferencesPage{Differences: out, Next: page.Next})
}

// StockDifferencesPage is a page of stock differences; Next, when set,
// is the cursor of the next page.
type StockDifferencesPage struct {
	Differences []StockDifferenceView `json:"differences"`
	Next        string                `json:"next,omitempty"`
}

// writeDifferencesCSV answers ds as a CSV file to download; next, when
// set, is the address of the next page (a Link header, rel="next"). A file
// over MaxExportBytes is refused: the caller pages it.
func writeDifferencesCSV(w http.ResponseWriter, ds []stock.Difference, next string) error {
	var buf bytes.Buffer
	if err := stock.WriteDifferencesCSV(&buf, ds); err != nil {
		return err
	}
	if buf.Len() > MaxExportBytes {
		return problem(http.StatusUnprocessableEntity, "export-too-large", "Export too large",
			fmt.Sprintf("the stock differences are over %d MiB as one file: fetch them a page at a time with limit (up to %d) and the cursor of the Link header", MaxExportBytes>>20, maxStockDiffPage))
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "stock-differences.csv"}))
	if next != "" {
		w.Header().Set("Link", "<"+next+`>; rel="next"`)
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}
