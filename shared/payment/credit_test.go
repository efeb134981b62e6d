package payment

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestCheckCredit(t *testing.T) {
	cases := []struct {
		name                       string
		limit, outstanding, order  string
		refused                    bool
		wantAvailable, wantMessage string
	}{
		{"below the limit", "5000", "3000", "1999.99", false, "", ""},
		{"exactly at the limit", "5000", "3000", "2000", false, "", ""},
		{"one cent above the limit", "5000", "3000", "2000.01", true, "2000",
			"limit 5000.00, outstanding 3000.00, this order 2000.01"},
		{"already past the limit", "5000", "5200", "10", true, "0",
			"limit 5000.00, outstanding 5200.00, this order 10.00"},
		{"nothing outstanding, order above the limit", "1000", "0", "1054.20", true, "1000",
			"limit 1000.00, outstanding 0.00, this order 1054.20"},
		{"in credit: a credit note widens the room", "1000", "-200", "1200", false, "", ""},
		{"zero limit: no on-account order", "0", "0", "0.01", true, "0",
			"limit 0.00, outstanding 0.00, this order 0.01"},
		{"zero limit, even in credit", "0", "-500", "100", true, "500",
			"limit 0.00, outstanding -500.00, this order 100.00"},
		{"an empty order adds nothing", "0", "0", "0", false, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckCredit(dec(c.limit), dec(c.outstanding), dec(c.order))
			if !c.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ce *CreditLimitError
			if !errors.As(err, &ce) || !errors.Is(err, ErrOverCreditLimit) {
				t.Fatalf("error %v, want a CreditLimitError", err)
			}
			if !ce.Limit.Equal(dec(c.limit)) || !ce.Outstanding.Equal(dec(c.outstanding)) || !ce.Order.Equal(dec(c.order)) {
				t.Errorf("figures %s / %s / %s", ce.Limit, ce.Outstanding, ce.Order)
			}
			if !ce.Available().Equal(dec(c.wantAvailable)) {
				t.Errorf("available %s, want %s", ce.Available(), c.wantAvailable)
			}
			if !strings.Contains(err.Error(), c.wantMessage) {
				t.Errorf("message %q, want it to say %q", err, c.wantMessage)
			}
		})
	}
}

func TestCheckCreditNegativeLimit(t *testing.T) {
	if err := CheckCredit(dec("-1"), dec("0"), dec("10")); !errors.Is(err, ErrNegativeCreditLimit) {
		t.Errorf("error %v", err)
	}
}

func TestRecoveryIndemnity(t *testing.T) {
	if !RecoveryIndemnity().Equal(dec("40")) {
		t.Errorf("indemnity %s, want 40", RecoveryIndemnity())
	}
	if !strings.Contains(RecoveryIndemnityMention, "40 €") || !strings.Contains(RecoveryIndemnityMention, "L441-10") {
		t.Errorf("mention %q", RecoveryIndemnityMention)
	}
}
