package devstack_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
)

func TestGuide_PrintsHostsAndVerifiableTokens(t *testing.T) {
	t.Parallel()
	iss, err := auth.NewDevIssuer("http://127.0.0.1:3000/dev-issuer", "comptoir-local")
	if err != nil {
		t.Fatal(err)
	}
	callers := []identity.Caller{
		{Role: identity.Buyer, Subject: "achat@example.fr", Merchant: "hydro", Customer: "C0001"},
		{Role: identity.Rep, Subject: "rep@example.fr", Merchant: "hydro", Rep: "R01"},
	}
	ids, err := devstack.SignAll(iss, callers, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.StaticKeys(iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	v := &auth.Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: keys}
	for i, id := range ids {
		got, err := v.Verify(context.Background(), id.Token)
		if err != nil || got != callers[i] {
			t.Errorf("token %d verifies as %+v, %v", i, got, err)
		}
	}
	var buf bytes.Buffer
	fronts := []merchant.Storefront{{Merchant: "hydro", Host: "hydro-fr.localhost", Country: "FR", Language: "fr", Mode: merchant.Open}}
	if err := devstack.WriteGuide(&buf, "127.0.0.1:3000", nil, fronts, ids); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"http://hydro-fr.localhost:3000",
		"export TOKEN_ACHAT_EXAMPLE_FR=" + ids[0].Token + "\n",
		"export TOKEN_REP_EXAMPLE_FR=" + ids[1].Token + "\n",
		"curl http://hydro-fr.localhost:3000/catalog/categories",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("guide lacks %q:\n%s", want, out)
		}
	}
	if err := devstack.WriteGuide(&buf, "no-port", nil, fronts, ids); err == nil {
		t.Error("address without port accepted")
	}
}
