package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/comptoir/comptoir/shared/merchant"
)

// list is an in-memory product list read by reference, as a category's
// partition is.
type list struct {
	refs  []string // sorted
	reads int
}

func newList(refs ...string) *list {
	l := &list{refs: slices.Clone(refs)}
	sort.Strings(l.refs)
	return l
}

func (l *list) read(_ context.Context, from Position, n int) (Page, error) {
	l.reads++
	var p Page
	i := sort.SearchStrings(l.refs, from.After)
	if i < len(l.refs) && l.refs[i] == from.After {
		i++
	}
	for ; i < len(l.refs) && len(p.Products) < n; i++ {
		p.add(Product{Ref: l.refs[i]}, Position{After: l.refs[i]})
	}
	if i < len(l.refs) {
		p.Next, p.More = p.Ends[len(p.Ends)-1], true
	}
	return p, nil
}

func refsOf(ps []Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Ref
	}
	return out
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i+1)
	}
	return out
}

// hiding keeps every product whose reference is not in hidden.
func hiding(hidden ...string) KeepFunc {
	return func(_ context.Context, read []Product) ([]bool, error) {
		keep := make([]bool, len(read))
		for i, p := range read {
			keep[i] = !slices.Contains(hidden, p.Ref)
		}
		return keep, nil
	}
}

// walk pages through the whole list and returns each page's references.
func walk(t *testing.T, l *list, limit int, keep KeepFunc) [][]string {
	t.Helper()
	var pages [][]string
	from := Position{}
	for range 100 {
		first, err := l.read(context.Background(), from, ReadSize(limit, 0))
		if err != nil {
			t.Fatal(err)
		}
		f, err := Fill(context.Background(), first, l.read, limit, keep)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, refsOf(f.Products))
		if !f.More {
			return pages
		}
		from = f.Next
	}
	t.Fatal("the walk never ends")
	return nil
}

func TestFill_EveryPageIsFullExceptTheLast(t *testing.T) {
	all := numbered("V", 72)
	cases := []struct {
		name   string
		limit  int
		hidden []string
	}{
		{"one hidden product among 72, pages of 50", 50, []string{"V010"}},
		{"one hidden product, pages of 51", 51, []string{"V010"}},
		{"a run of hidden products longer than a read", 7, numbered("V", 30)[5:25]},
		{"every other product hidden", 10, func() []string {
			var h []string
			for i, r := range all {
				if i%2 == 0 {
					h = append(h, r)
				}
			}
			return h
		}()},
		{"nothing hidden, pages of 1", 1, nil},
		{"the last product hidden", 71, []string{"V072"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pages := walk(t, newList(all...), c.limit, hiding(c.hidden...))
			var got []string
			for i, p := range pages {
				if i < len(pages)-1 && len(p) != c.limit {
					t.Errorf("page %d holds %d products, want %d", i, len(p), c.limit)
				}
				got = append(got, p...)
			}
			want := slices.DeleteFunc(slices.Clone(all), func(r string) bool { return slices.Contains(c.hidden, r) })
			if !slices.Equal(got, want) {
				t.Errorf("listed %v\nwant %v", got, want)
			}
			if last := pages[len(pages)-1]; len(last) == 0 && len(pages) > 1 {
				t.Errorf("an empty last page after %d pages", len(pages)-1)
			}
		})
	}
}

func TestFill_BoundsTheReadsOfOnePage(t *testing.T) {
	l := newList(numbered("P", 5000)...)
	hideAll := func(_ context.Context, read []Product) ([]bool, error) { return make([]bool, len(read)), nil }
	first, _ := l.read(context.Background(), Position{}, ReadSize(20, 0))
	f, err := Fill(context.Background(), first, l.read, 20, hideAll)
	if err != nil {
		t.Fatal(err)
	}
	if f.Reads != MaxReads || l.reads != MaxReads || len(f.Products) != 0 || !f.More || f.Next.IsStart() {
		t.Errorf("reads %d (%d), %d products, more %v, next %+v", f.Reads, l.reads, len(f.Products), f.More, f.Next)
	}
}

func TestFill_OneReadWhenTheFirstHoldsThePage(t *testing.T) {
	l := newList(numbered("V", 72)...)
	first, _ := l.read(context.Background(), Position{}, ReadSize(50, 0))
	f, err := Fill(context.Background(), first, l.read, 50, hiding("V003"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Reads != 1 || len(f.Products) != 50 || f.Next.After != "V051" || !f.More {
		t.Errorf("reads %d, %d products, next %+v", f.Reads, len(f.Products), f.Next)
	}
}

func TestFill_PassesKeepErrorsOn(t *testing.T) {
	boom := errors.New("boom")
	_, err := Fill(context.Background(), Page{}, nil, 5, func(context.Context, []Product) ([]bool, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestReadSize_GrowsAndIsBounded(t *testing.T) {
	for _, c := range []struct{ need, attempt, want int }{
		{20, 0, 26}, {50, 0, 63}, {1, 0, 2}, {20, 1, 52}, {20, 3, 200}, {100, 0, 126}, {100, 1, 200}, {160, 0, 200},
	} {
		if got := ReadSize(c.need, c.attempt); got != c.want {
			t.Errorf("ReadSize(%d, %d) = %d, want %d", c.need, c.attempt, got, c.want)
		}
	}
}

func TestMergeByRef_KeepsReferenceOrderUpToTheShortestList(t *testing.T) {
	read := func(l *list, n int) Page { p, _ := l.read(context.Background(), Position{}, n); return p }
	a, b, c := newList("A1", "A2", "C5", "C9"), newList("B1", "B2", "B3", "B4"), newList()
	cases := []struct {
		name     string
		n        int
		reads    []Page
		want     []string
		next     string
		more     bool
		wantNext bool
	}{
		{"all lists read whole", 10, []Page{read(a, 10), read(b, 10), read(c, 10)}, []string{"A1", "A2", "B1", "B2", "B3", "B4", "C5", "C9"}, "", false, false},
		{"cut at n", 3, []Page{read(a, 10), read(b, 10)}, []string{"A1", "A2", "B1"}, "B1", true, true},
		{"a list with more bounds the others", 10, []Page{read(a, 10), read(b, 2)}, []string{"A1", "A2", "B1", "B2"}, "B2", true, true},
		{"the first list with more bounds the rest", 3, []Page{read(a, 2), read(b, 3)}, []string{"A1", "A2"}, "A2", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := MergeByRef(c.n, c.reads...)
			if !slices.Equal(refsOf(got.Products), c.want) || got.More != c.more || got.Next.After != c.next {
				t.Errorf("merged %v next %q more %v; want %v next %q more %v", refsOf(got.Products), got.Next.After, got.More, c.want, c.next, c.more)
			}
			for i, p := range got.Products {
				if got.Ends[i].After != p.Ref {
					t.Errorf("end of %s is %+v", p.Ref, got.Ends[i])
				}
			}
		})
	}
}

func TestDescendants_ListsTheSubtreeLevelByLevel(t *testing.T) {
	cats := []Category{
		{ID: "VANNES"}, {ID: "VANNES-BILLE", ParentID: "VANNES", Position: 1}, {ID: "VANNES-A", ParentID: "VANNES", Position: 2},
		{ID: "VANNES-BILLE-INOX", ParentID: "VANNES-BILLE"}, {ID: "POMPES"}, {ID: "LOOP", ParentID: "LOOP"},
	}
	for id, want := range map[string][]string{
		"VANNES":       {"VANNES-BILLE", "VANNES-A", "VANNES-BILLE-INOX"},
		"VANNES-BILLE": {"VANNES-BILLE-INOX"},
		"POMPES":       nil,
		"LOOP":         nil,
		"NOPE":         nil,
	} {
		if got := Descendants(cats, id); !slices.Equal(got, want) {
			t.Errorf("Descendants(%s) = %v, want %v", id, got, want)
		}
	}
}

// partitions is a Repository holding products per category.
type partitions struct {
	mu    sync.Mutex
	lists map[string]*list
	calls []string
}

func (p *partitions) Categories(context.Context, merchant.ID) ([]Category, error) { return nil, nil }
func (p *partitions) Product(context.Context, merchant.ID, string) (Product, error) {
	return Product{}, ErrNotFound
}
func (p *partitions) ProductsInCategory(ctx context.Context, _ merchant.ID, id string, limit int, after string) (Page, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, id)
	l, ok := p.lists[id]
	if !ok {
		return Page{}, nil
	}
	return l.read(ctx, Position{After: after}, limit)
}

func TestCategoryLister_WalksASubtreeInReferenceOrder(t *testing.T) {
	repo := &partitions{lists: map[string]*list{
		"VANNES":          newList("VANNES-001"),
		"VANNES-BILLE":    newList(numbered("VANNES-BILLE-", 30)...),
		"VANNES-PAPILLON": newList(numbered("VANNES-PAPILLON-", 5)...),
		"VANNES-CLAPETS":  newList(numbered("VANNES-CLAPETS-", 12)...),
	}}
	var want []string
	for _, l := range repo.lists {
		want = append(want, l.refs...)
	}
	sort.Strings(want)
	ctx := context.Background()
	var got []string
	from, pages := Position{}, 0
	for {
		lister := NewCategoryLister(repo, "m1", "VANNES")
		first, err := lister.Read(ctx, from, ReadSize(8, 0))
		if err != nil {
			t.Fatal(err)
		}
		if first, err = lister.Extend(ctx, []string{"VANNES-BILLE", "VANNES-PAPILLON", "VANNES-CLAPETS"}, first, from, ReadSize(8, 0)); err != nil {
			t.Fatal(err)
		}
		f, err := Fill(ctx, first, lister.Read, 8, hiding("VANNES-BILLE-002"))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if f.More && len(f.Products) != 8 {
			t.Errorf("page %d holds %d products", pages, len(f.Products))
		}
		got = append(got, refsOf(f.Products)...)
		if !f.More {
			break
		}
		from = f.Next
	}
	want = slices.DeleteFunc(want, func(r string) bool { return r == "VANNES-BILLE-002" })
	if !slices.Equal(got, want) {
		t.Errorf("listed %v\nwant %v", got, want)
	}
	if pages != (len(want)+7)/8 {
		t.Errorf("%d pages for %d products", pages, len(want))
	}
}

func TestCategoryLister_ReadsAnExhaustedCategoryOnce(t *testing.T) {
	repo := &partitions{lists: map[string]*list{
		"A": newList("A1"),
		"B": newList(numbered("B", 40)...),
	}}
	lister := NewCategoryLister(repo, "m1", "A", "B")
	first, _ := lister.Read(context.Background(), Position{}, 3)
	hideB := func(_ context.Context, read []Product) ([]bool, error) {
		keep := make([]bool, len(read))
		for i, p := range read {
			keep[i] = !strings.HasPrefix(p.Ref, "B")
		}
		return keep, nil
	}
	if _, err := Fill(context.Background(), first, lister.Read, 3, hideB); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(repo.calls, ","), "A"); n != 1 {
		t.Errorf("category A read %d times: %v", n, repo.calls)
	}
}

func TestCategoryLister_RefusesAPositionOfAnotherList(t *testing.T) {
	lister := NewCategoryLister(&partitions{}, "m1", "A")
	if _, err := lister.Read(context.Background(), Position{Part: "w", After: "x"}, 3); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("err = %v", err)
	}
}
