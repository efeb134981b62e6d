package cart

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
)

func unitProduct(ref string, links ...catalog.LinkedArticle) catalog.Product {
	return catalog.Product{Ref: ref, Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, Links: links}
}

func mandatory(ref, ratio string) catalog.LinkedArticle {
	return catalog.LinkedArticle{Ref: ref, Kind: catalog.Mandatory, Ratio: decimal.RequireFromString(ratio)}
}

func optional(ref string) catalog.LinkedArticle {
	return catalog.LinkedArticle{Ref: ref, Kind: catalog.Optional, Ratio: decimal.NewFromInt(1)}
}

// testCatalog: a basin needs a trap (ratio 1) and suggests a mixer tap; a
// rail needs 2 brackets per unit, sold by lots of 4; a panel (ratio 1) and
// a partition (ratio 2) share the seal; a shelf needs 4 plugs sold by 6
// (or by lots of 60); a
// slab needs half a glue pot; a safe needs a companion the customer may not
// see; A and B need each other twice over.
func testCatalog() ProductMap {
	m := ProductMap{}
	for _, p := range []catalog.Product{
		unitProduct("LAVABO", mandatory("SIPHON", "1"), optional("MITIGEUR")),
		unitProduct("SIPHON"), unitProduct("MITIGEUR"),
		unitProduct("RAIL", mandatory("SUPPORT", "2")),
		{Ref: "SUPPORT", Packagings: []catalog.Packaging{{Kind: catalog.Lot, Units: 4}}},
		unitProduct("PANNEAU", mandatory("JOINT", "1")),
		unitProduct("CLOISON", mandatory("JOINT", "2")),
		unitProduct("JOINT"),
		unitProduct("ETAGERE", mandatory("CHEVILLE", "4")),
		{Ref: "CHEVILLE", MinOrderQty: 6, OrderMultiple: 6, Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Lot, Units: 60}}},
		unitProduct("DALLE", mandatory("COLLE", "0.5")),
		unitProduct("COLLE"),
		unitProduct("COFFRE", mandatory("CACHE", "1")),
		unitProduct("CACHE"),
		unitProduct("ORPHELIN", mandatory("ABSENT", "1")),
		unitProduct("A", mandatory("B", "2")),
		unitProduct("B", mandatory("A", "2")),
		unitProduct("SECRET"),
		screws,
	} {
		m[p.Ref] = p
	}
	return m
}

func testVisibility(p catalog.Product) bool { return p.Ref != "CACHE" && p.Ref != "SECRET" }

type op struct {
	kind string // add, set, remove
	ref  string
	pack catalog.PackagingKind
	q    int64
}

func add(ref string, q int64) op { return op{"add", ref, "", q} }
func set(ref string, q int64) op { return op{"set", ref, "", q} }
func remove(ref string) op       { return op{"remove", ref, "", 0} }

func (o op) run(c *Cart) (Change, error) {
	switch o.kind {
	case "add":
		return c.Add(o.ref, o.pack, o.q)
	case "set":
		return c.SetQuantity(o.ref, o.pack, o.q)
	default:
		return Change{}, c.Remove(o.ref, o.pack)
	}
}

// show prints lines as "REF pack qty", with "<-BY" for companions and "*"
// for a chosen line.
func show(lines []Line) []string {
	var out []string
	for _, l := range lines {
		s := fmt.Sprintf("%s %s %d", l.Ref, l.Packaging, l.Quantity)
		if l.Chosen {
			s += "*"
		}
		if len(l.BroughtBy) > 0 {
			s += " <-" + strings.Join(l.BroughtBy, ",")
		}
		out = append(out, s)
	}
	return out
}

func TestCartLinkedArticles(t *testing.T) {
	tests := []struct {
		name  string
		setup []op
		last  op
		want  []string
		// err checks the last operation's error; nil wants none.
		err         func(error) bool
		errSays     string
		suggestions []string
	}{
		{name: "add brings the companion at ratio 1", last: add("LAVABO", 2),
			want: []string{"LAVABO unit 2*", "SIPHON unit 2 <-LAVABO"}, suggestions: []string{"MITIGEUR"}},
		{name: "add again raises the companion", setup: []op{add("LAVABO", 2)}, last: add("LAVABO", 3),
			want: []string{"LAVABO unit 5*", "SIPHON unit 5 <-LAVABO"}, suggestions: []string{"MITIGEUR"}},
		{name: "raise by setting the quantity", setup: []op{add("LAVABO", 2)}, last: set("LAVABO", 7),
			want: []string{"LAVABO unit 7*", "SIPHON unit 7 <-LAVABO"}, suggestions: []string{"MITIGEUR"}},
		{name: "lower the product lowers the companion", setup: []op{add("LAVABO", 5)}, last: set("LAVABO", 2),
			want: []string{"LAVABO unit 2*", "SIPHON unit 2 <-LAVABO"}, suggestions: []string{"MITIGEUR"}},
		{name: "no suggestion once the optional companion is in the cart", setup: []op{add("MITIGEUR", 1)}, last: add("LAVABO", 1),
			want: []string{"MITIGEUR unit 1*", "LAVABO unit 1*", "SIPHON unit 1 <-LAVABO"}},
		{name: "the companion cannot go below its product", setup: []op{add("LAVABO", 3)}, last: set("SIPHON", 2),
			want: []string{"LAVABO unit 3*", "SIPHON unit 3 <-LAVABO"}, err: isCompanionError, errSays: "SIPHON is a mandatory linked article of LAVABO: the cart must hold at least 3 units"},
		{name: "the companion cannot be removed", setup: []op{add("LAVABO", 3)}, last: remove("SIPHON"),
			want: []string{"LAVABO unit 3*", "SIPHON unit 3 <-LAVABO"}, err: isCompanionError, errSays: "of LAVABO"},
		{name: "the companion set to its need keeps following", setup: []op{add("LAVABO", 3)}, last: set("SIPHON", 3),
			want: []string{"LAVABO unit 3*", "SIPHON unit 3 <-LAVABO"}},
		{name: "removing the product removes its companion", setup: []op{add("LAVABO", 3)}, last: remove("LAVABO"),
			want: nil},
		{name: "setting the product to 0 removes its companion", setup: []op{add("LAVABO", 3)}, last: set("LAVABO", 0),
			want: nil},
		{name: "ratio 2, rounded up to lots of 4", last: add("RAIL", 3),
			want: []string{"RAIL unit 3*", "SUPPORT lot 2 <-RAIL"}},
		{name: "ratio 2, exactly one lot", setup: []op{add("RAIL", 3)}, last: set("RAIL", 2),
			want: []string{"RAIL unit 2*", "SUPPORT lot 1 <-RAIL"}},
		{name: "ratio 2: a lot below the need is refused", setup: []op{add("RAIL", 3)}, last: set("SUPPORT", 1),
			want: []string{"RAIL unit 3*", "SUPPORT lot 2 <-RAIL"}, err: isCompanionError, errSays: "at least 6 units"},
		{name: "a half ratio rounds up to a whole unit", last: add("DALLE", 3),
			want: []string{"DALLE unit 3*", "COLLE unit 2 <-DALLE"}},
		{name: "the companion's own minimum and multiple", last: add("ETAGERE", 2),
			want: []string{"ETAGERE unit 2*", "CHEVILLE unit 12 <-ETAGERE"}},
		{name: "a lot of the companion bought by the buyer replaces the line that followed", setup: []op{add("ETAGERE", 2)}, last: op{"add", "CHEVILLE", catalog.Lot, 1},
			want: []string{"ETAGERE unit 2*", "CHEVILLE lot 1*"}},
		{name: "the buyer's lot of the companion cannot leave while it is needed", setup: []op{add("ETAGERE", 2), op{"add", "CHEVILLE", catalog.Lot, 1}}, last: op{"remove", "CHEVILLE", catalog.Lot, 0},
			want: []string{"ETAGERE unit 2*", "CHEVILLE lot 1*"}, err: isCompanionError, errSays: "at least 8 units of it while it is in the cart"},
		{name: "a shared companion adds both needs", setup: []op{add("PANNEAU", 2)}, last: add("CLOISON", 3),
			want: []string{"PANNEAU unit 2*", "JOINT unit 8 <-CLOISON,PANNEAU", "CLOISON unit 3*"}},
		{name: "a shared companion names both products", setup: []op{add("PANNEAU", 2), add("CLOISON", 3)}, last: set("JOINT", 7),
			want: []string{"PANNEAU unit 2*", "JOINT unit 8 <-CLOISON,PANNEAU", "CLOISON unit 3*"}, err: isCompanionError, errSays: "of CLOISON, PANNEAU"},
		{name: "removing one product lowers a shared companion", setup: []op{add("PANNEAU", 2), add("CLOISON", 3)}, last: remove("PANNEAU"),
			want: []string{"JOINT unit 6 <-CLOISON", "CLOISON unit 3*"}},
		{name: "removing the other product too removes it", setup: []op{add("PANNEAU", 2), add("CLOISON", 3), remove("PANNEAU")}, last: remove("CLOISON"),
			want: nil},
		{name: "a companion raised by the buyer stays when its product leaves", setup: []op{add("LAVABO", 2), set("SIPHON", 5)}, last: remove("LAVABO"),
			want: []string{"SIPHON unit 5*"}},
		{name: "a companion raised by the buyer is not lowered", setup: []op{add("LAVABO", 2), set("SIPHON", 5)}, last: set("LAVABO", 1),
			want: []string{"LAVABO unit 1*", "SIPHON unit 5* <-LAVABO"}, suggestions: []string{"MITIGEUR"}},
		{name: "a companion the buyer already holds covers the need", setup: []op{add("SIPHON", 4)}, last: add("LAVABO", 2),
			want: []string{"SIPHON unit 4* <-LAVABO", "LAVABO unit 2*"}, suggestions: []string{"MITIGEUR"}},
		{name: "a companion the buyer holds is raised past it", setup: []op{add("SIPHON", 4)}, last: add("LAVABO", 6),
			want: []string{"SIPHON unit 6* <-LAVABO", "LAVABO unit 6*"}, suggestions: []string{"MITIGEUR"}},
		{name: "a hidden companion: the product cannot be ordered", last: add("COFFRE", 1),
			want: nil, err: isNotOrderable, errSays: "COFFRE cannot be ordered: its mandatory linked article CACHE is not available"},
		{name: "a missing companion: the product cannot be ordered", last: add("ORPHELIN", 1),
			want: nil, err: isNotOrderable, errSays: "ABSENT is not in the catalog"},
		{name: "unknown product", last: add("NOPE", 1),
			err: func(err error) bool { return errors.Is(err, ErrUnknownProduct) }},
		{name: "hidden product", last: add("SECRET", 1),
			err: func(err error) bool { return errors.Is(err, ErrHidden) }},
		{name: "mandatory links in a loop", last: add("A", 1),
			err: func(err error) bool { return errors.Is(err, ErrLinkLoop) }},
		{name: "an invalid quantity changes nothing", setup: []op{add("LAVABO", 1)}, last: add("VIS", 7),
			want: []string{"LAVABO unit 1*", "SIPHON unit 1 <-LAVABO"}, err: isQuantityError, errSays: "nearest valid quantity: 12"},
		{name: "adding to a line keeps the quantity rules", setup: []op{add("VIS", 6)}, last: op{"add", "VIS", catalog.Pallet, 1},
			want: []string{"VIS unit 6*", "VIS pallet 1*"}},
		{name: "removing a line not in the cart", last: remove("LAVABO"),
			err: func(err error) bool { return errors.Is(err, ErrNotInCart) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(testCatalog(), testVisibility)
			for _, o := range tt.setup {
				if _, err := o.run(c); err != nil {
					t.Fatalf("setup %v: %v", o, err)
				}
			}
			change, err := tt.last.run(c)
			switch {
			case tt.err == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.err != nil && (err == nil || !tt.err(err)):
				t.Fatalf("want the expected error, got %v", err)
			case err != nil && !strings.Contains(err.Error(), tt.errSays):
				t.Errorf("error %q does not say %q", err.Error(), tt.errSays)
			}
			if got := show(c.Lines()); !slices.Equal(got, tt.want) {
				t.Errorf("lines:\n got %q\nwant %q", got, tt.want)
			}
			var sugg []string
			for _, s := range change.Suggestions {
				sugg = append(sugg, s.Ref)
			}
			if !slices.Equal(sugg, tt.suggestions) {
				t.Errorf("suggestions %v, want %v", sugg, tt.suggestions)
			}
		})
	}
}

func isCompanionError(err error) bool {
	var ce *CompanionError
	return errors.As(err, &ce)
}

func isNotOrderable(err error) bool {
	var ne *NotOrderableError
	return errors.As(err, &ne)
}

func isQuantityError(err error) bool {
	var qe *QuantityError
	return errors.As(err, &qe)
}

func TestCartLinesAreCopies(t *testing.T) {
	c := New(testCatalog(), nil)
	if _, err := c.Add("PANNEAU", "", 2); err != nil {
		t.Fatal(err)
	}
	lines := c.Lines()
	lines[1].Quantity, lines[1].BroughtBy[0] = 0, "X"
	if got := show(c.Lines()); !slices.Equal(got, []string{"PANNEAU unit 2*", "JOINT unit 2 <-PANNEAU"}) {
		t.Errorf("the cart changed through its copy: %q", got)
	}
}
