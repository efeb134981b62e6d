package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
)

// The back office's pre-order settings of a product (see Routes): staff
// take a product on pre-order ("précommande") for a season, with its days,
// its expected availability, an optional cap and a minimum per line.

// PreOrderInput is the body of PUT /admin/products/{ref}/pre-order: the
// whole settings, which replace the stored ones.
type PreOrderInput struct {
	// Season names the season or collection ("jardin-2027"): an id.
	Season string `json:"season"`
	// Opens and Closes are the first and last days pre-orders are taken,
	// AvailableFrom the day the goods are expected: YYYY-MM-DD, in the
	// merchant's time zone, with Opens <= Closes <= AvailableFrom.
	Opens         string `json:"opens"`
	Closes        string `json:"closes"`
	AvailableFrom string `json:"availableFrom"`
	// Cap is the most units all pre-orders of the product may hold
	// together; 0 or absent: no cap.
	Cap int64 `json:"cap"`
	// MinQuantity is the fewest units a pre-order line may hold, within the
	// cap; 0 or absent: no minimum but the product's own.
	MinQuantity int64 `json:"minQuantity"`
}

// maxDateLen bounds a date field before it is parsed: "YYYY-MM-DD".
const maxDateLen = len(time.DateOnly)

// PreOrderSettingsView is a product's pre-order settings as the back
// office shows them; dates are YYYY-MM-DD, Cap and MinQuantity 0 when none.
type PreOrderSettingsView struct {
	Season        string `json:"season"`
	Opens         string `json:"opens"`
	Closes        string `json:"closes"`
	AvailableFrom string `json:"availableFrom"`
	Cap           int64  `json:"cap"`
	MinQuantity   int64  `json:"minQuantity"`
}

// ProductPreOrderView is the answer of PUT /admin/products/{ref}/pre-order:
// the product's reference and its settings as saved.
type ProductPreOrderView struct {
	Ref      string               `json:"ref"`
	PreOrder PreOrderSettingsView `json:"preOrder"`
}

// PreOrderView is what the storefront shows of a product taken on
// pre-order: its season, the days pre-orders are taken, the day the goods
// are expected and the minimum per line (absent when none). The cap is
// the merchant's own figure and is not shown.
type PreOrderView struct {
	Season        string `json:"season"`
	Opens         string `json:"opens"`
	Closes        string `json:"closes"`
	AvailableFrom string `json:"availableFrom"`
	MinQuantity   int64  `json:"minQuantity,omitempty"`
}

// preOrderView is the storefront's view of a product's pre-order
// settings, nil when it is not taken on pre-order.
func preOrderView(p *catalog.PreOrder) *PreOrderView {
	if p == nil {
		return nil
	}
	return &PreOrderView{
		Season: p.Season, Opens: p.Opens.Format(time.DateOnly), Closes: p.Closes.Format(time.DateOnly),
		AvailableFrom: p.AvailableFrom.Format(time.DateOnly), MinQuantity: p.MinQuantity,
	}
}

func preOrderSettingsView(p catalog.PreOrder) PreOrderSettingsView {
	return PreOrderSettingsView{
		Season: p.Season, Opens: p.Opens.Format(time.DateOnly), Closes: p.Closes.Format(time.DateOnly),
		AvailableFrom: p.AvailableFrom.Format(time.DateOnly), Cap: p.Cap, MinQuantity: p.MinQuantity,
	}
}

// parse reads the settings, adding a field error for each wrong one (a
// date that is not YYYY-MM-DD, and what catalog.PreOrder.Check refuses).
func (in *PreOrderInput) parse(fe *fieldErrors) catalog.PreOrder {
	po := catalog.PreOrder{Season: in.Season, Cap: in.Cap, MinQuantity: in.MinQuantity}
	for _, d := range []struct {
		field string
		in    string
		out   *time.Time
	}{{"opens", in.Opens, &po.Opens}, {"closes", in.Closes, &po.Closes}, {"availableFrom", in.AvailableFrom, &po.AvailableFrom}} {
		if fe.has(d.field) {
			continue
		}
		if d.in == "" {
			fe.add(d.field, "is required: a date as YYYY-MM-DD")
			continue
		}
		day, err := time.Parse(time.DateOnly, d.in)
		if len(d.in) != maxDateLen || err != nil {
			fe.add(d.field, "must be a date as YYYY-MM-DD, not "+echo(d.in))
			continue
		}
		*d.out = day
	}
	var invalid *catalog.InvalidPreOrderError
	if err := po.Check(); errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			if !fe.has(p.Field) {
				fe.add(p.Field, p.Reason)
			}
		}
	}
	return po
}

// putPreOrder takes a product on pre-order, or changes its settings: the
// product's PreOrder and its AvailableFrom (the settings' availableFrom,
// so that the catalog shows it on pre-order) are set together in one
// transaction conditioned on the product as read (the product store's
// UpdateProduct, which keeps the product's search entries and EAN claim,
// copies of it, in step). Round trips: the product (GetItem, consistent)
// and the transaction; settings already stored are not written again.
// 200 with the settings as saved, 400 for wrong settings (every field
// named), 404 for an unknown product, 409 when other saves of the product
// kept winning the race.
func (a *AdminAPI) putPreOrder(w http.ResponseWriter, r *Request) error {
	ref := r.PathValue("ref")
	if !catalog.ValidRef(ref) {
		return NotFound("no product " + echo(ref))
	}
	var in PreOrderInput
	fe := &fieldErrors{}
	if err := decodeFields(r.Request, fe, map[string]any{
		"season": &in.Season, "opens": &in.Opens, "closes": &in.Closes, "availableFrom": &in.AvailableFrom,
		"cap": &in.Cap, "minQuantity": &in.MinQuantity,
	}); err != nil {
		return err
	}
	po := in.parse(fe)
	if err := fe.err(); err != nil {
		return err
	}
	saved, err := a.setPreOrder(r, ref, &po)
	if err != nil {
		return err
	}
	if saved.PreOrder == nil {
		return fmt.Errorf("pre-order settings of %s: the saved product has none", ref)
	}
	return writeJSON(w, http.StatusOK, ProductPreOrderView{Ref: saved.Ref, PreOrder: preOrderSettingsView(*saved.PreOrder)})
}

// deletePreOrder takes a product off pre-order: its PreOrder and its
// AvailableFrom are cleared together, as putPreOrder sets them. 204, also
// when the product had no settings; 404 for an unknown product.
func (a *AdminAPI) deletePreOrder(w http.ResponseWriter, r *Request) error {
	ref := r.PathValue("ref")
	if !catalog.ValidRef(ref) {
		return NotFound("no product " + echo(ref))
	}
	if _, err := a.setPreOrder(r, ref, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setPreOrder stores po (nil: none) as the product's pre-order settings,
// with its AvailableFrom, and returns the product as saved.
func (a *AdminAPI) setPreOrder(r *Request, ref string, po *catalog.PreOrder) (catalog.Product, error) {
	saved, _, err := a.Catalog.UpdateProduct(r.Context(), r.Merchant(), ref, func(p *catalog.Product, exists bool) error {
		if !exists {
			return catalog.ErrNotFound
		}
		p.PreOrder, p.AvailableFrom = nil, nil
		if po != nil {
			settings, from := *po, po.AvailableFrom
			p.PreOrder, p.AvailableFrom = &settings, &from
		}
		return nil
	})
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return catalog.Product{}, NotFound("no product " + strconv.Quote(ref))
	case errors.Is(err, catalog.ErrTooLarge):
		return catalog.Product{}, (&fieldErrors{}).add("body", fmt.Sprintf("the product with its settings would exceed %d KiB", catalog.MaxProductBytes>>10)).err()
	case errors.Is(err, catalog.ErrConflict):
		return catalog.Product{}, Conflict("product " + strconv.Quote(ref) + " was being changed by other requests at the same time; send the request again")
	case err != nil:
		return catalog.Product{}, err
	}
	return saved, nil
}
