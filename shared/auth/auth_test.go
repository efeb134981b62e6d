package auth

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/comptoir/comptoir/shared/identity"
)

func newFixture(t *testing.T) (*DevIssuer, *Verifier) {
	t.Helper()
	iss, err := NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(iss)
	t.Cleanup(srv.Close)
	return iss, &Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: &JWKS{URL: srv.URL}}
}

func TestVerifier_AcceptsAGoodToken(t *testing.T) {
	iss, v := newFixture(t)
	want := identity.Caller{Role: identity.Buyer, Subject: "a@b.fr", Merchant: "hydro", Customer: "C0001"}
	tok, err := iss.Sign(want, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("caller = %+v, want %+v", got, want)
	}
}

func TestVerifier_RefusesBadTokens(t *testing.T) {
	iss, v := newFixture(t)
	other, _ := NewDevIssuer(iss.Issuer, iss.Audience) // same names, another key
	now := time.Now()
	base := func() Claims {
		return Claims{
			RegisteredClaims: jwt.RegisteredClaims{Issuer: iss.Issuer, Subject: "s", Audience: jwt.ClaimStrings{iss.Audience},
				IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
			Merchant: "hydro", Role: "buyer", Customer: "C0001",
		}
	}
	sign := func(c Claims) string {
		tok, err := iss.SignClaims(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(base())
	parts := strings.Split(good, ".")
	cases := map[string]string{
		"expired": sign(func() Claims {
			c := base()
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour))
			return c
		}()),
		"no expiry": sign(func() Claims { c := base(); c.ExpiresAt = nil; return c }()),
		"wrong audience": sign(func() Claims {
			c := base()
			c.Audience = jwt.ClaimStrings{"someone-else"}
			return c
		}()),
		"wrong issuer": sign(func() Claims { c := base(); c.Issuer = "https://evil.test"; return c }()),
		"unknown role": sign(func() Claims { c := base(); c.Role = "admin"; return c }()),
		"no merchant":  sign(func() Claims { c := base(); c.Merchant = ""; return c }()),
		"buyer without customer": sign(func() Claims {
			c := base()
			c.Customer = ""
			return c
		}()),
		"tampered payload": parts[0] + "." + strings.TrimRight(parts[1], "A") + "B." + parts[2],
		"other key": func() string {
			tok, _ := other.SignClaims(base())
			return tok
		}(),
		"alg none": func() string {
			tok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, base()).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return tok
		}(),
		"garbage": "not-a-jwt",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), tok); err == nil {
				t.Fatal("token accepted")
			}
		})
	}
}
