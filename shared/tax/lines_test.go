package tax

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func TestTaxLine_RoundsEachLinesVATHalfUpToTheMinorUnit(t *testing.T) {
	taxed := func(rate string) Decision { return Decision{Regime: Domestic, Country: "FR", Rate: d(rate)} }
	exempt := Decision{Regime: Export, Exempt: true, Rate: decimal.Zero, Mention: MentionExport}
	cases := []struct {
		name                 string
		d                    Decision
		base, currency       string
		wantBase, vat, gross string
	}{
		{"EUR at 20", taxed("20"), "808.40", "EUR", "808.4", "161.68", "970.08"},
		{"EUR half-up", taxed("20"), "0.125", "EUR", "0.13", "0.03", "0.16"},               // base 0.125 → 0.13; 0.026 → 0.03
		{"EUR 5.5 half-up on the VAT", taxed("5.5"), "0.10", "EUR", "0.1", "0.01", "0.11"}, // 0.0055 → 0.01
		{"EUR 5.5 below the half", taxed("5.5"), "0.09", "EUR", "0.09", "0", "0.09"},       // 0.00495 → 0.00
		{"EUR 2.1", taxed("2.1"), "1234.56", "EUR", "1234.56", "25.93", "1260.49"},         // 25.92576
		{"EUR 25.5", taxed("25.5"), "10.02", "EUR", "10.02", "2.56", "12.58"},              // 2.5551
		{"JPY 0 decimals", taxed("10"), "333", "JPY", "333", "33", "366"},                  // 33.3
		{"JPY half-up", taxed("10"), "1005", "JPY", "1005", "101", "1106"},                 // 100.5
		{"JPY base rounded", taxed("20"), "1234.5", "JPY", "1235", "247", "1482"},
		{"KWD 3 decimals", taxed("5"), "12.345", "KWD", "12.345", "0.617", "12.962"}, // 0.61725
		{"KWD half-up", taxed("5"), "0.011", "KWD", "0.011", "0.001", "0.012"},       // 0.00055
		{"KWD base rounded", taxed("20"), "1.2345", "KWD", "1.235", "0.247", "1.482"},
		{"exempt", exempt, "808.40", "EUR", "808.4", "0", "808.4"},
		{"zero rate", taxed("0"), "10", "EUR", "10", "0", "10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := TaxLine(c.d, d(c.base), c.currency)
			if !got.Base.Equal(d(c.wantBase)) || !got.VAT.Equal(d(c.vat)) || !got.Gross.Equal(d(c.gross)) {
				t.Errorf("TaxLine(%s at %s in %s) = base %s vat %s gross %s, want %s %s %s",
					c.base, c.d.Rate, c.currency, got.Base, got.VAT, got.Gross, c.wantBase, c.vat, c.gross)
			}
			if got.Decision.Regime != c.d.Regime || got.Mention != c.d.Mention {
				t.Errorf("decision not kept: %+v", got.Decision)
			}
		})
	}
}

func TestSummarize_TotalsPerRateAddUpExactly(t *testing.T) {
	fr := func(rate string) Decision { return Decision{Regime: Domestic, Country: "FR", Rate: d(rate)} }
	be := Decision{Regime: DistanceSaleDestination, Country: "BE", Rate: d("21")}
	exempt := Decision{Regime: IntraEUExempt, Exempt: true, Rate: decimal.Zero, Mention: MentionIntraEU + " – " + MentionReverseCharge}
	type total struct{ regime, country, rate, base, vat string }
	cases := []struct {
		name     string
		currency string
		lines    []LineTax
		perRate  []total
		net, vat string
	}{
		{
			// Three lines of 0.10 at 5.5 %: 0.0055 rounds to 0.01 each, so the
			// VAT is 0.03, not round(0.30 × 5.5 %) = 0.02: the total is the
			// sum of the lines.
			name:     "EUR, per-line rounding summed",
			currency: "EUR",
			lines: []LineTax{
				TaxLine(fr("20"), d("19.99"), "EUR"), TaxLine(fr("5.5"), d("0.10"), "EUR"),
				TaxLine(fr("5.5"), d("0.10"), "EUR"), TaxLine(fr("20"), d("0.125"), "EUR"),
				TaxLine(fr("5.5"), d("0.10"), "EUR"), TaxLine(fr("10"), d("3.33"), "EUR"),
			},
			perRate: []total{
				{"domestic", "FR", "20", "20.12", "4.03"}, // 4.00 (3.998) + 0.03
				{"domestic", "FR", "10", "3.33", "0.33"},
				{"domestic", "FR", "5.5", "0.3", "0.03"},
			},
			net: "23.75", vat: "4.39",
		},
		{
			name:     "JPY, whole yen",
			currency: "JPY",
			lines:    []LineTax{TaxLine(fr("10"), d("333"), "JPY"), TaxLine(fr("10"), d("1005"), "JPY"), TaxLine(exempt, d("5000"), "JPY")},
			perRate: []total{
				{"domestic", "FR", "10", "1338", "134"}, // 33 + 101
				{"intra-eu-exempt", "", "0", "5000", "0"},
			},
			net: "6338", vat: "134",
		},
		{
			name:     "KWD, three decimals, two countries at 21 and 20",
			currency: "KWD",
			lines:    []LineTax{TaxLine(be, d("12.345"), "KWD"), TaxLine(fr("20"), d("1.2345"), "KWD"), TaxLine(be, d("0.011"), "KWD")},
			perRate: []total{
				{"distance-sale-destination", "BE", "21", "12.356", "2.594"}, // 2.59245 → 2.592; 0.00231 → 0.002
				{"domestic", "FR", "20", "1.235", "0.247"},
			},
			net: "13.591", vat: "2.841",
		},
		{name: "no lines", currency: "EUR", net: "0", vat: "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Summarize(c.lines)
			if len(s.PerRate) != len(c.perRate) {
				t.Fatalf("per rate = %+v, want %d totals", s.PerRate, len(c.perRate))
			}
			for i, w := range c.perRate {
				g := s.PerRate[i]
				if string(g.Regime) != w.regime || g.Country != w.country || !g.Rate.Equal(d(w.rate)) || !g.Base.Equal(d(w.base)) || !g.VAT.Equal(d(w.vat)) {
					t.Errorf("per rate [%d] = %s %s %s base %s vat %s, want %v", i, g.Regime, g.Country, g.Rate, g.Base, g.VAT, w)
				}
			}
			if !s.Net.Equal(d(c.net)) || !s.VAT.Equal(d(c.vat)) || !s.Gross.Equal(d(c.net).Add(d(c.vat))) {
				t.Errorf("totals = %s + %s = %s, want %s + %s", s.Net, s.VAT, s.Gross, c.net, c.vat)
			}
			assertAddsUp(t, c.lines, s)
		})
	}
}

// assertAddsUp checks that a summary is the exact sum of its lines, overall
// and per rate.
func assertAddsUp(t *testing.T, lines []LineTax, s Summary) {
	t.Helper()
	net, vat, gross := decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range lines {
		net, vat, gross = net.Add(l.Base), vat.Add(l.VAT), gross.Add(l.Gross)
	}
	if !s.Net.Equal(net) || !s.VAT.Equal(vat) || !s.Gross.Equal(gross) || !s.Net.Add(s.VAT).Equal(s.Gross) {
		t.Fatalf("summary %s/%s/%s, lines %s/%s/%s", s.Net, s.VAT, s.Gross, net, vat, gross)
	}
	pNet, pVAT := decimal.Zero, decimal.Zero
	for _, r := range s.PerRate {
		b, v := decimal.Zero, decimal.Zero
		for _, l := range lines {
			if l.Regime == r.Regime && l.Country == r.Country && l.Rate.Equal(r.Rate) && l.Mention == r.Mention {
				b, v = b.Add(l.Base), v.Add(l.VAT)
			}
		}
		if !r.Base.Equal(b) || !r.VAT.Equal(v) {
			t.Fatalf("per rate %s %s %s: %s/%s, lines %s/%s", r.Regime, r.Country, r.Rate, r.Base, r.VAT, b, v)
		}
		pNet, pVAT = pNet.Add(r.Base), pVAT.Add(r.VAT)
	}
	if !pNet.Equal(s.Net) || !pVAT.Equal(s.VAT) {
		t.Fatalf("per-rate totals %s/%s differ from the summary %s/%s", pNet, pVAT, s.Net, s.VAT)
	}
}

// TestSummarize_NeverLosesACent sums many random orders in each minor unit:
// the summary is always the exact sum of the lines, per rate and overall,
// and every amount stays in the currency's minor unit.
func TestSummarize_NeverLosesACent(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2026))
	rates := []string{"20", "10", "5.5", "2.1", "21", "25.5", "17", "0"}
	regimes := []Regime{Domestic, DistanceSaleOrigin, DistanceSaleDestination}
	for _, currency := range []string{"EUR", "JPY", "KWD"} {
		minor := int32(2)
		switch currency {
		case "JPY":
			minor = 0
		case "KWD":
			minor = 3
		}
		for order := 0; order < 300; order++ {
			var lines []LineTax
			for range 1 + rng.IntN(40) {
				dec := Decision{Regime: regimes[rng.IntN(len(regimes))], Country: []string{"FR", "BE", "DE"}[rng.IntN(3)], Rate: d(rates[rng.IntN(len(rates))])}
				if rng.IntN(8) == 0 {
					dec = Decision{Regime: Export, Exempt: true, Rate: decimal.Zero, Mention: MentionExport}
				}
				// A base with up to 4 decimals, as unit price × quantity gives.
				base := decimal.New(rng.Int64N(100_000_000), -4)
				l := TaxLine(dec, base, currency)
				for _, a := range []decimal.Decimal{l.Base, l.VAT, l.Gross} {
					if !a.Round(minor).Equal(a) {
						t.Fatalf("%s amount %s beyond the minor unit", currency, a)
					}
				}
				lines = append(lines, l)
			}
			assertAddsUp(t, lines, Summarize(lines))
		}
	}
}

// FuzzTaxLine checks, for any base and rate, that a line's VAT is the exact
// product rounded half-up once, and that a summary of it adds up.
func FuzzTaxLine(f *testing.F) {
	f.Add(int64(80840), int64(200), uint8(2))
	f.Add(int64(5), int64(55), uint8(0))
	f.Add(int64(11), int64(50), uint8(3))
	f.Fuzz(func(t *testing.T, baseMinor, rateTenths int64, minorUnits uint8) {
		currency := []string{"JPY", "EUR", "EUR", "KWD"}[minorUnits%4]
		minor := []int32{0, 2, 2, 3}[minorUnits%4]
		base := decimal.New(baseMinor%1_000_000_000_000, -minor)
		rate := decimal.New(int64(uint64(rateTenths)%1000), -1)
		l := TaxLine(Decision{Regime: Domestic, Country: "FR", Rate: rate}, base, currency)
		want := base.Mul(rate).Div(decimal.NewFromInt(100)).Round(minor)
		if !l.VAT.Equal(want) || !l.Gross.Equal(base.Add(want)) {
			t.Fatalf("TaxLine(%s at %s in %s) = %s, want %s", base, rate, currency, l.VAT, want)
		}
		assertAddsUp(t, []LineTax{l, l}, Summarize([]LineTax{l, l}))
	})
}
