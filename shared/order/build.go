package order

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
)

// Errors of the checkout's choices.
var (
	// ErrUnknownShippingMethod: the storefront has no such method.
	ErrUnknownShippingMethod = errors.New("unknown shipping method")
	// ErrNoShippingRate: the method does not deliver to the country.
	ErrNoShippingRate = errors.New("the shipping method does not deliver to that country")
	// ErrPaymentMethodRefused: the method is not offered to the customer
	// for that delivery country.
	ErrPaymentMethodRefused = errors.New("payment method not offered")
)

// crockford is Crockford's base 32 alphabet: digits and upper-case letters
// without I, L, O and U, so that an order number read aloud or copied by
// hand is not mistaken.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDRandomChars is the number of random characters of an order number:
// 40 bits, so that two orders of one merchant on one day share a number
// with a probability of about n²/2⁴¹.
const IDRandomChars = 8

// NewID makes an order number from the merchant's calendar day and 8
// random characters of Crockford's base 32 read from random
// ("20261202-K3M9Q2TX"). The day is read in day's own location: pass
// the placing instant in the merchant's time zone.
func NewID(day time.Time, random io.Reader) (string, error) {
	var b [5]byte // 40 bits: 8 characters of 5 bits
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("order number: %w", err)
	}
	var bits uint64
	for _, x := range b {
		bits = bits<<8 | uint64(x)
	}
	out := make([]byte, 0, 9+IDRandomChars)
	out = day.AppendFormat(out, "20060102")
	out = append(out, '-')
	for i := IDRandomChars - 1; i >= 0; i-- {
		out = append(out, crockford[(bits>>(5*uint(i)))&31])
	}
	return string(out), nil
}

// Request is one order line to serve, in units.
type Request struct {
	Ref   string
	Units int64
}

// Served is how one line is served: its allocations and its backorder.
type Served struct {
	Allocations []Allocation
	Backordered int64
}

// slot is what one warehouse still holds of a product during an
// allocation.
type slot struct {
	warehouse string
	available int64
}

// Allocate serves each line from the warehouses' levels, in order, the
// warehouses of prefer first (the customer's, then the storefront's), then
// the others from the most available down (ties by id), splitting a line
// when one warehouse cannot serve it all. Lines of the same product share
// its stock: a line is served from what the lines before it left. What
// stock cannot serve is backordered when the product allows it; otherwise
// the result is a *ShortageError listing every such line, with what was
// left for it in all the warehouses, and nothing is served. A product
// missing from products does not allow backorders; a line of no units is
// served by nothing.
func Allocate(lines []Request, levels map[string][]stock.Level, products map[string]Product, prefer []string) ([]Served, error) {
	slots := map[string][]slot{}
	for _, l := range lines {
		if _, ok := slots[l.Ref]; !ok {
			slots[l.Ref] = warehouseOrder(levels[l.Ref], prefer)
		}
	}
	served := make([]Served, len(lines))
	var short []Shortage
	for i, l := range lines {
		need := max(l.Units, 0)
		left := int64(0)
		for _, s := range slots[l.Ref] {
			left += s.available
		}
		for j := range slots[l.Ref] {
			s := &slots[l.Ref][j]
			take := min(need, s.available)
			if take == 0 {
				continue
			}
			served[i].Allocations = append(served[i].Allocations, Allocation{Warehouse: s.warehouse, Units: take})
			s.available -= take
			need -= take
		}
		if need == 0 {
			continue
		}
		if products[l.Ref].Backorder {
			served[i].Backordered = need
			continue
		}
		short = append(short, Shortage{Ref: l.Ref, Requested: l.Units, Available: left})
	}
	if short != nil {
		return nil, &ShortageError{Lines: short}
	}
	return served, nil
}

// warehouseOrder lists a product's warehouses in the order they serve it:
// those of prefer first, in that order, then the others from the most
// available down, ties by warehouse id. Levels of one warehouse add up.
func warehouseOrder(levels []stock.Level, prefer []string) []slot {
	var all []slot
	for _, l := range levels {
		i := slices.IndexFunc(all, func(s slot) bool { return s.warehouse == l.Warehouse })
		if i < 0 {
			all = append(all, slot{warehouse: l.Warehouse})
			i = len(all) - 1
		}
		all[i].available += l.Available()
	}
	rank := func(wh string) int {
		if i := slices.Index(prefer, wh); i >= 0 && wh != "" {
			return i
		}
		return len(prefer)
	}
	slices.SortStableFunc(all, func(a, b slot) int {
		if c := cmp.Compare(rank(a.warehouse), rank(b.warehouse)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.available, a.available); c != 0 {
			return c
		}
		return strings.Compare(a.warehouse, b.warehouse)
	})
	return all
}

// ShippingCost is the cost excluding VAT of a method to a country, free
// from the storefront's threshold on the goods' amount excluding VAT
// (goods ≥ FreeFrom), rounded to the currency's minor unit. The method's
// rate for the country applies, else its "*" rate; an unknown method is
// ErrUnknownShippingMethod, a method without either rate
// ErrNoShippingRate. free is true when the delivery costs nothing, by
// the threshold or by a zero rate.
func ShippingCost(s merchant.Shipping, method, country string, goods decimal.Decimal, currency string) (cost decimal.Decimal, free bool, err error) {
	i := slices.IndexFunc(s.Methods, func(m merchant.ShippingMethod) bool { return m.ID == method })
	if i < 0 {
		return decimal.Zero, false, fmt.Errorf("%w %q", ErrUnknownShippingMethod, method)
	}
	rates := s.Methods[i].Rates
	r := slices.IndexFunc(rates, func(r merchant.ShippingRate) bool { return r.Country == country })
	if r < 0 {
		r = slices.IndexFunc(rates, func(r merchant.ShippingRate) bool { return r.Country == "*" })
	}
	if r < 0 {
		return decimal.Zero, false, fmt.Errorf("%w: %q to %s", ErrNoShippingRate, method, country)
	}
	if s.FreeFrom != nil && goods.GreaterThanOrEqual(*s.FreeFrom) {
		return decimal.Zero, true, nil
	}
	cost = money.Round(rates[r].Amount, currency)
	return cost, cost.IsZero(), nil
}

// ShippingTax is the VAT of a delivery cost: it follows the goods'
// decisions, split over their rates in proportion to their bases, each
// part rounded to the minor unit, the last taking the remainder so that
// the parts add up to cost. Goods taxed alike (regime, country, rate,
// exemption and mention) form one part, in the order they first appear;
// an exempt part carries no VAT. A zero cost, or no goods, has no part.
func ShippingTax(goods []tax.LineTax, cost decimal.Decimal, currency string) []tax.LineTax {
	if cost.IsZero() || len(goods) == 0 {
		return nil
	}
	type group struct {
		d    tax.Decision
		base decimal.Decimal
	}
	var groups []group
	total := decimal.Zero
	for _, g := range goods {
		i := slices.IndexFunc(groups, func(x group) bool {
			return x.d.Regime == g.Regime && x.d.Country == g.Country && x.d.Rate.Equal(g.Rate) && x.d.Exempt == g.Exempt && x.d.Mention == g.Mention
		})
		if i < 0 {
			groups = append(groups, group{d: g.Decision, base: decimal.Zero})
			i = len(groups) - 1
		}
		groups[i].base = groups[i].base.Add(g.Base)
		total = total.Add(g.Base)
	}
	out := make([]tax.LineTax, len(groups))
	left := cost
	for i, g := range groups {
		part := left
		if i < len(groups)-1 {
			part = decimal.Zero
			if !total.IsZero() {
				part = money.Round(cost.Mul(g.base).Div(total), currency)
			}
			left = left.Sub(part)
		}
		d := g.d
		d.Reason = "delivery follows the VAT of the goods, in proportion to their bases: " + d.Reason
		out[i] = tax.TaxLine(d, part, currency)
	}
	return out
}

// PaymentMethods are the methods a customer may pay an order delivered to
// country with: the storefront's for the country (or "*"), narrowed by
// the customer's, plus on account when the customer has terms. A
// storefront without payment methods offers card and transfer everywhere;
// one with methods but none for the country nor "*" offers neither. The
// storefront's order is kept, on account last; an unknown id is skipped.
func PaymentMethods(storefront map[string][]string, country string, c customer.PaymentAccount) []payment.Method {
	ids, ok := storefront[country]
	if !ok {
		ids, ok = storefront["*"]
	}
	if !ok && len(storefront) == 0 {
		ids = []string{string(payment.Card), string(payment.Transfer)}
	}
	out := []payment.Method{}
	for _, id := range ids {
		m, err := payment.ParseMethod(id)
		if err != nil || m == payment.OnAccount || slices.Contains(out, m) {
			continue
		}
		if len(c.Methods) > 0 && !slices.Contains(c.Methods, m) {
			continue
		}
		out = append(out, m)
	}
	if c.Terms != nil {
		out = append(out, payment.OnAccount)
	}
	return out
}

// PlacedEvent is the order.placed event of an order (orderevent, v1): its
// id is "<order id>.placed"; it occurred when the order was placed.
func PlacedEvent(o Order) orderevent.Event {
	return event(o, orderevent.Placed, o.PlacedAt)
}

// CancelledEvent is the order.cancelled event of a cancelled order: it
// repeats the order as placed, PlacedAt included; its id is
// "<order id>.cancelled"; it occurred at CancelledAt (PlacedAt for an
// order without one).
func CancelledEvent(o Order) orderevent.Event {
	at := o.PlacedAt
	if o.CancelledAt != nil {
		at = *o.CancelledAt
	}
	return event(o, orderevent.Cancelled, at)
}

// event is an order event of type t: the order's amounts from its totals
// (net, VAT and gross including delivery), its net amount in euros.
func event(o Order, t orderevent.Type, at time.Time) orderevent.Event {
	suffix := ".placed"
	if t == orderevent.Cancelled {
		suffix = ".cancelled"
	}
	tt := o.Totals
	e := orderevent.Order{
		ID: o.ID, PlacedAt: o.PlacedAt, Customer: o.Customer, CustomerKind: orderevent.CustomerKind(o.CustomerKind),
		ShipFrom: o.ShipFrom, ShipTo: o.Shipping.Country, Currency: tt.Currency,
		Net: tt.Tax.Net, VAT: tt.Tax.VAT, Gross: tt.Tax.Gross, NetEUR: tt.NetEUR,
	}
	if tt.Currency == "EUR" {
		e.NetEUR = tt.Tax.Net
	} else if tt.ExchangeRate != nil {
		e.ExchangeRate = &orderevent.ExchangeRate{Rate: tt.ExchangeRate.Rate, Date: tt.ExchangeRate.Date}
	}
	return orderevent.Event{
		Schema: orderevent.Schema, Version: orderevent.Version,
		ID: o.ID + suffix, Type: t, Merchant: o.Merchant, OccurredAt: at, Order: e,
	}
}

// CSVHeader are the columns of WriteCSV, one row per order line:
// the order's number, placing instant (RFC 3339, UTC), status, customer,
// customer's name, customer's reference, who placed it (role:id), currency,
// delivery country, shipping method and cost, payment method, due date
// (YYYY-MM-DD, empty unless on account), the order's net, VAT and gross
// amounts; then the line's number (from 1), product, name, quantity,
// packaging, units, unit price, total excluding VAT, VAT rate (percent),
// VAT, warehouse split ("WH1:6|WH2:4", in serving order) and backordered
// units.
var CSVHeader = []string{
	"order", "placed_at", "status", "customer", "customer_name", "reference", "placed_by",
	"currency", "ship_to", "shipping_method", "shipping_cost", "payment_method", "due_date",
	"order_net", "order_vat", "order_gross",
	"line", "ref", "name", "quantity", "packaging", "units", "unit_price", "line_net",
	"vat_rate", "line_vat", "warehouses", "backordered",
}

// WriteCSV writes orders as CSV (RFC 4180, comma-separated, quoted where
// needed), one row per line with the columns of CSVHeader, header first;
// amounts in the currency's minor units with a dot ("808.40", a unit
// price may carry more decimals).
// A text cell that a spreadsheet would run as a formula (it starts with
// '=', '+', '-', '@', a tab or a carriage return: a name or a reference
// typed by a buyer) is written with a leading apostrophe; amounts, counts
// and instants are written as they are.
func WriteCSV(w io.Writer, orders []Order) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, o := range orders {
		cur := o.Totals.Currency
		amount := func(d decimal.Decimal) string { return money.AmountIn(d, cur).String() }
		due := ""
		if o.Payment.Due != nil {
			due = o.Payment.Due.Day.Format(time.DateOnly)
		}
		head := []string{
			textCell(o.ID), o.PlacedAt.UTC().Format(time.RFC3339), textCell(string(o.Status)), textCell(o.Customer),
			textCell(o.CustomerName), textCell(o.Reference), textCell(o.PlacedBy.Role + ":" + o.PlacedBy.ID), textCell(cur),
			textCell(o.Shipping.Country), textCell(o.Shipping.Method), amount(o.Shipping.Cost),
			textCell(string(o.Payment.Method)), due, amount(o.Totals.Tax.Net), amount(o.Totals.Tax.VAT), amount(o.Totals.Tax.Gross),
		}
		for i, l := range o.Lines {
			split := make([]string, len(l.Allocations))
			for j, a := range l.Allocations {
				split[j] = a.Warehouse + ":" + strconv.FormatInt(a.Units, 10)
			}
			row := append(slices.Clone(head),
				strconv.Itoa(i+1), textCell(l.Ref), textCell(l.Name), strconv.FormatInt(l.Quantity, 10), textCell(string(l.Packaging)),
				strconv.FormatInt(l.Units, 10), amount(l.UnitPrice.Decimal), amount(l.Total.Decimal),
				l.Tax.Rate.String(), amount(l.Tax.VAT), textCell(strings.Join(split, "|")), strconv.FormatInt(l.Backordered, 10))
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// textCell neutralises a CSV text cell that a spreadsheet would take for a
// formula: it gets a leading apostrophe, which spreadsheets show as text.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
