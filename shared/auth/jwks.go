package auth

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// KeySource finds the public key that signed a token.
type KeySource interface {
	Key(ctx context.Context, kid string) (crypto.PublicKey, error)
}

// ErrKeysUnavailable is returned when the issuer's keys cannot be read (the
// JWKS endpoint is unreachable, answers other than 200, or sends no valid
// key set): the token may well be good, so the caller should retry later
// rather than log in again.
var ErrKeysUnavailable = errors.New("signing keys unavailable")

// JWKS fetches an issuer's JSON Web Key Set over HTTP on first use and keeps
// it; an unknown key id triggers a refetch at most once per MinRefresh, which
// follows the issuer's key rotation without letting bad tokens hammer it. A
// failed fetch is remembered for RetryFailed, so that an outage of the
// issuer costs one request per RetryFailed, not one per token.
type JWKS struct {
	URL        string
	HTTP       *http.Client
	MinRefresh time.Duration
	// RetryFailed is how long a failed fetch is reported without trying
	// again; 5 seconds when zero.
	RetryFailed time.Duration

	mu      sync.Mutex
	keys    map[string]crypto.PublicKey
	fetched time.Time
	failed  time.Time
	failure error
}

// Key returns the key with id kid. It wraps ErrKeysUnavailable when the key
// set cannot be fetched.
func (j *JWKS) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	minRefresh := cmp.Or(j.MinRefresh, time.Minute)
	if j.keys != nil && time.Since(j.fetched) < minRefresh {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	if j.failure != nil && time.Since(j.failed) < cmp.Or(j.RetryFailed, 5*time.Second) {
		return nil, j.failure
	}
	keys, err := j.fetch(ctx)
	if err != nil {
		j.failed, j.failure = time.Now(), fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
		return nil, j.failure
	}
	j.keys, j.fetched, j.failure = keys, time.Now(), nil
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

func (j *JWKS) fetch(ctx context.Context) (map[string]crypto.PublicKey, error) {
	client := j.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks: status %d", resp.StatusCode)
	}
	var set KeySet
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("decode jwks: %w", err)
	}
	return set.PublicKeys()
}

// StaticKeys is a key source over a key set known in advance, such as the
// dev issuer's, for verifying tokens without fetching a JWKS over HTTP.
func StaticKeys(set KeySet) (KeySource, error) {
	keys, err := set.PublicKeys()
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("key set has no RSA signing key")
	}
	return staticKeys(keys), nil
}

type staticKeys map[string]crypto.PublicKey

func (s staticKeys) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

// KeySet is a JSON Web Key Set (RFC 7517).
type KeySet struct {
	Keys []JWK `json:"keys"`
}

// PublicKeys parses the set's RSA signing keys by key id, skipping keys of
// other types or uses and keys without an id. A malformed RSA key is an
// error: the set is not what the issuer meant to publish.
func (s KeySet) PublicKeys() (map[string]crypto.PublicKey, error) {
	keys := make(map[string]crypto.PublicKey, len(s.Keys))
	for _, k := range s.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		pub, err := k.rsa()
		if err != nil {
			return nil, fmt.Errorf("jwk %s: %w", k.Kid, err)
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

// JWK is one RSA JSON Web Key.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (k JWK) rsa() (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	if len(n) < 256 {
		return nil, errors.New("modulus shorter than 2048 bits")
	}
	exp := new(big.Int).SetBytes(e)
	if !exp.IsInt64() || exp.Int64() < 3 || exp.Int64() > 1<<31 {
		return nil, errors.New("bad exponent")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
}

// PublicJWK describes an RSA public key as a JWK.
func PublicJWK(kid string, pub *rsa.PublicKey) JWK {
	return JWK{
		Kty: "RSA", Kid: kid, Use: "sig", Alg: "RS256",
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}
