package cart

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/pricing"
)

// showQuick prints parsed lines as "n REF qty pack" or "n problem".
func showQuick(lines []QuickLine) []string {
	var out []string
	for _, l := range lines {
		if l.OK() {
			out = append(out, strings.TrimSpace(fmt.Sprintf("%d %s %d %s", l.Line, l.Ref, l.Quantity, l.Packaging)))
		} else {
			out = append(out, fmt.Sprintf("%d %s", l.Line, l.Problem))
		}
	}
	return out
}

func TestParseQuickOrder(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"semicolon with a header", "Référence;Quantité;Conditionnement\nVIS;12;unité\nLAVABO;2\n",
			[]string{"2 VIS 12 unit", "3 LAVABO 2"}},
		{"comma without a header", "VIS,12\nLAVABO,2,pallet",
			[]string{"1 VIS 12", "2 LAVABO 2 pallet"}},
		{"header in the quantity column", "code;qté\nVIS;6", []string{"2 VIS 6"}},
		{"decimal comma and point", "VIS;12,0\nVIS;12,5\nVIS;12.00\nVIS;6,\nVIS;,5",
			[]string{"1 VIS 12", "2 fractional-quantity", "3 VIS 12", "4 bad-quantity", "5 bad-quantity"}},
		{"quoted cells keep a decimal comma in comma text", `"VIS","12,0"` + "\nLAVABO,\"3\"",
			[]string{"1 VIS 12", "2 LAVABO 3"}},
		{"blank lines keep their numbers", "\n\nVIS;6\n\n  \t\nLAVABO;1\n\n",
			[]string{"3 VIS 6", "6 LAVABO 1"}},
		{"Windows line ends, a byte order mark and trailing empty cells", "\uFEFFref;qty\r\nVIS;6;;\r\nLAVABO;1\r\n",
			[]string{"2 VIS 6", "3 LAVABO 1"}},
		{"spaces around cells", "  VIS ;  18 ; Palette ", []string{"1 VIS 18 pallet"}},
		{"junk lines with their numbers", "VIS;6\nhello world\n;5\nVIS\nVIS;abc\nVIS;-2\nVIS;0\nVIS;6;crate\nVIS;1;unit;x\nVIS;99999999999\nVIS;1000000001\nVIS;1 000\nLAVABO;1",
			[]string{"1 VIS 6", "2 bad-ref", "3 missing-ref", "4 missing-quantity", "5 bad-quantity", "6 bad-quantity", "7 bad-quantity",
				"8 bad-packaging", "9 too-many-fields", "10 bad-quantity", "11 bad-quantity", "12 bad-quantity", "13 LAVABO 1"}},
		{"a junk first line is not a header", "hello;world\nVIS;6", []string{"1 bad-quantity", "2 VIS 6"}},
		{"a line too long", "VIS;6\n" + strings.Repeat("X", MaxQuickOrderLineLen+1) + ";1\nLAVABO;1",
			[]string{"1 VIS 6", "2 line-too-long", "3 LAVABO 1"}},
		{"the largest quantity", fmt.Sprintf("VIS;%d", pricing.MaxQuantity), []string{fmt.Sprintf("1 VIS %d", pricing.MaxQuantity)}},
		{"nothing", " \n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuickOrder(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if s := showQuick(got); !slices.Equal(s, tt.want) {
				t.Errorf("got  %q\nwant %q", s, tt.want)
			}
			for _, l := range got {
				if !l.OK() && !strings.HasPrefix(l.Message, fmt.Sprintf("line %d", l.Line)) {
					t.Errorf("message %q does not give line %d", l.Message, l.Line)
				}
			}
		})
	}
}

func TestParseQuickOrderBounds(t *testing.T) {
	lines := func(n int) string { return "ref;qty\n" + strings.Repeat("VIS;6\n\n", n) }
	tests := []struct {
		name  string
		text  string
		fails bool
	}{
		{"500 lines, a header and blank lines", lines(MaxQuickOrderLines), false},
		{"501 lines", lines(MaxQuickOrderLines + 1), true},
		{"too many bytes", strings.Repeat(" ", MaxQuickOrderBytes+1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuickOrder(tt.text)
			if tt.fails {
				if !errors.Is(err, ErrQuickOrderTooLarge) || got != nil {
					t.Fatalf("want ErrQuickOrderTooLarge, got %d lines, %v", len(got), err)
				}
				return
			}
			if err != nil || len(got) != MaxQuickOrderLines {
				t.Fatalf("got %d lines, %v", len(got), err)
			}
		})
	}
}

func TestApplyQuickOrder(t *testing.T) {
	lines, err := ParseQuickOrder("ref;qty;packaging\nVIS;7\nLAVABO;2\nNOPE;1\nSECRET;1\nCOFFRE;1\nVIS;1;lot\nVIS;12,5\nVIS;1;pallet\nCHEVILLE;1000000000\nCHEVILLE;6\nRAIL;1000000000\nVIS;6.0.0\n")
	if err != nil {
		t.Fatal(err)
	}
	c := New(testCatalog(), testVisibility)
	got := c.Apply(lines)
	want := []string{
		"2 VIS adjusted 12 unit",
		"3 LAVABO added 2 unit [MITIGEUR]",
		"4 NOPE unknown",
		"5 SECRET hidden",
		"6 COFFRE not-orderable",
		"7 VIS not-orderable",
		"8 VIS invalid",
		"9 VIS added 1 pallet",
		"10 CHEVILLE adjusted 999999996 unit",
		"11 CHEVILLE not-orderable",
		"12 RAIL not-orderable",
		"13 VIS invalid",
	}
	var show []string
	for _, r := range got {
		s := strings.TrimSpace(fmt.Sprintf("%d %s %s", r.Line, r.Ref, r.Outcome))
		if r.Quantity > 0 {
			s += fmt.Sprintf(" %d %s", r.Quantity, r.Packaging)
		}
		for _, sg := range r.Suggestions {
			s += " [" + sg.Ref + "]"
		}
		if r.Outcome != Added && r.Message == "" {
			t.Errorf("line %d: %s without a message", r.Line, r.Outcome)
		}
		show = append(show, s)
	}
	if !slices.Equal(show, want) {
		t.Errorf("got  %q\nwant %q", show, want)
	}
	if !strings.Contains(got[4].Message, "CACHE") {
		t.Errorf("not orderable without naming its companion: %q", got[4].Message)
	}
	if !strings.Contains(got[0].Message, "nearest valid quantity: 12") {
		t.Errorf("adjusted without the reason: %q", got[0].Message)
	}
	wantLines := []string{"VIS unit 12*", "LAVABO unit 2*", "SIPHON unit 2 <-LAVABO", "VIS pallet 1*", "CHEVILLE unit 999999996*"}
	if got := showLines(c); !slices.Equal(got, wantLines) {
		t.Errorf("cart:\n got %q\nwant %q", got, wantLines)
	}
}

func showLines(c *Cart) []string { return show(c.Lines()) }

func FuzzParseQuickOrder(f *testing.F) {
	for _, s := range []string{"ref;qty\nVIS;12,0\n", "VIS,12\nA,2,pallet", `"A;B";"1""2"`, "\uFEFF;;;\n,,,", "VIS;12.5", "\"", "A;1;lot\r\nB;2,000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines, err := ParseQuickOrder(text)
		if err != nil {
			if !errors.Is(err, ErrQuickOrderTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(lines) > MaxQuickOrderLines {
			t.Fatalf("%d lines", len(lines))
		}
		last := 0
		for _, l := range lines {
			if l.Line <= last {
				t.Fatalf("line numbers out of order: %d after %d", l.Line, last)
			}
			last = l.Line
			if l.OK() && (!catalog.ValidRef(l.Ref) || l.Quantity < 1 || l.Quantity > pricing.MaxQuantity) {
				t.Fatalf("line %d read as %+v", l.Line, l)
			}
		}
		c := New(testCatalog(), testVisibility)
		for _, r := range c.Apply(lines) {
			if (r.Outcome == Added || r.Outcome == Adjusted) && r.Quantity < 1 {
				t.Fatalf("line %d %s with quantity %d", r.Line, r.Outcome, r.Quantity)
			}
		}
	})
}
