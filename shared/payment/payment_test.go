package payment

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestDueDateEndOfMonth checks both "fin de mois" computations against
// dates worked out by hand (2027 is not a leap year, 2028 is).
func TestDueDateEndOfMonth(t *testing.T) {
	cases := []struct {
		name    string
		terms   Terms
		invoice string
		// eomThenDays: end of the invoice's month, then + N days.
		eomThenDays string
		// daysThenEOM: invoice + N days, then end of that month.
		daysThenEOM string
	}{
		// 31 Jan + 30 = 2 Mar; 15 Jan + 30 = 14 Feb -> 28 Feb.
		{"30 eom mid-January, non-leap", ThirtyDaysEndOfMonth, "2027-01-15", "2027-03-02", "2027-02-28"},
		// 31 Jan + 30 = 1 Mar (29 Feb); 15 Jan + 30 = 14 Feb -> 29 Feb.
		{"30 eom mid-January, leap", ThirtyDaysEndOfMonth, "2028-01-15", "2028-03-01", "2028-02-29"},
		// 31 Jan + 30 = 2 Mar -> 31 Mar.
		{"30 eom 31 January, non-leap", ThirtyDaysEndOfMonth, "2027-01-31", "2027-03-02", "2027-03-31"},
		// 31 Jan + 30 = 1 Mar -> 31 Mar.
		{"30 eom 31 January, leap", ThirtyDaysEndOfMonth, "2028-01-31", "2028-03-01", "2028-03-31"},
		// 30 Jan + 30 = 1 Mar -> 31 Mar in 2027, 29 Feb in 2028.
		{"30 eom 30 January, non-leap", ThirtyDaysEndOfMonth, "2027-01-30", "2027-03-02", "2027-03-31"},
		{"30 eom 30 January, leap", ThirtyDaysEndOfMonth, "2028-01-30", "2028-03-01", "2028-02-29"},
		// 28 Feb + 30 = 30 Mar -> 31 Mar.
		{"30 eom 28 February, non-leap", ThirtyDaysEndOfMonth, "2027-02-28", "2027-03-30", "2027-03-31"},
		// 29 Feb + 30 = 30 Mar -> 31 Mar.
		{"30 eom 29 February, leap", ThirtyDaysEndOfMonth, "2028-02-29", "2028-03-30", "2028-03-31"},
		// 28 Feb 2028 is not a month end: 29 Feb + 30 = 30 Mar; 28 Feb + 30 = 29 Mar -> 31 Mar.
		{"30 eom 28 February, leap", ThirtyDaysEndOfMonth, "2028-02-28", "2028-03-30", "2028-03-31"},
		// 30 Apr + 30 = 30 May -> 31 May.
		{"30 eom 30 April", ThirtyDaysEndOfMonth, "2027-04-30", "2027-05-30", "2027-05-31"},
		// 31 Dec + 30 = 30 Jan; 15 Dec + 30 = 14 Jan -> 31 Jan.
		{"30 eom 15 December", ThirtyDaysEndOfMonth, "2027-12-15", "2028-01-30", "2028-01-31"},
		// 31 Dec + 30 = 30 Jan -> 31 Jan.
		{"30 eom 31 December", ThirtyDaysEndOfMonth, "2027-12-31", "2028-01-30", "2028-01-31"},

		// 31 Jan + 45 = 17 Mar; 15 Jan + 45 = 1 Mar -> 31 Mar.
		{"45 eom mid-January, non-leap", FortyFiveDaysEndOfMonth, "2027-01-15", "2027-03-17", "2027-03-31"},
		// 31 Jan + 45 = 16 Mar; 15 Jan + 45 = 29 Feb, already a month end.
		{"45 eom mid-January, leap", FortyFiveDaysEndOfMonth, "2028-01-15", "2028-03-16", "2028-02-29"},
		// 14 Jan + 45 = 28 Feb, already a month end.
		{"45 eom 14 January, non-leap", FortyFiveDaysEndOfMonth, "2027-01-14", "2027-03-17", "2027-02-28"},
		// 31 Jan + 45 = 17 Mar -> 31 Mar.
		{"45 eom 31 January, non-leap", FortyFiveDaysEndOfMonth, "2027-01-31", "2027-03-17", "2027-03-31"},
		// 31 Jan + 45 = 16 Mar -> 31 Mar.
		{"45 eom 31 January, leap", FortyFiveDaysEndOfMonth, "2028-01-31", "2028-03-16", "2028-03-31"},
		// 28 Feb + 45 = 14 Apr -> 30 Apr.
		{"45 eom 28 February, non-leap", FortyFiveDaysEndOfMonth, "2027-02-28", "2027-04-14", "2027-04-30"},
		// 29 Feb + 45 = 14 Apr -> 30 Apr.
		{"45 eom 29 February, leap", FortyFiveDaysEndOfMonth, "2028-02-29", "2028-04-14", "2028-04-30"},
		// 30 Apr + 45 = 14 Jun -> 30 Jun.
		{"45 eom 30 April", FortyFiveDaysEndOfMonth, "2027-04-30", "2027-06-14", "2027-06-30"},
		// 31 Dec + 45 = 14 Feb; 15 Dec + 45 = 29 Jan -> 31 Jan.
		{"45 eom 15 December", FortyFiveDaysEndOfMonth, "2027-12-15", "2028-02-14", "2028-01-31"},
		// 31 Dec + 45 = 14 Feb -> 29 Feb (2028 is leap).
		{"45 eom 31 December, into a leap February", FortyFiveDaysEndOfMonth, "2027-12-31", "2028-02-14", "2028-02-29"},
		// 31 Dec + 45 = 14 Feb -> 28 Feb (2027 is not).
		{"45 eom 31 December, into a non-leap February", FortyFiveDaysEndOfMonth, "2026-12-31", "2027-02-14", "2027-02-28"},
	}
	for _, c := range cases {
		for _, m := range []struct {
			method MonthEndMethod
			want   string
		}{{EndOfMonthThenDays, c.eomThenDays}, {DaysThenEndOfMonth, c.daysThenEOM}} {
			t.Run(c.name+"/"+string(m.method), func(t *testing.T) {
				got, err := DueDate(c.terms, m.method, Dates{Invoice: day(c.invoice)})
				if err != nil {
					t.Fatal(err)
				}
				if want := day(m.want); !got.Day.Equal(want) || got.Estimated {
					t.Errorf("%s invoiced %s: due %s (estimated %v), want %s", c.terms.Label(), c.invoice,
						got.Day.Format(time.DateOnly), got.Estimated, m.want)
				}
			})
		}
	}
}

func TestDueDateNet(t *testing.T) {
	cases := []struct{ invoice, want string }{
		{"2027-01-15", "2027-03-16"}, // 16 + 28 + 16
		{"2028-01-15", "2028-03-15"}, // 16 + 29 + 15
		{"2027-04-30", "2027-06-29"}, // 31 + 29
		{"2027-12-15", "2028-02-13"}, // 16 + 31 + 13
		{"2027-12-31", "2028-02-29"}, // 31 + 29
	}
	for _, c := range cases {
		// The month-end setting plays no part in net terms, even unset.
		for _, m := range []MonthEndMethod{"", EndOfMonthThenDays, DaysThenEndOfMonth} {
			got, err := DueDate(SixtyDaysNet, m, Dates{Invoice: day(c.invoice), Delivered: day("2026-01-01")})
			if err != nil {
				t.Fatal(err)
			}
			if !got.Day.Equal(day(c.want)) || got.Estimated {
				t.Errorf("60 net invoiced %s (method %q): due %s, want %s", c.invoice, m, got.Day.Format(time.DateOnly), c.want)
			}
		}
	}
}

func TestDueDateAfterDelivery(t *testing.T) {
	cases := []struct {
		name          string
		dates         Dates
		want          string
		wantEstimated bool
	}{
		{"delivered: counts from delivery, not the invoice",
			Dates{Invoice: day("2027-01-10"), Delivered: day("2027-01-31"), RequestedDelivery: day("2027-01-20")}, "2027-03-02", false},
		{"delivered on a leap 29 February",
			Dates{Invoice: day("2028-02-25"), Delivered: day("2028-02-29")}, "2028-03-30", false},
		{"delivered 15 December",
			Dates{Invoice: day("2027-12-10"), Delivered: day("2027-12-15")}, "2028-01-14", false},
		{"not delivered: estimated from the requested delivery day",
			Dates{Invoice: day("2028-02-10"), RequestedDelivery: day("2028-02-15")}, "2028-03-16", true},
		{"not delivered, no requested day: estimated from the invoice date",
			Dates{Invoice: day("2027-12-15")}, "2028-01-14", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DueDate(ThirtyDaysAfterDelivery, "", c.dates)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Day.Equal(day(c.want)) || got.Estimated != c.wantEstimated {
				t.Errorf("due %s estimated %v, want %s estimated %v", got.Day.Format(time.DateOnly), got.Estimated, c.want, c.wantEstimated)
			}
		})
	}
}

func TestDueDateIsACivilDay(t *testing.T) {
	// 31 January 23:30 in Paris is still 31 January there.
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	got, err := DueDate(ThirtyDaysEndOfMonth, DaysThenEndOfMonth, Dates{Invoice: time.Date(2027, 1, 31, 23, 30, 0, 0, paris)})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC); got.Day != want {
		t.Errorf("due %v, want %v", got.Day, want)
	}
}

func TestDueDateRefuses(t *testing.T) {
	cases := []struct {
		name   string
		terms  Terms
		method MonthEndMethod
		dates  Dates
		want   error
	}{
		{"end of month without a method", ThirtyDaysEndOfMonth, "", Dates{Invoice: day("2027-01-15")}, ErrUnknownMonthEndMethod},
		{"end of month with an unknown method", ThirtyDaysEndOfMonth, "eom", Dates{Invoice: day("2027-01-15")}, ErrUnknownMonthEndMethod},
		{"terms beyond the legal maximum", Terms{Days: 60, Basis: EndOfMonth}, DaysThenEndOfMonth, Dates{Invoice: day("2027-01-15")}, ErrBeyondLegalMaximum},
		{"no terms", Terms{}, DaysThenEndOfMonth, Dates{Invoice: day("2027-01-15")}, ErrInvalidTerms},
		{"no invoice date", SixtyDaysNet, "", Dates{Delivered: day("2027-01-15")}, ErrNoInvoiceDate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := DueDate(c.terms, c.method, c.dates); !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseTerms(t *testing.T) {
	cases := []struct {
		id        string
		want      Terms
		wantErr   error
		wantLabel string
	}{
		{"30-eom", ThirtyDaysEndOfMonth, nil, "30 jours fin de mois"},
		{"45-eom", FortyFiveDaysEndOfMonth, nil, "45 jours fin de mois"},
		{"60-net", SixtyDaysNet, nil, "60 jours net"},
		{"30-after-delivery", ThirtyDaysAfterDelivery, nil, "30 jours après livraison"},
		{"1-net", Terms{Days: 1, Basis: Net}, nil, "1 jour net"},
		{"60-after-delivery", Terms{Days: 60, Basis: AfterDelivery}, nil, "60 jours après livraison"},
		{"46-eom", Terms{}, ErrBeyondLegalMaximum, ""},
		{"60-eom", Terms{}, ErrBeyondLegalMaximum, ""},
		{"61-net", Terms{}, ErrBeyondLegalMaximum, ""},
		{"90-net", Terms{}, ErrBeyondLegalMaximum, ""},
		{"61-after-delivery", Terms{}, ErrBeyondLegalMaximum, ""},
		{"0-net", Terms{}, ErrInvalidTerms, ""},
		{"-30-net", Terms{}, ErrInvalidTerms, ""},
		{"+30-net", Terms{}, ErrInvalidTerms, ""},
		{"030-eom", Terms{}, ErrInvalidTerms, ""},
		{"30", Terms{}, ErrInvalidTerms, ""},
		{"30-", Terms{}, ErrInvalidTerms, ""},
		{"30-EOM", Terms{}, ErrInvalidTerms, ""},
		{"30-days-eom", Terms{}, ErrInvalidTerms, ""},
		{"thirty-eom", Terms{}, ErrInvalidTerms, ""},
		{"", Terms{}, ErrInvalidTerms, ""},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			got, err := ParseTerms(c.id)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			if got != c.want {
				t.Errorf("terms %+v, want %+v", got, c.want)
			}
			if err == nil && (got.String() != c.id || got.Label() != c.wantLabel) {
				t.Errorf("id %q label %q, want %q %q", got.String(), got.Label(), c.id, c.wantLabel)
			}
		})
	}
}

func TestTermsJSON(t *testing.T) {
	var v struct{ Terms Terms }
	if err := json.Unmarshal([]byte(`{"Terms":"45-eom"}`), &v); err != nil || v.Terms != FortyFiveDaysEndOfMonth {
		t.Fatalf("read %+v, %v", v.Terms, err)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"Terms":"45-eom"}` {
		t.Errorf("wrote %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"Terms":"90-net"}`), &v); !errors.Is(err, ErrBeyondLegalMaximum) {
		t.Errorf("90-net read with error %v", err)
	}
}

func TestParseMonthEndMethod(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{{"eom-then-days", true}, {"days-then-eom", true}, {"", false}, {"eom", false}, {"EOM-THEN-DAYS", false}} {
		m, err := ParseMonthEndMethod(c.id)
		if c.ok != (err == nil) || c.ok && string(m) != c.id {
			t.Errorf("%q: %q, %v", c.id, m, err)
		}
		if !c.ok && !errors.Is(err, ErrUnknownMonthEndMethod) {
			t.Errorf("%q: error %v", c.id, err)
		}
	}
}

func TestParseMethod(t *testing.T) {
	for _, c := range []struct {
		id       string
		want     Method
		awaiting bool
		label    string
	}{{"card", Card, true, "Carte bancaire"}, {"transfer", Transfer, true, "Virement"}, {"on-account", OnAccount, false, "Paiement à terme"}} {
		m, err := ParseMethod(c.id)
		if err != nil || m != c.want || m.AwaitsPayment() != c.awaiting || m.Label() != c.label {
			t.Errorf("%q: %q awaiting %v label %q, %v", c.id, m, m.AwaitsPayment(), m.Label(), err)
		}
	}
	for _, id := range []string{"", "cheque", "Card", "on_account"} {
		if _, err := ParseMethod(id); !errors.Is(err, ErrUnknownMethod) {
			t.Errorf("%q: error %v", id, err)
		}
	}
}

func TestMonthEndMethodLabelsDiffer(t *testing.T) {
	if a, b := EndOfMonthThenDays.Label(), DaysThenEndOfMonth.Label(); a == b || !strings.Contains(a, "Fin de mois") {
		t.Errorf("labels %q and %q", a, b)
	}
}
