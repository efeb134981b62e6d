package payment

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// ErrOverCreditLimit is an on-account order that would take the customer
// past their credit limit ("encours autorisé"). The error CheckCredit
// returns is a *CreditLimitError that wraps it.
var ErrOverCreditLimit = errors.New("on-account order over the credit limit")

// ErrNegativeCreditLimit is a credit limit below zero.
var ErrNegativeCreditLimit = errors.New("negative credit limit")

// CreditLimitError refuses an on-account order with the figures the buyer
// is shown, all in the merchant's currency.
type CreditLimitError struct {
	// Limit is the customer's credit limit (CT_Encours).
	Limit decimal.Decimal
	// Outstanding is what the customer already owes on account.
	Outstanding decimal.Decimal
	// Order is this order's amount.
	Order decimal.Decimal
}

// Error says the three figures.
func (e *CreditLimitError) Error() string {
	return fmt.Sprintf("%v: limit %s, outstanding %s, this order %s", ErrOverCreditLimit,
		e.Limit.StringFixed(2), e.Outstanding.StringFixed(2), e.Order.StringFixed(2))
}

// Unwrap makes the error match ErrOverCreditLimit.
func (e *CreditLimitError) Unwrap() error { return ErrOverCreditLimit }

// Available is what the customer may still order on account: the limit
// less the outstanding amount, never below zero.
func (e *CreditLimitError) Available() decimal.Decimal {
	return decimal.Max(e.Limit.Sub(e.Outstanding), decimal.Zero)
}

// CheckCredit accepts an on-account order of amount order for a customer
// owing outstanding when outstanding + order stays within limit (reaching
// the limit exactly is accepted); otherwise it returns a
// *CreditLimitError carrying the three figures.
//
// A zero limit allows no on-account order at all, even to a customer in
// credit (negative outstanding). Sage's CT_Encours is 0
// when no limit was ever set, which some merchants read as "no limit";
// Comptoir reads it the cautious way, so that a customer is never given
// unlimited credit by an empty field: the merchant sets a limit before a
// pro can buy on account. An order of zero or less is always accepted, as
// it adds nothing to what is owed. A negative limit is an error wrapping
// ErrNegativeCreditLimit.
func CheckCredit(limit, outstanding, order decimal.Decimal) error {
	if limit.IsNegative() {
		return fmt.Errorf("%w: %s", ErrNegativeCreditLimit, limit)
	}
	if order.IsPositive() && (limit.IsZero() || outstanding.Add(order).GreaterThan(limit)) {
		return &CreditLimitError{Limit: limit, Outstanding: outstanding, Order: order}
	}
	return nil
}

// RecoveryIndemnity is the fixed indemnity for recovery costs owed on each
// invoice paid late by a business customer: €40 (Code de commerce
// L441-10). A function, so that no caller can change it.
func RecoveryIndemnity() decimal.Decimal { return decimal.NewFromInt(40) }

// RecoveryIndemnityMention is the invoice mention of the recovery
// indemnity, required on B2B invoices.
const RecoveryIndemnityMention = "En cas de retard de paiement, une indemnité forfaitaire pour frais de recouvrement de 40 € est due (article L441-10 du Code de commerce)."
