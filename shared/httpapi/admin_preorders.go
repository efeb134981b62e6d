package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/order"
)

// A season's pre-orders in the back office (see Routes): their exact
// totals, which the merchant orders from its own suppliers with, and
// their conversion into ordinary orders once the goods are in.

// seasonParam is the {season} path segment, an id (catalog.ValidID).
func seasonParam(r *Request) (string, error) {
	season := r.PathValue("season")
	if !catalog.ValidID(season) {
		return "", InvalidParameter("season must be a season id: 1 to 64 printable characters without spaces, '#' or '/'")
	}
	return season, nil
}

// wantsTotalsCSV reads the format the caller asks for: ?format=csv or
// json, else CSV when Accept names text/csv.
func wantsTotalsCSV(r *Request) (bool, error) {
	switch f := r.URL.Query()["format"]; {
	case len(f) > 1:
		return false, InvalidParameter("format is given more than once")
	case len(f) == 1 && f[0] == "csv":
		return true, nil
	case len(f) == 1 && f[0] == "json":
		return false, nil
	case len(f) == 1:
		return false, InvalidParameter("format must be json or csv")
	}
	for _, accept := range r.Header.Values("Accept") {
		for _, part := range strings.Split(accept, ",") {
			media, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(media), "text/csv") {
				return true, nil
			}
		}
	}
	return false, nil
}

// preOrderTotals answers a season's pre-order totals (order.PreOrderBook's
// Totals: the season's shards read at once), as JSON (order.SeasonTotals)
// or, with ?format=csv or Accept: text/csv, as a ";"-separated file to
// download (order.WriteTotalsCSV). A season without pre-orders answers
// empty lists.
func (a *AdminAPI) preOrderTotals(w http.ResponseWriter, r *Request) error {
	season, err := seasonParam(r)
	if err != nil {
		return err
	}
	csv, err := wantsTotalsCSV(r)
	if err != nil {
		return err
	}
	if a.PreOrders == nil {
		return errors.New("pre-order totals: no store configured")
	}
	t, err := a.PreOrders.Totals(r.Context(), r.Merchant(), season)
	if err != nil {
		return err
	}
	if !csv {
		return writeJSON(w, http.StatusOK, t)
	}
	var buf bytes.Buffer
	if err := order.WriteTotalsCSV(&buf, t); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "pre-orders-" + season + ".csv"}))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// ConvertInput is the body of POST /admin/pre-orders/{season}/convert,
// optional: Limit is the most pre-orders the call converts, 1 to 100
// (order.ConvertMax); absent, 50 (order.ConvertDefault).
type ConvertInput struct {
	Limit *int `json:"limit"`
}

// convertPreOrders turns up to limit of a season's pre-orders, neither
// cancelled nor converted, into ordinary orders with their stock (see
// order.PreOrderBook's Convert): each served first from the customer's
// preferred warehouse, then the storefront's, then the others, what stock
// lacks backordered. The answer says which were converted, the units
// backordered and how many are left to convert (call again until 0).
// Stock that kept changing through every retry is 503 busy with
// Retry-After: what was converted stays converted, and a call again goes
// on from there.
func (a *AdminAPI) convertPreOrders(w http.ResponseWriter, r *Request) error {
	season, err := seasonParam(r)
	if err != nil {
		return err
	}
	data, err := readBody(r.Request)
	if err != nil {
		return err
	}
	in := ConvertInput{}
	if len(bytes.TrimLeft(data, jsonSpace)) > 0 {
		if err := decodeObject(data, &in); err != nil {
			return err
		}
	}
	limit := order.ConvertDefault
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > order.ConvertMax {
			p := InvalidParameter(fmt.Sprintf("limit must be from 1 to %d", order.ConvertMax))
			p.Errors = []FieldError{{Field: "limit", Reason: fmt.Sprintf("a whole number from 1 to %d", order.ConvertMax)}}
			return p
		}
		limit = *in.Limit
	}
	if a.PreOrders == nil {
		return errors.New("pre-order conversion: no store configured")
	}
	var prefer []string
	if wh := r.Storefront.Warehouse; wh != "" {
		prefer = []string{wh}
	}
	res, err := a.PreOrders.Convert(r.Context(), r.Merchant(), season, prefer, limit, actor(r.Caller), a.now().UTC())
	switch {
	case errors.Is(err, order.ErrBusy):
		return problem(http.StatusServiceUnavailable, "busy", "Busy",
			"orders kept taking the same stock during the conversion: what was converted stays converted; retry to go on").RetryAfter(time.Second)
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
