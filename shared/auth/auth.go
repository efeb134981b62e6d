// Package auth verifies the bearer tokens of callers (JWTs issued by the
// deployment's Cognito user pool, or locally by the dev issuer) and turns
// their claims into an identity.Caller. Signatures are checked against the
// issuer's JWKS, and so are expiry, issuer and audience.
package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Claim names carried by Comptoir tokens. Cognito prefixes custom attributes
// with "custom:".
const (
	ClaimMerchant = "custom:merchant"
	ClaimRole     = "custom:role"
	ClaimCustomer = "custom:customer"
	ClaimRep      = "custom:rep"
)

// ErrInvalidToken wraps every reason a token is refused.
var ErrInvalidToken = errors.New("invalid token")

// Verifier checks tokens of one issuer for one audience.
type Verifier struct {
	Issuer   string
	Audience string
	Keys     KeySource
	// Leeway tolerates clock skew on exp, nbf and iat.
	Leeway time.Duration
}

// Claims is the shape of a Comptoir token.
type Claims struct {
	jwt.RegisteredClaims
	Merchant string `json:"custom:merchant"`
	Role     string `json:"custom:role"`
	Customer string `json:"custom:customer,omitempty"`
	Rep      string `json:"custom:rep,omitempty"`
}

// Verify checks the token's signature, algorithm, expiry, issuer and audience,
// then its Comptoir claims, and returns the caller it identifies. A refused
// token is ErrInvalidToken; a token that cannot be checked because the
// issuer's keys cannot be read is ErrKeysUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (identity.Caller, error) {
	var c Claims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(v.Issuer),
		jwt.WithAudience(v.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.Leeway),
	)
	_, err := parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no key id")
		}
		return v.Keys.Key(ctx, kid)
	})
	if errors.Is(err, ErrKeysUnavailable) {
		return identity.Caller{}, fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
	}
	if err != nil {
		return identity.Caller{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	return c.caller()
}

func (c Claims) caller() (identity.Caller, error) {
	caller := identity.Caller{
		Role:     identity.Role(c.Role),
		Subject:  c.Subject,
		Merchant: merchant.ID(c.Merchant),
		Customer: c.Customer,
		Rep:      c.Rep,
	}
	switch {
	case c.Subject == "":
		return identity.Caller{}, fmt.Errorf("%w: no subject", ErrInvalidToken)
	case caller.Merchant == "":
		return identity.Caller{}, fmt.Errorf("%w: no merchant", ErrInvalidToken)
	case !caller.Role.Valid():
		return identity.Caller{}, fmt.Errorf("%w: unknown role %q", ErrInvalidToken, c.Role)
	case caller.Role == identity.Buyer && caller.Customer == "":
		return identity.Caller{}, fmt.Errorf("%w: buyer without customer", ErrInvalidToken)
	case caller.Role == identity.Rep && caller.Rep == "":
		return identity.Caller{}, fmt.Errorf("%w: rep without rep code", ErrInvalidToken)
	}
	return caller, nil
}
