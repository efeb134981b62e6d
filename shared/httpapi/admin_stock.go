package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
)

// StockAlertsAdmin lists the stock alerts the order-events function raised
// (dynamo.StockAlerts).
type StockAlertsAdmin interface {
	// List returns the merchant's alerts, one per product and warehouse,
	// by product then warehouse.
	List(ctx context.Context, m merchant.ID) ([]stock.Alert, error)
}

// StockAlertView is a stock alert as the back office lists it: a product
// whose available stock in a warehouse fell to its alert minimum, and the
// quantity that brings it back to its maximum.
type StockAlertView struct {
	Ref       string    `json:"ref"`
	Warehouse string    `json:"warehouse"`
	Available int64     `json:"available"`
	Min       int64     `json:"min"`
	Max       int64     `json:"max"`
	Reorder   int64     `json:"reorder"`
	RaisedAt  time.Time `json:"raisedAt"`
}

// stockAlerts lists the merchant's stock alerts, by product then
// warehouse: one Query.
func (a *AdminAPI) stockAlerts(w http.ResponseWriter, r *Request) error {
	if a.StockAlerts == nil {
		return errors.New("stock alerts: no store configured")
	}
	alerts, err := a.StockAlerts.List(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	out := make([]StockAlertView, 0, len(alerts))
	for _, al := range alerts {
		out = append(out, StockAlertView{Ref: al.Ref, Warehouse: al.Warehouse, Available: al.Available, Min: al.Min, Max: al.Max,
			Reorder: al.Reorder, RaisedAt: al.RaisedAt.UTC()})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}
