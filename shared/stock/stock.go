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
}

// Available is what can still be sold from the warehouse.
func (l Level) Available() int64 { return max(l.OnHand-l.Reserved, 0) }
