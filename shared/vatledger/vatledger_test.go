package vatledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/vatledger"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestState_DistanceSale(t *testing.T) {
	eu := vatledger.DefaultSettings()
	be := vatledger.DefaultSettings()
	be.CountryThresholds = map[string]decimal.Decimal{"BE": d("35000")}
	optIn := vatledger.DefaultSettings()
	optIn.OptIn = &vatledger.OptIn{From: day("2026-07-01T00:00:00Z"), By: "claire"}
	on := day("2026-06-15T10:00:00Z")
	totals := func(prevEU, curEU, curBE string) map[int]map[string]decimal.Decimal {
		return map[int]map[string]decimal.Decimal{2025: {"EU": d(prevEU)}, 2026: {"EU": d(curEU), "BE": d(curBE)}}
	}
	cases := []struct {
		name     string
		s        vatledger.Settings
		totals   map[int]map[string]decimal.Decimal
		to, net  string
		on       time.Time
		wantDest bool
	}{
		{"FR→BE consumer below the threshold", eu, totals("0", "5000", "5000"), "BE", "100", on, false},
		{"FR→BE consumer taking the total to exactly 10,000", eu, totals("0", "9000", "9000"), "BE", "1000", on, false},
		{"FR→BE consumer taking the total a cent over", eu, totals("0", "9000", "9000"), "BE", "1000.01", on, true},
		{"FR→BE consumer, current year already over", eu, totals("0", "10000.01", "0"), "BE", "1", on, true},
		{"current year exactly at the threshold, a zero order", eu, totals("0", "10000", "0"), "BE", "0", on, false},
		{"previous year over, current year empty", eu, totals("10000.01", "0", "0"), "BE", "1", on, true},
		{"previous year exactly at the threshold", eu, totals("10000", "0", "0"), "BE", "1", on, false},
		{"FR→DE consumer after opt-in", optIn, totals("0", "0", "0"), "DE", "1", day("2026-07-01T00:00:00Z"), true},
		{"FR→DE consumer the day before the opt-in", optIn, totals("0", "0", "0"), "DE", "1", day("2026-06-30T23:59:59Z"), false},
		{"BE with its own 35,000: EU total over, BE under", be, totals("0", "40000", "30000"), "BE", "5000", on, false},
		{"BE with its own 35,000: over it", be, totals("0", "40000", "30000"), "BE", "5000.01", on, true},
		{"DE beside BE's own threshold: EU rule", be, totals("0", "40000", "30000"), "DE", "1", on, true},
		{"no totals at all", eu, nil, "IT", "9999.99", on, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := vatledger.State{Settings: c.s, Totals: c.totals}
			got := st.DistanceSale(c.to, d(c.net), c.on)
			if got.Destination != c.wantDest || got.Reason == "" {
				t.Errorf("%+v, want destination %v with a reason", got, c.wantDest)
			}
		})
	}
}

func TestState_Exceeded_OnlyOverTheThreshold(t *testing.T) {
	s := vatledger.DefaultSettings()
	s.CountryThresholds = map[string]decimal.Decimal{"BE": d("35000")}
	st := vatledger.State{Settings: s, Totals: map[int]map[string]decimal.Decimal{
		2025: {"EU": d("10000"), "BE": d("35000")},
		2026: {"EU": d("10000.01"), "BE": d("35000.01"), "DE": d("99999")},
	}}
	now := day("2026-05-01T00:00:00Z")
	if got := st.Exceeded(now, 2025); len(got) != 0 {
		t.Errorf("totals at their thresholds raised %+v", got)
	}
	got := st.Exceeded(now, 2026)
	if len(got) != 2 || got[0].ID != "2026-EU" || got[1].ID != "2026-BE" || !got[1].Threshold.Equal(d("35000")) || !got[0].At.Equal(now) {
		t.Errorf("alerts %+v, want the EU one and BE's own (DE has no threshold of its own)", got)
	}
}

func event(typ orderevent.Type, order, shipTo, net string) orderevent.Event {
	return orderevent.Event{ID: "ev-" + order + "-" + string(typ), Type: typ, Order: orderevent.Order{
		ID: order, PlacedAt: day("2026-03-01T10:00:00Z"), CustomerKind: orderevent.Consumer,
		ShipFrom: "FR", ShipTo: shipTo, Currency: "EUR", NetEUR: d(net),
	}}
}

func TestNext_EveryOrderOfEventsEndsTheSame(t *testing.T) {
	p, c := event(orderevent.Placed, "O1", "BE", "120.50"), event(orderevent.Cancelled, "O1", "BE", "120.50")
	cases := []struct {
		name   string
		events []orderevent.Event
		status vatledger.Status
		total  string
	}{
		{"placed", []orderevent.Event{p}, vatledger.Placed, "120.50"},
		{"placed twice", []orderevent.Event{p, p}, vatledger.Placed, "120.50"},
		{"placed then cancelled", []orderevent.Event{p, c}, vatledger.Cancelled, "0"},
		{"cancelled then placed", []orderevent.Event{c, p}, vatledger.Cancelled, "0"},
		{"placed, cancelled, placed again, cancelled again", []orderevent.Event{p, c, p, c}, vatledger.Cancelled, "0"},
		{"cancelled only", []orderevent.Event{c}, vatledger.Cancelled, "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cur *vatledger.Entry
			total := decimal.Zero
			for _, ev := range c.events {
				next, delta, changed := vatledger.Next(cur, ev, paris)
				if !changed && !delta.IsZero() {
					t.Fatalf("no change but delta %s", delta)
				}
				total = total.Add(delta)
				cur = &next
			}
			if cur.Status != c.status || !total.Equal(d(c.total)) || cur.Year != 2026 {
				t.Errorf("entry %+v, total %s; want %s, %s", cur, total, c.status, c.total)
			}
			sum := vatledger.Sum([]vatledger.Entry{*cur})
			if !sum[2026]["BE"].Equal(d(c.total)) || !sum[2026][vatledger.EU].Equal(d(c.total)) {
				t.Errorf("Sum %v, want the incremental total %s", sum, c.total)
			}
		})
	}
}

func TestCounts_B2CBetweenMemberStatesOnly(t *testing.T) {
	cases := []struct {
		kind     orderevent.CustomerKind
		from, to string
		want     bool
	}{
		{orderevent.Consumer, "FR", "BE", true},
		{orderevent.Consumer, "FR", "GR", true},
		{orderevent.Consumer, "FR", "FR", false},
		{orderevent.Pro, "FR", "BE", false},
		{orderevent.Consumer, "FR", "CH", false},
		{orderevent.Consumer, "FR", "US", false},
		{orderevent.Consumer, "CH", "FR", false},
		// Monaco is France for VAT (tax.VATCountry), as quotes decide.
		{orderevent.Consumer, "DE", "MC", true},
		{orderevent.Consumer, "MC", "BE", true},
		{orderevent.Consumer, "FR", "MC", false},
		{orderevent.Consumer, "MC", "FR", false},
		{orderevent.Pro, "DE", "MC", false},
	}
	for _, c := range cases {
		o := orderevent.Order{CustomerKind: c.kind, ShipFrom: c.from, ShipTo: c.to}
		if got := vatledger.Counts(o); got != c.want {
			t.Errorf("%s %s→%s: %v, want %v", c.kind, c.from, c.to, got, c.want)
		}
	}
}

func TestSettings_Validate(t *testing.T) {
	ok := vatledger.DefaultSettings()
	cases := map[string]func(*vatledger.Settings){
		"zero threshold":        func(s *vatledger.Settings) { s.EUThreshold = decimal.Zero },
		"fraction of a cent":    func(s *vatledger.Settings) { s.EUThreshold = d("10000.001") },
		"a billion":             func(s *vatledger.Settings) { s.EUThreshold = d("1000000000") },
		"outside the EU":        func(s *vatledger.Settings) { s.CountryThresholds = map[string]decimal.Decimal{"CH": d("1")} },
		"VAT prefix for Greece": func(s *vatledger.Settings) { s.CountryThresholds = map[string]decimal.Decimal{"EL": d("35000")} },
		"negative country":      func(s *vatledger.Settings) { s.CountryThresholds = map[string]decimal.Decimal{"BE": d("-1")} },
		"opt-in without a day":  func(s *vatledger.Settings) { s.OptIn = &vatledger.OptIn{By: "claire"} },
		"opt-in without a name": func(s *vatledger.Settings) { s.OptIn = &vatledger.OptIn{From: day("2026-01-01T00:00:00Z")} },
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, change := range cases {
		s := vatledger.DefaultSettings()
		change(&s)
		if err := s.Validate(); !errors.Is(err, vatledger.ErrInvalidSettings) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s := vatledger.DefaultSettings()
	s.CountryThresholds = map[string]decimal.Decimal{"BE": d("35000"), "DE": d("100000"), "GR": d("35000")}
	s.OptIn = &vatledger.OptIn{From: day("2026-01-01T00:00:00Z"), By: "claire"}
	if err := s.Validate(); err != nil {
		t.Errorf("the regime before 2021: %v", err)
	}
}

func TestEUR(t *testing.T) {
	for in, want := range map[string]string{"10000": "€10,000.00", "10412.5": "€10,412.50", "999.999": "€1,000.00", "0": "€0.00", "1234567.01": "€1,234,567.01", "-35000": "-€35,000.00"} {
		if got := vatledger.EUR(d(in)); got != want {
			t.Errorf("EUR(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestParseRecomputeRequest(t *testing.T) {
	good := `{"type":"ledger.recompute","merchant":"hairstore","requestedBy":"claire@hairstore.fr","id":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"}`
	if r, err := vatledger.ParseRecomputeRequest([]byte(good)); err != nil || r.Merchant != "hairstore" {
		t.Fatalf("%+v, %v", r, err)
	}
	for _, bad := range []string{
		`{"type":"ledger.recompute","merchant":"hair store","requestedBy":"c","id":"1"}`,
		`{"type":"ledger.recompute","merchant":"m","requestedBy":"","id":"1"}`,
		`{"type":"ledger.recompute","merchant":"m","requestedBy":"c","id":""}`,
		`{"type":"order.placed","merchant":"m","requestedBy":"c","id":"1"}`,
		`[]`,
	} {
		if _, err := vatledger.ParseRecomputeRequest([]byte(bad)); !errors.Is(err, vatledger.ErrInvalidRequest) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestNext_MonacoCountsInFrancesTotals: a consumer sale shipped from
// Germany to Monaco is recorded for France, the member state whose VAT
// applies there, in the entry and in the rebuilt totals.
var paris = merchant.Merchant{}.Location()

// TestYearIn_TheMerchantsCalendarYear: an order counts in the calendar year
// of its placement in the merchant's time zone (art. 59c's calendar year is
// the supplier's), not in UTC's.
func TestYearIn_TheMerchantsCalendarYear(t *testing.T) {
	utc, err := time.LoadLocation("UTC")
	if err != nil {
		t.Fatal(err)
	}
	martinique, err := time.LoadLocation("America/Martinique")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		placedAt string
		loc      *time.Location
		want     int
	}{
		{"00:30 on 1 January in Paris", "2026-12-31T23:30:00Z", paris, 2027},
		{"23:30 on 31 December in Paris", "2026-12-31T22:30:00Z", paris, 2026},
		{"the same instant in UTC", "2026-12-31T23:30:00Z", utc, 2026},
		{"nil is UTC", "2026-12-31T23:30:00Z", nil, 2026},
		{"1 January in UTC, still 31 December in Martinique", "2027-01-01T03:00:00Z", martinique, 2026},
		{"summer time", "2026-06-30T23:30:00Z", paris, 2026},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := vatledger.YearIn(day(c.placedAt), c.loc); got != c.want {
				t.Errorf("YearIn(%s, %v) = %d, want %d", c.placedAt, c.loc, got, c.want)
			}
			ev := event(orderevent.Placed, "O1", "BE", "10.00")
			ev.Order.PlacedAt = day(c.placedAt)
			next, _, _ := vatledger.Next(nil, ev, c.loc)
			if next.Year != c.want {
				t.Errorf("entry's year %d, want %d", next.Year, c.want)
			}
		})
	}
}

func TestNext_MonacoCountsInFrancesTotals(t *testing.T) {
	ev := event(orderevent.Placed, "O1", "MC", "250.00")
	ev.Order.ShipFrom = "DE"
	if !vatledger.Counts(ev.Order) || vatledger.Destination(ev.Order) != "FR" {
		t.Fatalf("DE→MC: counts %v, destination %q; want counted for FR", vatledger.Counts(ev.Order), vatledger.Destination(ev.Order))
	}
	next, delta, changed := vatledger.Next(nil, ev, paris)
	if !changed || next.Country != "FR" || !delta.Equal(d("250.00")) {
		t.Fatalf("entry %+v, delta %s, changed %v; want FR, 250.00", next, delta, changed)
	}
	sum := vatledger.Sum([]vatledger.Entry{next})[2026]
	if !sum["FR"].Equal(d("250")) || !sum[vatledger.EU].Equal(d("250")) || !sum["MC"].IsZero() {
		t.Errorf("totals %v, want FR and EU 250, nothing for MC", sum)
	}
}
