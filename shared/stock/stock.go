// Package stock holds multi-warehouse stock ("multi-dépôts"): the level of
// each product in each warehouse and its alert thresholds.
package stock

// Warehouse is a depot (F_DEPOT, DE_No in Sage 100).
type Warehouse struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Country string `json:"country"`
}

// Level is a product's stock in one warehouse (F_ARTSTOCK).
type Level struct {
	Ref       string `json:"ref"`
	Warehouse string `json:"warehouse"`
	// OnHand is the quantity in stock (AS_QteSto).
	OnHand int64 `json:"onHand"`
	// Reserved is the quantity already promised (AS_QteRes).
	Reserved int64 `json:"reserved"`
	// Min and Max are the alert thresholds (AS_QteMini, AS_QteMaxi).
	Min int64 `json:"min"`
	Max int64 `json:"max"`
	// SiteOrders is what orders placed on the site took from the warehouse
	// since the ERP last counted it: the site's theoretical stock is the
	// ERP's level less these.
	SiteOrders int64 `json:"siteOrders,omitempty"`
}

// Available is what can still be sold from the warehouse: on hand, less
// what is reserved and what site orders took.
func (l Level) Available() int64 { return max(l.OnHand-l.Reserved-l.SiteOrders, 0) }

// Status is what a buyer is told of a product's availability in a warehouse.
type Status string

const (
	// InStock: more than the alert minimum is available.
	InStock Status = "in-stock"
	// Low: some is available, at or below the alert minimum.
	Low Status = "low"
	// Out: nothing is available now.
	Out Status = "out"
	// PreOrder: the product is taken on pre-order until its availability date.
	PreOrder Status = "pre-order"
)

// Status tells the level's availability.
func (l Level) Status() Status {
	switch a := l.Available(); {
	case a <= 0:
		return Out
	case a <= l.Min:
		return Low
	}
	return InStock
}
