package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/merchant"
)

// ECBDay is the day of the ECB reference rates the demo holds: the ECB's
// publication of 21 October 2025, as its file gave them.
var ECBDay = time.Date(2025, 10, 21, 0, 0, 0, 0, time.UTC)

// StaffRatesDay is the demo's most recent day of rates, set by staff:
// quotes of late November on use it.
var StaffRatesDay = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// ecbOctober21 are the ECB's euro reference rates of 21 October 2025
// (1 EUR = x units).
var ecbOctober21 = [][2]string{
	{"USD", "1.1607"}, {"JPY", "176.45"}, {"BGN", "1.9558"}, {"CZK", "24.314"}, {"DKK", "7.4691"},
	{"GBP", "0.86780"}, {"HUF", "389.63"}, {"PLN", "4.2393"}, {"RON", "5.0838"}, {"SEK", "10.9345"},
	{"CHF", "0.9230"}, {"ISK", "141.60"}, {"NOK", "11.6693"}, {"TRY", "48.7114"}, {"AUD", "1.7885"},
	{"BRL", "6.2526"}, {"CAD", "1.6301"}, {"CNY", "8.2626"}, {"HKD", "9.0204"}, {"IDR", "19272.67"},
	{"ILS", "3.8174"}, {"INR", "102.1073"}, {"KRW", "1660.38"}, {"MXN", "21.4006"}, {"MYR", "4.9086"},
	{"NZD", "2.0287"}, {"PHP", "67.761"}, {"SGD", "1.5061"}, {"THB", "38.071"}, {"ZAR", "20.1148"},
}

// staffNovember25 are the rates Hydrotech's staff set for the demo's
// week: the currencies its export customers pay in, the Gulf dinars the
// ECB does not quote (KWD, BHD: three decimals) among them.
var staffNovember25 = [][2]string{
	{"USD", "1.1580"}, {"CHF", "0.9315"}, {"GBP", "0.8790"}, {"JPY", "180.20"}, {"KWD", "0.3556"},
	{"BHD", "0.4366"}, {"CAD", "1.6290"}, {"SEK", "10.9850"},
}

func rates(day time.Time, source string, list [][2]string) fx.Rates {
	r := fx.Rates{Date: day, Source: source, PerEUR: make(map[string]decimal.Decimal, len(list))}
	for _, cr := range list {
		r.PerEUR[cr[0]] = decimal.RequireFromString(cr[1])
	}
	return r
}

// ExchangeRates are the demo merchants' days of rates, newest first: the
// day staff set, then the ECB's day.
func ExchangeRates() []fx.Rates {
	return []fx.Rates{rates(StaffRatesDay, fx.SourceStaff, staffNovember25), rates(ECBDay, fx.SourceECB, ecbOctober21)}
}

// loadExchangeRates saves the demo's days of rates for both merchants.
func loadExchangeRates(ctx context.Context, t dynamo.Table) error {
	store := &dynamo.ExchangeRates{Table: t}
	for _, m := range []merchant.ID{Hydro, Jardin} {
		if err := store.PutDays(ctx, m, ExchangeRates()); err != nil {
			return fmt.Errorf("demo exchange rates of %s: %w", m, err)
		}
	}
	return nil
}
