package tax

import (
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/money"
)

// TaxLine applies decision d to a line whose amount excluding VAT is base,
// in currency: the base rounded to the currency's minor unit, the VAT
// base × rate / 100 rounded half-up to the minor unit (per line), and the
// gross amount base + VAT.
func TaxLine(d Decision, base decimal.Decimal, currency string) LineTax {
	base = money.Round(base, currency)
	v := decimal.Zero
	if !d.Exempt {
		v = money.Round(base.Mul(d.Rate).Div(hundred), currency)
	}
	return LineTax{Decision: d, Base: base, VAT: v, Gross: base.Add(v)}
}

// Summarize totals the lines of one order or quote, all in one currency
// and already rounded to its minor unit (TaxLine): one
// RateTotal per regime, country, rate and mention, ordered by rate (highest
// first), then country and regime, and the sums of bases (HT), VAT and gross
// amounts (TTC). The totals are sums of the lines' rounded amounts, never
// rounded again: Σ line VAT is the summary's VAT exactly, and so are the
// per-rate totals.
func Summarize(lines []LineTax) Summary {
	s := Summary{PerRate: []RateTotal{}, Net: decimal.Zero, VAT: decimal.Zero, Gross: decimal.Zero}
	for _, l := range lines {
		i := slices.IndexFunc(s.PerRate, func(t RateTotal) bool {
			return t.Regime == l.Regime && t.Country == l.Country && t.Mention == l.Mention && t.Rate.Equal(l.Rate)
		})
		if i < 0 {
			s.PerRate = append(s.PerRate, RateTotal{Regime: l.Regime, Country: l.Country, Rate: l.Rate, Mention: l.Mention, Base: decimal.Zero, VAT: decimal.Zero})
			i = len(s.PerRate) - 1
		}
		s.PerRate[i].Base = s.PerRate[i].Base.Add(l.Base)
		s.PerRate[i].VAT = s.PerRate[i].VAT.Add(l.VAT)
		s.Net = s.Net.Add(l.Base)
		s.VAT = s.VAT.Add(l.VAT)
		s.Gross = s.Gross.Add(l.Gross)
	}
	slices.SortStableFunc(s.PerRate, func(a, b RateTotal) int {
		if c := b.Rate.Cmp(a.Rate); c != 0 {
			return c
		}
		if c := strings.Compare(a.Country, b.Country); c != 0 {
			return c
		}
		return strings.Compare(string(a.Regime), string(b.Regime))
	})
	return s
}
