package stock

import "time"

// Alert says that a product's level in a warehouse fell to or below its
// alert minimum (AS_QteMini): the merchant should reorder up to the
// maximum (AS_QteMaxi).
type Alert struct {
	Ref       string `json:"ref"`
	Warehouse string `json:"warehouse"`
	// Available is what could still be sold when the alert was raised.
	Available int64 `json:"available"`
	Min       int64 `json:"min"`
	Max       int64 `json:"max"`
	// Reorder is the quantity that brings the warehouse back to its
	// maximum: Max − Available, never below zero.
	Reorder  int64     `json:"reorder"`
	RaisedAt time.Time `json:"raisedAt"`
}

// AlertFor returns the alert of level l when available (what can still be
// sold, site orders taken) is at or below its minimum, raised at at. A
// level without thresholds (Min and Max both zero) raises none: the
// merchant did not ask to be told.
func AlertFor(l Level, available int64, at time.Time) (Alert, bool) {
	if l.Min == 0 && l.Max == 0 || available > l.Min {
		return Alert{}, false
	}
	return Alert{
		Ref:       l.Ref,
		Warehouse: l.Warehouse,
		Available: available,
		Min:       l.Min,
		Max:       l.Max,
		Reorder:   max(l.Max-available, 0),
		RaisedAt:  at.UTC(),
	}, true
}

// Crossed reports whether available going from before to after fell from
// above l's minimum to at or below it: the moment an alert is raised, once
// per fall.
func Crossed(l Level, before, after int64) bool {
	return before > l.Min && after <= l.Min
}
