package httpapi

import "net/http"

// putPreOrder sets a product's pre-order settings (catalog.PreOrder).
func (a *AdminAPI) putPreOrder(w http.ResponseWriter, r *Request) error {
	return problem(http.StatusNotImplemented, "not-implemented", "Not implemented", "pre-order settings are not served yet")
}

// deletePreOrder removes a product's pre-order settings.
func (a *AdminAPI) deletePreOrder(w http.ResponseWriter, r *Request) error {
	return problem(http.StatusNotImplemented, "not-implemented", "Not implemented", "pre-order settings are not served yet")
}
