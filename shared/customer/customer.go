// Package customer holds the merchant's customer accounts (F_COMPTET in Sage
// 100), their price categories and buying groups, and the sales reps'
// portfolios.
package customer

import (
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/merchant"
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
	Address     Address         `json:"address"`
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
