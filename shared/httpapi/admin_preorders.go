package httpapi

import "net/http"

// preOrderTotals answers a season's pre-order totals, as JSON or CSV.
func (a *AdminAPI) preOrderTotals(w http.ResponseWriter, r *Request) error {
	return problem(http.StatusNotImplemented, "not-implemented", "Not implemented", "pre-order totals are not served yet")
}

// convertPreOrders turns a season's pre-orders into ordinary orders.
func (a *AdminAPI) convertPreOrders(w http.ResponseWriter, r *Request) error {
	return problem(http.StatusNotImplemented, "not-implemented", "Not implemented", "pre-order conversion is not served yet")
}
