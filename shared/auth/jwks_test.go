package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/identity"
)

// TestJWKS_AnOutageIsUnavailableNotAnInvalidToken proves that a token that
// cannot be checked because the key set cannot be read is ErrKeysUnavailable
// (retry later), while a token whose key the reachable set lacks stays
// ErrInvalidToken.
func TestJWKS_AnOutageIsUnavailableNotAnInvalidToken(t *testing.T) {
	iss, err := NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Sign(identity.Caller{Role: identity.Staff, Subject: "s", Merchant: "m1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewDevIssuer(iss.Issuer, iss.Audience)
	closed := httptest.NewServer(iss)
	closed.Close()
	cases := []struct {
		name    string
		url     string
		handler http.HandlerFunc
		want    error
	}{
		{"unreachable", closed.URL, nil, ErrKeysUnavailable},
		{"status 503", "", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) }, ErrKeysUnavailable},
		{"status 404", "", http.NotFound, ErrKeysUnavailable},
		{"not JSON", "", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) }, ErrKeysUnavailable},
		{"malformed key", "", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[{"kty":"RSA","kid":"k","n":"!!","e":"AQAB"}]}`))
		}, ErrKeysUnavailable},
		{"reachable, unknown key id", "", other.ServeHTTP, ErrInvalidToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := c.url
			if c.handler != nil {
				srv := httptest.NewServer(c.handler)
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			v := &Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: &JWKS{URL: url}}
			_, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == ErrKeysUnavailable && errors.Is(err, ErrInvalidToken) {
				t.Errorf("an outage also reads as an invalid token: %v", err)
			}
		})
	}
}

// TestJWKS_RecoversAfterAnOutageWithoutFetchingForEveryToken proves that a
// failed fetch is retried after RetryFailed, not on every token meanwhile.
func TestJWKS_RecoversAfterAnOutageWithoutFetchingForEveryToken(t *testing.T) {
	iss, err := NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Sign(identity.Caller{Role: identity.Staff, Subject: "s", Merchant: "m1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	var fetches atomic.Int64
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		iss.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	v := &Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: &JWKS{URL: srv.URL, RetryFailed: 50 * time.Millisecond}}
	for range 20 {
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("during the outage: %v", err)
		}
	}
	if n := fetches.Load(); n > 2 {
		t.Errorf("%d fetches for 20 tokens during the outage", n)
	}
	down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := v.Verify(context.Background(), tok)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrKeysUnavailable) || time.Now().After(deadline) {
			t.Fatalf("after the outage: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStaticKeys_ParsesLikeTheJWKS(t *testing.T) {
	iss, err := NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := StaticKeys(iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := iss.Sign(identity.Caller{Role: identity.Staff, Subject: "s", Merchant: "m1"}, time.Hour)
	if _, err := (&Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: keys}).Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	bad := iss.KeySet()
	bad.Keys[0].N = bad.Keys[0].N[:40] // a 240-bit modulus
	if _, err := StaticKeys(bad); err == nil {
		t.Error("a short modulus was accepted")
	}
	if _, err := StaticKeys(KeySet{Keys: []JWK{{Kty: "EC", Kid: "x"}}}); err == nil {
		t.Error("a set without an RSA key was accepted")
	}
}
