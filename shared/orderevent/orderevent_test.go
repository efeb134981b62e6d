package orderevent_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/orderevent"
)

const eventsDir = "../../docs/events"

func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat = true
	s, err := c.Compile(filepath.Join(eventsDir, "order-event.v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(s *jsonschema.Schema, b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return err
	}
	return s.Validate(v)
}

// sample reads a published sample as a JSON object to mutate.
func sample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSamples_FollowTheSchemaAndParse proves the published schema and the
// Go type agree on every published sample.
func TestSamples_FollowTheSchemaAndParse(t *testing.T) {
	s := schema(t)
	files, err := filepath.Glob(filepath.Join(eventsDir, "order-*.v1.json"))
	if err != nil || len(files) < 3 {
		t.Fatalf("samples %v, %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(s, b); err != nil {
			t.Errorf("%s does not follow the schema: %v", f, err)
		}
		ev, err := orderevent.Parse(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		// What Marshal writes follows the schema and parses back the same.
		out, err := orderevent.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(s, out); err != nil {
			t.Errorf("%s marshalled does not follow the schema: %v\n%s", f, err, out)
		}
		again, err := orderevent.Parse(out)
		if err != nil || again.ID != ev.ID || !again.Order.NetEUR.Equal(ev.Order.NetEUR) || !again.Order.PlacedAt.Equal(ev.Order.PlacedAt) ||
			(ev.Order.ExchangeRate != nil) != (again.Order.ExchangeRate != nil) {
			t.Errorf("%s: marshalled and parsed again %+v, %v; want %+v", f, again, err, ev)
		}
	}
	ev, err := orderevent.Parse(mustRead(t, "order-placed-sek.v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r := ev.Order.ExchangeRate; r == nil || !r.Rate.Equal(decimal.RequireFromString("11.2345")) || r.Date.Format(time.DateOnly) != "2026-11-27" || !ev.Order.NetEUR.Equal(decimal.RequireFromString("445.06")) {
		t.Errorf("SEK order %+v", ev.Order)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse_RefusesWhatTheSchemaRefuses(t *testing.T) {
	s := schema(t)
	set := func(path string, v any) func(map[string]any) {
		return func(ev map[string]any) {
			obj := ev
			parts := strings.Split(path, ".")
			for _, p := range parts[:len(parts)-1] {
				obj = obj[p].(map[string]any)
			}
			if v == nil {
				delete(obj, parts[len(parts)-1])
				return
			}
			obj[parts[len(parts)-1]] = v
		}
	}
	cases := []struct {
		name   string
		sample string
		change func(map[string]any)
		// goOnly marks a rule the schema cannot state (sums, known
		// currencies and countries, bytes): Parse alone refuses it.
		goOnly bool
	}{
		{"another schema", "order-placed.v1.json", set("schema", "comptoir.cart-event"), false},
		{"version 2", "order-placed.v1.json", set("version", 2), false},
		{"version as a string", "order-placed.v1.json", set("version", "1"), false},
		{"no id", "order-placed.v1.json", set("id", nil), false},
		{"id with a '#'", "order-placed.v1.json", set("id", "evt#1"), false},
		{"id of 65 bytes", "order-placed.v1.json", set("id", strings.Repeat("e", 65)), false},
		{"id of 64 characters but 128 bytes", "order-placed.v1.json", set("id", strings.Repeat("é", 64)), true},
		{"unknown type", "order-placed.v1.json", set("type", "order.shipped"), false},
		{"merchant with a space", "order-placed.v1.json", set("merchant", "hair store"), false},
		{"occurredAt not RFC 3339", "order-placed.v1.json", set("occurredAt", "26/11/2026"), false},
		{"occurredAt in 1999", "order-placed.v1.json", set("occurredAt", "1999-12-31T23:00:00Z"), false},
		{"no order", "order-placed.v1.json", set("order", nil), false},
		{"no netEUR", "order-placed.v1.json", set("order.netEUR", nil), false},
		{"netEUR as a number", "order-placed.v1.json", set("order.netEUR", 808.4), false},
		{"negative net", "order-placed.v1.json", set("order.net", "-808.40"), false},
		{"net with an exponent", "order-placed.v1.json", set("order.net", "8.084e2"), false},
		{"five decimals", "order-placed.v1.json", set("order.vat", "169.76001"), false},
		{"customer kind", "order-placed.v1.json", set("order.customerKind", "b2c"), false},
		{"lower-case country", "order-placed.v1.json", set("order.shipTo", "be"), false},
		{"Greece as EL", "order-placed.v1.json", set("order.shipTo", "EL"), true},
		{"unknown country", "order-placed.v1.json", set("order.shipTo", "ZZ"), true},
		{"unknown currency", "order-placed-sek.v1.json", set("order.currency", "XYZ"), true},
		{"gross not net + vat", "order-placed.v1.json", set("order.gross", "978.17"), true},
		{"netEUR not net in euros", "order-placed.v1.json", set("order.netEUR", "808.41"), true},
		{"exchange rate in euros", "order-placed.v1.json", set("order.exchangeRate", map[string]any{"rate": "1", "date": "2026-11-25"}), false},
		{"no exchange rate in SEK", "order-placed-sek.v1.json", set("order.exchangeRate", nil), false},
		{"zero rate", "order-placed-sek.v1.json", set("order.exchangeRate.rate", "0"), true},
		{"rate date not a day", "order-placed-sek.v1.json", set("order.exchangeRate.date", "27/11/2026"), false},
		{"netEUR off by more than a cent", "order-placed-sek.v1.json", set("order.netEUR", "446.00"), true},
		{"placedAt missing in a cancellation", "order-cancelled.v1.json", set("order.placedAt", nil), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := sample(t, c.sample)
			c.change(ev)
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := orderevent.Parse(b); !errors.Is(err, orderevent.ErrInvalid) {
				t.Errorf("Parse accepted it: %v", err)
			}
			if err := validate(s, b); (err == nil) != c.goOnly {
				t.Errorf("schema verdict %v; the schema should refuse it too (or mark the case goOnly)", err)
			}
		})
	}
}

func TestParse_AdditiveChangesKeepVersion1(t *testing.T) {
	ev := sample(t, "order-placed.v1.json")
	ev["channel"] = "storefront-be"
	ev["order"].(map[string]any)["lines"] = []any{map[string]any{"ref": "SHAMP-500"}}
	b, _ := json.Marshal(ev)
	if _, err := orderevent.Parse(b); err != nil {
		t.Errorf("an event with new optional fields: %v", err)
	}
	if err := validate(schema(t), b); err != nil {
		t.Errorf("the schema refuses new optional fields: %v", err)
	}
}

func TestParse_BoundedInput(t *testing.T) {
	for _, b := range []string{"", "nope", "[]", `{"schema":1}`, strings.Repeat(" ", orderevent.MaxBytes+1) + "{}"} {
		if _, err := orderevent.Parse([]byte(b)); !errors.Is(err, orderevent.ErrInvalid) {
			t.Errorf("%.40q: %v", b, err)
		}
	}
}

func TestValidCountry(t *testing.T) {
	for c, want := range map[string]bool{"FR": true, "GR": true, "CH": true, "US": true, "EL": false, "UK": false, "fr": false, "ZZ": false, "FRA": false, "": false, "EU": false} {
		if got := orderevent.ValidCountry(c); got != want {
			t.Errorf("%q: %v, want %v", c, got, want)
		}
	}
}
