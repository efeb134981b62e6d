package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/money"
)

// Provider is the payment port of the checkout: it starts the payment of an
// order paid by card or transfer, before the order is written. The order is
// then recorded as awaiting payment, with the provider's reference and the
// instructions the buyer is shown; the payment itself is confirmed later,
// outside the checkout.
//
// A real provider (a card acquirer's hosted payment page, a bank's
// transfer service) plugs in by implementing Provider in an adapter package
// and passing it to the checkout's wiring in place of [Manual]: Start
// creates the payment on the provider's side (a payment intent, a virtual
// IBAN) keyed by the order number, so that a retried checkout of the same
// order finds the same payment rather than a second one, and returns the
// provider's reference and what the buyer must do (the URL of the payment
// page, the account to transfer to). A payment started for an order that is
// finally not written (its stock was taken meanwhile) is left to expire on
// the provider's side.
type Provider interface {
	// Start starts the payment of an order; it is not called for an order
	// on account.
	Start(ctx context.Context, r Request) (Started, error)
}

// Request is an order's payment to start.
type Request struct {
	// Order is the order number.
	Order  string
	Method Method
	// Amount is the amount including VAT, in Currency.
	Amount   decimal.Decimal
	Currency string
	// Customer is the customer account paying.
	Customer string
}

// Started is a payment as the provider started it.
type Started struct {
	// Reference is the provider's reference of the payment.
	Reference string
	// Instructions tell the buyer how to pay (a transfer's reference to
	// quote).
	Instructions string
}

// ErrNotStartable is a payment a provider cannot start: a method it does
// not handle (on account), or a request without an order number.
var ErrNotStartable = errors.New("payment cannot be started")

// Manual is the default provider, with no payment service behind it and so
// no network call: the merchant collects the payment themselves and marks
// the order paid. A card payment gets the reference "card-<order>", taken
// by the merchant's card terminal or payment link; a transfer gets the
// instructions to quote the order number as the transfer's reference, so
// that the merchant matches the transfer with the order.
type Manual struct{}

var _ Provider = Manual{}

// Start gives the reference and instructions of a card or transfer payment.
func (Manual) Start(_ context.Context, r Request) (Started, error) {
	if r.Order == "" {
		return Started{}, fmt.Errorf("%w: no order number", ErrNotStartable)
	}
	switch r.Method {
	case Card:
		return Started{Reference: "card-" + r.Order,
			Instructions: "Paiement par carte bancaire de la commande " + r.Order + "."}, nil
	case Transfer:
		return Started{Reference: "transfer-" + r.Order,
			Instructions: fmt.Sprintf("Virement de %s %s, référence %s : indiquez ce numéro de commande comme référence du virement.",
				money.AmountIn(r.Amount, r.Currency).String(), r.Currency, r.Order)}, nil
	}
	return Started{}, fmt.Errorf("%w: %s is not paid through a provider", ErrNotStartable, r.Method)
}
