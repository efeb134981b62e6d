package httpapi

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"net/http"
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
}

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
// warehouse (one Query), as JSON {"differences": [...]} or, with
// ?format=csv or Accept: text/csv, as a ";"-separated file to download
// (stock.WriteDifferencesCSV).
func (a *AdminAPI) stockDifferences(w http.ResponseWriter, r *Request) error {
	csv, err := wantsTotalsCSV(r)
	if err != nil {
		return err
	}
	if a.StockDifferences == nil {
		return errors.New("stock differences: no store configured")
	}
	ds, err := a.StockDifferences.Differences(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	if csv {
		var buf bytes.Buffer
		if err := stock.WriteDifferencesCSV(&buf, ds); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "stock-differences.csv"}))
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(buf.Bytes())
		return err
	}
	out := make([]StockDifferenceView, 0, len(ds))
	for _, d := range ds {
		out = append(out, StockDifferenceView{Ref: d.Ref, Warehouse: d.Warehouse, ERPLevel: d.ERPLevel, Theoretical: d.Theoretical,
			Difference: d.Difference, Job: d.Job, At: d.At.UTC()})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"differences": out})
}
