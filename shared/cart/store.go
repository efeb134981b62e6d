package cart

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Owner is whose open cart it is, among a customer's carts: each buyer of
// the company has one ("B#<subject>"), and so does each rep working for
// the customer ("R#<rep code>") and each staff member ordering for it
// ("S#<subject>").
type Owner string

// Stored is a cart as stored.
type Stored struct {
	Customer string `json:"customer"`
	Owner    Owner  `json:"owner"`
	Lines    []Line `json:"lines"`
	// Version counts the cart's writes: 0 for a cart never written. Every
	// write is conditioned on the version read.
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
	// ExpiresAt is when the table's TTL removes an untouched cart.
	ExpiresAt time.Time `json:"expiresAt"`
}

// Lifetime is how long a cart untouched is kept.
const Lifetime = 30 * 24 * time.Hour

// ErrBusy: concurrent writes kept changing the cart through every retry;
// nothing was written.
var ErrBusy = errors.New("the cart is being changed by other requests")

// VersionError is a write that named a version (If-Match) the cart is no
// longer at: nothing was written; Current is the cart as it stands.
type VersionError struct {
	Expected int64
	Current  Stored
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("the cart is at version %d, not %d", e.Current.Version, e.Expected)
}

// Store is the storage port of carts.
type Store interface {
	// Get reads a cart; a cart never written (or expired) is an empty
	// Stored at version 0.
	Get(ctx context.Context, m merchant.ID, customer string, owner Owner) (Stored, error)
	// Update reads the cart, lets update change it and writes the result
	// on the condition that the version is still the one read, with the
	// version raised by one and the expiry pushed back. With expected > 0
	// a cart at another version fails with *VersionError, update not
	// called. With expected 0, a write that lost a race reads again and
	// calls update again (the change is merged into the newer cart), a
	// bounded number of times, then ErrBusy. An error from update aborts
	// and is returned as is.
	Update(ctx context.Context, m merchant.ID, customer string, owner Owner, expected int64, update func(*Stored) error) (Stored, error)
}
