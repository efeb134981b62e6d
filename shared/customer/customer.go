// Package customer holds the merchant's customer accounts (F_COMPTET in Sage
// 100), their price categories and buying groups, and the sales reps'
// portfolios.
package customer

import (
	"errors"
	"fmt"

	"github.com/comptoir/comptoir/shared/payment"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/vat"
)

// Kind separates professional customers from consumers.
type Kind string

const (
	// Pro customers see prices excluding VAT (HT) and pro-only products.
	Pro Kind = "pro"
	// Consumer customers see VAT-inclusive prices (TTC).
	Consumer Kind = "consumer"
)

// Customer is a customer company or a consumer account.
type Customer struct {
	// ID is the account number (CT_Num).
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Country is the ISO 3166-1 alpha-2 country of the account (CT_Pays).
	Country string `json:"country"`
	// VATNumber is the intra-EU VAT number (CT_Identifiant).
	VATNumber string `json:"vatNumber,omitempty"`
	// PriceCategory is the "catégorie tarifaire" (N_CatTarif).
	PriceCategory string `json:"priceCategory,omitempty"`
	// BuyingGroup is the "centrale d'achats" whose tariff applies.
	BuyingGroup string `json:"buyingGroup,omitempty"`
	// CreditLimit is the authorised outstanding amount (CT_Encours).
	CreditLimit decimal.Decimal `json:"creditLimit"`
	Language    string          `json:"language,omitempty"`
	// Address is the account's (billing) address; goods ship to it when
	// the customer has no default delivery address.
	Address Address `json:"address"`
	// DeliveryAddresses are the places the customer has goods shipped to;
	// at most one is the default.
	DeliveryAddresses []DeliveryAddress `json:"deliveryAddresses,omitempty"`
	// VATCheck is the last validation of a VAT number: when, how and with
	// what result. It speaks for VATNumber only when it is about that
	// number (vat.Check.For).
	VATCheck *vat.Check `json:"vatCheck,omitempty"`
	// Payment is how the customer may pay.
	Payment PaymentAccount `json:"payment,omitzero"`
	// PreferredWarehouse is the warehouse ("dépôt") the customer's orders
	// are served from first, before the storefront's; empty: none.
	PreferredWarehouse string `json:"preferredWarehouse,omitempty"`
	// Rep is the ERP code of the customer's sales rep (CO_No); the rep's
	// portfolio (Rep.Customers) is what grants access.
	Rep string `json:"rep,omitempty"`
	// Dormant is an account the ERP put to sleep (CT_Sommeil): it can no
	// longer order.
	Dormant bool `json:"dormant,omitempty"`
}

// PaymentAccount is what a customer may pay with ("conditions de
// règlement", N_Reglement and the payment terms in Sage 100).
type PaymentAccount struct {
	// Methods narrow the storefront's methods for this customer ("card",
	// "transfer"); empty: the storefront's.
	Methods []payment.Method `json:"methods,omitempty"`
	// Terms, when set, approve the customer for paying on account
	// ("paiement différé") with these terms, within CreditLimit.
	Terms *payment.Terms `json:"terms,omitempty"`
}

// DeliveryAddress is one of a customer's delivery addresses.
type DeliveryAddress struct {
	// ID names the address among the customer's (a key part: bounded like
	// every id).
	ID string `json:"id"`
	// Default marks the address goods ship to when an order names none.
	Default bool `json:"default,omitempty"`
	Address
}

// ErrUnknownAddress is a delivery address id that is not one of the
// customer's.
var ErrUnknownAddress = errors.New("not one of the customer's delivery addresses")

// ErrChanged is returned when other writes kept changing a customer account
// through every attempt of an update; nothing was stored.
var ErrChanged = errors.New("the customer account was changed concurrently")

// Delivery returns where goods ship for addressID: "" is the default
// delivery address, else the account Address (with an empty ID); any other
// id must be one of DeliveryAddresses, else the error wraps
// ErrUnknownAddress.
func (c Customer) Delivery(addressID string) (DeliveryAddress, error) {
	for _, d := range c.DeliveryAddresses {
		if addressID == "" && d.Default || addressID != "" && d.ID == addressID {
			return d, nil
		}
	}
	if addressID == "" {
		return DeliveryAddress{Address: c.Address}, nil
	}
	return DeliveryAddress{}, fmt.Errorf("address %q: %w", addressID, ErrUnknownAddress)
}

// ShipTo returns the address goods ship to for addressID (see Delivery).
func (c Customer) ShipTo(addressID string) (Address, error) {
	d, err := c.Delivery(addressID)
	return d.Address, err
}

// TaxBuyer is the customer as the tax engine sees a buyer: a pro or a
// consumer, the VAT number, and its check when the stored check is about
// that number (a check of a former number says nothing of the current one).
func (c Customer) TaxBuyer() tax.Buyer {
	b := tax.Buyer{Pro: c.Kind == Pro, VATNumber: c.VATNumber}
	if c.VATNumber != "" && c.VATCheck.For(c.VATNumber) {
		check := *c.VATCheck
		b.Check = &check
	}
	return b
}

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1"`
	PostalCode string `json:"postalCode"`
	City       string `json:"city"`
	Country    string `json:"country"`
}

// PriceCategory is a tariff shared by the customers that belong to it
// ("catégorie tarifaire").
type PriceCategory struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// BuyingGroup is a purchasing group ("centrale d'achats") whose negotiated
// tariff applies to its member customers.
type BuyingGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Rep is a travelling sales rep and the customers of their portfolio.
type Rep struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Merchant  merchant.ID `json:"merchant"`
	Customers []string    `json:"customers"`
}

// Serves reports whether the customer is in the rep's portfolio.
func (r Rep) Serves(customerID string) bool {
	for _, c := range r.Customers {
		if c == customerID {
			return true
		}
	}
	return false
}
