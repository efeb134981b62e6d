package stock

import (
	"slices"
	"strings"
	"time"
)

// WarehouseAvailability is a product's availability in one warehouse.
type WarehouseAvailability struct {
	Warehouse string
	Status    Status
	// Available is what can still be sold from the warehouse.
	Available int64
}

// Availability is what a buyer is told of a product's availability
// ("disponibilité"): the best status over its warehouses, or PreOrder until
// the product's availability date.
type Availability struct {
	Status Status
	// AvailableFrom is the day pre-orders end; set with PreOrder only.
	AvailableFrom *time.Time
	// Warehouses are in warehouse order.
	Warehouses []WarehouseAvailability
}

// rank orders statuses from worst to best.
var rank = map[Status]int{Out: 0, Low: 1, InStock: 2}

// RollUp sums a product's levels up: each warehouse's status, and the
// product's, which is the best of its warehouses' (Out without any), or
// PreOrder while availableFrom is after now, whatever the stock.
func RollUp(levels []Level, availableFrom *time.Time, now time.Time) Availability {
	av := Availability{Status: Out, Warehouses: make([]WarehouseAvailability, 0, len(levels))}
	for _, l := range levels {
		w := WarehouseAvailability{Warehouse: l.Warehouse, Status: l.Status(), Available: l.Available()}
		if rank[w.Status] > rank[av.Status] {
			av.Status = w.Status
		}
		av.Warehouses = append(av.Warehouses, w)
	}
	slices.SortFunc(av.Warehouses, func(a, b WarehouseAvailability) int { return strings.Compare(a.Warehouse, b.Warehouse) })
	if availableFrom != nil && availableFrom.After(now) {
		from := *availableFrom
		av.Status, av.AvailableFrom = PreOrder, &from
	}
	return av
}
