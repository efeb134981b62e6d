package pricing

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
)

func TestRule_Validate(t *testing.T) {
	cases := []struct {
		name   string
		rule   Rule
		fields string
	}{
		{"a good percentage", Rule{ID: "A", Kind: Percent, Percent: d("12.5")}, ""},
		{"a good order tier", Rule{ID: "O", Kind: OrderAmountTiers, Currency: "EUR", Tiers: []Break{{From: d("5000"), Value: d("2")}}}, ""},
		{"a good pallet price", Rule{ID: "P", Kind: PackagingDiscount, Packaging: catalog.Pallet, Price: d("850"), Currency: "EUR"}, ""},
		{"bad id and kind", Rule{ID: "a b", Kind: "magic"}, "id,kind"},
		{"percent over 100", Rule{ID: "A", Kind: Percent, Percent: d("101")}, "percent"},
		{"tiers missing", Rule{ID: "Q", Kind: QuantityTiers}, "tiers"},
		{"negative break and rate", Rule{ID: "Q", Kind: QuantityTiers, Tiers: []Break{{From: d("-1"), Value: d("-5")}}}, "tiers[0].from,tiers[0].value"},
		{"money without currency", Rule{ID: "L", Kind: LineAmountTiers, Tiers: []Break{{From: d("100"), Value: d("3")}}}, "currency"},
		{"net price without price", Rule{ID: "N", Kind: NetPrice, Currency: "EUR"}, "price"},
		{"packaging unknown", Rule{ID: "P", Kind: PackagingDiscount, Packaging: "crate", Percent: d("3")}, "packaging"},
		{"validity backwards", Rule{ID: "A", Kind: Percent, Percent: d("1"), Validity: Validity{From: day, Until: day.Add(-48 * time.Hour)}}, "validity.until"},
		{"percent of 10^9999", Rule{ID: "A", Kind: Percent, Percent: decimal.New(1, 9999)}, "percent"},
		{"percent with five decimals", Rule{ID: "A", Kind: Percent, Percent: d("1.00001")}, "percent"},
		{"net price of 10^9999", Rule{ID: "N", Kind: NetPrice, Currency: "EUR", Price: decimal.New(1, 9999)}, "price"},
		{"net price with five decimals", Rule{ID: "N", Kind: NetPrice, Currency: "EUR", Price: d("0.00001")}, "price"},
		{"amount break of 10^12", Rule{ID: "L", Kind: LineAmountTiers, Currency: "EUR", Tiers: []Break{{From: d("1000000000000"), Value: d("3")}}}, "tiers[0].from"},
		{"quantity break in part units", Rule{ID: "Q", Kind: QuantityTiers, Tiers: []Break{{From: d("2.5"), Value: d("3")}}}, "tiers[0].from"},
		{"quantity break beyond a line", Rule{ID: "Q", Kind: QuantityTiers, Tiers: []Break{{From: d("1000000001"), Value: d("3")}}}, "tiers[0].from"},
		{"51 tiers", Rule{ID: "Q", Kind: QuantityTiers, Tiers: make([]Break, MaxTiers+1)}, "tiers"},
		{"priority 2^63−1", Rule{ID: "A", Kind: Percent, Percent: d("1"), Priority: math.MaxInt64}, "priority"},
		{"negative priority", Rule{ID: "A", Kind: Percent, Percent: d("1"), Priority: -1}, "priority"},
		{"long name", Rule{ID: "A", Kind: Percent, Percent: d("1"), Name: strings.Repeat("é", MaxRuleName+1)}, "name"},
		{"name with a bidi override", Rule{ID: "A", Kind: Percent, Percent: d("1"), Name: "promo \u202egpj.exe"}, "name"},
		{"name of the longest", Rule{ID: "A", Kind: Percent, Percent: d("1"), Name: strings.Repeat("é", MaxRuleName)}, ""},
		{"unknown currency", Rule{ID: "N", Kind: NetPrice, Currency: "XYZ", Price: d("1")}, "currency"},
		{"long customer and family", Rule{ID: "A", Kind: Percent, Percent: d("1"), Who: Who{Customer: strings.Repeat("C", 3000)}, Target: Target{Family: "A/B"}}, "who.customer,target.family"},
	}
	for _, c := range cases {
		var got []string
		for _, p := range c.rule.Validate() {
			got = append(got, p.Field)
		}
		if strings.Join(got, ",") != c.fields {
			t.Errorf("%s: fields %v, want %s", c.name, got, c.fields)
		}
	}
}

func TestParseRule_DecimalsArePlainTextWithinBounds(t *testing.T) {
	cases := []struct {
		name   string
		in     RuleText
		fields string
	}{
		{"a percentage", RuleText{ID: "A", Kind: Percent, Percent: "12.5"}, ""},
		{"quantity tiers", RuleText{ID: "Q", Kind: QuantityTiers, Tiers: []BreakText{{"10", "2"}, {"100", "5.25"}}}, ""},
		{"amount tiers", RuleText{ID: "O", Kind: OrderAmountTiers, Currency: "EUR", Tiers: []BreakText{{"5000.50", "2"}}}, ""},
		{"net prices by quantity", RuleText{ID: "N", Kind: NetPrice, Currency: "EUR", Tiers: []BreakText{{"0", "12.50"}, {"10", "11.9999"}}}, ""},
		{"a pallet price", RuleText{ID: "P", Kind: PackagingDiscount, Packaging: catalog.Pallet, Currency: "EUR", Price: "850"}, ""},
		{"percent with an exponent", RuleText{ID: "A", Kind: Percent, Percent: "1e1"}, "percent"},
		{"percent missing", RuleText{ID: "A", Kind: Percent}, "percent"},
		{"packaging without percent or price", RuleText{ID: "P", Kind: PackagingDiscount, Packaging: catalog.Pallet}, "percent"},
		{"negative percent", RuleText{ID: "A", Kind: Percent, Percent: "-5"}, "percent"},
		{"net price 1e9999", RuleText{ID: "N", Kind: NetPrice, Currency: "EUR", Price: "1e9999"}, "price"},
		{"net price with a plus", RuleText{ID: "N", Kind: NetPrice, Currency: "EUR", Price: "+5"}, "price"},
		{"net price zero", RuleText{ID: "N", Kind: NetPrice, Currency: "EUR", Price: "0"}, "price"},
		{"tier values 1e9999", RuleText{ID: "O", Kind: OrderAmountTiers, Currency: "EUR", Tiers: []BreakText{{"1e9999", "1e9999"}}}, "tiers[0].from,tiers[0].value"},
		{"quantity break with decimals", RuleText{ID: "Q", Kind: QuantityTiers, Tiers: []BreakText{{"2.5", "1"}}}, "tiers[0].from"},
		{"net price break of five decimals", RuleText{ID: "N", Kind: NetPrice, Currency: "EUR", Tiers: []BreakText{{"1", "0.00001"}}}, "tiers[0].value"},
		{"51 tiers", RuleText{ID: "Q", Kind: QuantityTiers, Tiers: make([]BreakText, MaxTiers+1)}, "tiers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ps := ParseRule(c.in)
			var got []string
			for _, p := range ps {
				got = append(got, p.Field)
			}
			if strings.Join(got, ",") != c.fields {
				t.Errorf("fields %v, want %s: %+v", got, c.fields, ps)
			}
		})
	}
	r, ps := ParseRule(RuleText{ID: "N", Kind: NetPrice, Currency: "EUR", Tiers: []BreakText{{"0", "12.50"}, {"10", "11.9999"}}})
	if len(ps) != 0 || !r.Tiers[1].Value.Equal(d("11.9999")) || !r.Tiers[1].From.Equal(d("10")) {
		t.Errorf("parsed %+v, %v", r, ps)
	}
}

// The largest rule Validate accepts is stored as one item, far below
// DynamoDB's 400 KB.
func TestRule_TheLargestValidRuleIsSmall(t *testing.T) {
	id := strings.Repeat("I", 64)
	biggest := Rule{ID: id, Name: strings.Repeat("\U0001F4B6", MaxRuleName), Priority: MaxPriority, Stop: true,
		Who:    Who{Customer: id, PriceCategory: id, BuyingGroup: id},
		Target: Target{Ref: id, Family: id}, Kind: NetPrice, Currency: "EUR", Price: d("999999999999.9999"),
		Validity: Validity{From: day, Until: day}}
	for i := range MaxTiers {
		biggest.Tiers = append(biggest.Tiers, Break{From: decimal.NewFromInt(MaxLineUnits - int64(i)), Value: d("999999999999.9999")})
	}
	if ps := biggest.Validate(); len(ps) != 0 {
		t.Fatalf("the biggest rule is invalid: %+v", ps)
	}
	b, err := json.Marshal(biggest)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 8<<10 {
		t.Errorf("the largest valid rule takes %d bytes", len(b))
	}
}
