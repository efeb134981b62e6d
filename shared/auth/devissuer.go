package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/comptoir/comptoir/shared/identity"
)

// DevIssuer signs tokens for local development and tests with a key generated
// at start, and serves the matching JWKS. It plays the part of the Cognito
// user pool; it is never deployed.
type DevIssuer struct {
	Issuer   string
	Audience string
	kid      string
	key      *rsa.PrivateKey
}

// NewDevIssuer generates a fresh RSA key for issuer and audience.
func NewDevIssuer(issuer, audience string) (*DevIssuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate dev key: %w", err)
	}
	return &DevIssuer{Issuer: issuer, Audience: audience, key: key, kid: fmt.Sprintf("dev-%d", time.Now().UnixNano())}, nil
}

// Sign issues a token for caller, valid for ttl.
func (d *DevIssuer) Sign(caller identity.Caller, ttl time.Duration) (string, error) {
	now := time.Now()
	return d.SignClaims(Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    d.Issuer,
			Subject:   caller.Subject,
			Audience:  jwt.ClaimStrings{d.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Merchant: string(caller.Merchant),
		Role:     string(caller.Role),
		Customer: caller.Customer,
		Rep:      caller.Rep,
	})
}

// SignClaims signs arbitrary claims with the dev key; tests use it to forge
// expired tokens or tokens for another audience.
func (d *DevIssuer) SignClaims(c Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = d.kid
	return t.SignedString(d.key)
}

// KeySet returns the public JWKS of the issuer.
func (d *DevIssuer) KeySet() KeySet {
	return KeySet{Keys: []JWK{PublicJWK(d.kid, &d.key.PublicKey)}}
}

// ServeHTTP serves the JWKS document.
func (d *DevIssuer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_ = json.NewEncoder(w).Encode(d.KeySet())
}
