package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Position is where a product list resumes, in plain form. Storage deals in
// positions; the HTTP layer seals them into opaque cursors, so a caller never
// sees one.
type Position struct {
	// Part names the part of a list made of several (a search's code
	// matches, then its name matches); empty for a list of one part.
	Part string
	// After is the sort key the part resumes after (a reference, or a
	// search word entry's key); empty to start the part.
	After string
}

// IsStart reports whether p is the start of its list.
func (p Position) IsStart() bool { return p == Position{} }

// Page is one read of a product list, before the caller's visibility is
// applied.
type Page struct {
	// Products are in list order.
	Products []Product
	// Ends holds, for each product, the position just after it: a page cut
	// after Products[i] resumes at Ends[i].
	Ends []Position
	// Next is where the list resumes after everything this read went
	// through, which can be past the last product (entries skipped by
	// storage).
	Next Position
	// More is false when the list ends with this read.
	More bool
}

// add appends a product and the position after it.
func (p *Page) add(prod Product, end Position) {
	p.Products = append(p.Products, prod)
	p.Ends = append(p.Ends, end)
}

// ReadFunc reads up to n products of a list from a position: one read of
// storage (its parallel round trips count as one).
type ReadFunc func(ctx context.Context, from Position, n int) (Page, error)

// KeepFunc tells which products of a read the caller may see, keep[i] for
// read[i]. It is called once per read, in order, even for an empty read.
type KeepFunc func(ctx context.Context, read []Product) (keep []bool, err error)

// Bounds of the reads behind one page of products.
const (
	// MaxReads is how many reads one page makes at most: the first, and
	// refills while products hidden from the caller leave it short.
	MaxReads = 4
	// MaxReadSize bounds the products one read asks for.
	MaxReadSize = 200
)

// ReadSize is how many products the attempt-th read of a page asks for
// (attempt 0 is the first) when need products are still missing: a quarter
// more than needed, so that a few hidden products do not cost a second read,
// doubled at each refill, at most MaxReadSize.
func ReadSize(need, attempt int) int {
	n := need + need/4 + 1
	for range attempt {
		if n >= MaxReadSize {
			break
		}
		n *= 2
	}
	return min(n, MaxReadSize)
}

// Filled is a page as the caller sees it.
type Filled struct {
	// Products are the visible products, at most the page size.
	Products []Product
	// Next is where the next page starts; meaningful when More is true.
	Next Position
	// More is false on the last page.
	More bool
	// Reads is how many reads the page took.
	Reads int
}

// Fill builds a page of up to limit products that keep lets the caller see.
// first is the list's first read (made by the caller, with ReadSize(limit, 0),
// often alongside other reads); read reads on while the page is short, until
// it is full, the list ends, or MaxReads reads were made. So every page holds
// limit products except the last one, and except a page that MaxReads reads
// could not fill: that one ends early, with More.
func Fill(ctx context.Context, first Page, read ReadFunc, limit int, keep KeepFunc) (Filled, error) {
	out := Filled{Products: make([]Product, 0, limit)}
	page := first
	for out.Reads = 1; ; out.Reads++ {
		if len(page.Ends) != len(page.Products) {
			return Filled{}, fmt.Errorf("a read of %d products gave %d positions", len(page.Products), len(page.Ends))
		}
		kept, err := keep(ctx, page.Products)
		if err != nil {
			return Filled{}, err
		}
		if len(kept) != len(page.Products) {
			return Filled{}, fmt.Errorf("keep answered %d of %d products", len(kept), len(page.Products))
		}
		for i, p := range page.Products {
			if !kept[i] {
				continue
			}
			out.Products = append(out.Products, p)
			if len(out.Products) < limit {
				continue
			}
			// The page is full: it ends after p, unless nothing visible
			// follows in this read.
			if slices.Contains(kept[i+1:], true) {
				out.Next, out.More = page.Ends[i], true
			} else {
				out.Next, out.More = page.Next, page.More
			}
			return out, nil
		}
		out.Next, out.More = page.Next, page.More
		if !page.More || out.Reads == MaxReads {
			return out, nil
		}
		if page, err = read(ctx, page.Next, ReadSize(limit-len(out.Products), out.Reads)); err != nil {
			return Filled{}, err
		}
	}
}

// MergeByRef merges reads of several lists in reference order (each read in
// reference order, from the same position) into one read of at most n
// products. A list that has more beyond its read bounds the merge: nothing
// past its last reference is kept, since that list may hold products before
// it.
func MergeByRef(n int, reads ...Page) Page {
	horizon, bounded := "", false
	for _, r := range reads {
		if r.More && (!bounded || r.Next.After < horizon) {
			horizon, bounded = r.Next.After, true
		}
	}
	type entry struct {
		p   Product
		end Position
	}
	var all []entry
	seen := map[string]bool{}
	for _, r := range reads {
		for i, p := range r.Products {
			if (bounded && p.Ref > horizon) || seen[p.Ref] {
				continue
			}
			seen[p.Ref] = true
			all = append(all, entry{p, r.Ends[i]})
		}
	}
	slices.SortFunc(all, func(a, b entry) int { return strings.Compare(a.p.Ref, b.p.Ref) })
	out := Page{Products: make([]Product, 0, min(n, len(all))), Ends: make([]Position, 0, min(n, len(all)))}
	for _, e := range all[:min(n, len(all))] {
		out.add(e.p, e.end)
	}
	switch {
	case len(all) > n:
		out.Next, out.More = out.Ends[n-1], true
	case bounded:
		out.Next, out.More = Position{After: horizon}, true
	}
	return out
}

// Descendants returns the ids of the categories below id in cats, nearest
// levels first, each level in tree order.
func Descendants(cats []Category, id string) []string {
	children := map[string][]Category{}
	for _, c := range cats {
		if c.ParentID != "" && c.ID != c.ParentID {
			children[c.ParentID] = append(children[c.ParentID], c)
		}
	}
	var out []string
	seen := map[string]bool{id: true}
	level := []string{id}
	for len(level) > 0 {
		var next []string
		for _, parent := range level {
			kids := slices.Clone(children[parent])
			SortTree(kids)
			for _, k := range kids {
				if !seen[k.ID] {
					seen[k.ID] = true
					out = append(out, k.ID)
					next = append(next, k.ID)
				}
			}
		}
		level = next
	}
	return out
}

// MaxListedCategories bounds the categories one product list reads: a
// category and those below it that the caller may see. Each is one Query of
// every read of a page, run in parallel.
const MaxListedCategories = 16

// CategoryLister reads the products of one or more categories as a single
// list in reference order: each category's products are read from the
// position, in parallel, and merged. A category whose products ran out is
// not read again by later reads of the same walk.
type CategoryLister struct {
	repo     Repository
	merchant merchant.ID
	ids      []string
	done     map[string]bool
}

// NewCategoryLister lists the products of the categories ids.
func NewCategoryLister(repo Repository, m merchant.ID, ids ...string) *CategoryLister {
	return &CategoryLister{repo: repo, merchant: m, ids: slices.Clone(ids), done: map[string]bool{}}
}

// Read reads up to n products of the lister's categories from a position
// (its After is a reference): one Query per category not yet exhausted, in
// parallel.
func (l *CategoryLister) Read(ctx context.Context, from Position, n int) (Page, error) {
	return l.read(ctx, l.live(l.ids), from, n)
}

// Extend adds categories to the list, reads them from the position first was
// read from, and merges that read with first (a read of the lister's other
// categories) into one read of at most n products.
func (l *CategoryLister) Extend(ctx context.Context, ids []string, first Page, from Position, n int) (Page, error) {
	l.ids = append(l.ids, ids...)
	more, err := l.read(ctx, ids, from, n)
	if err != nil {
		return Page{}, err
	}
	return MergeByRef(n, first, more), nil
}

// Retain keeps, for later reads, only the categories keep accepts.
func (l *CategoryLister) Retain(keep func(id string) bool) {
	l.ids = slices.DeleteFunc(l.ids, func(id string) bool { return !keep(id) })
}

func (l *CategoryLister) live(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !l.done[id] {
			out = append(out, id)
		}
	}
	return out
}

func (l *CategoryLister) read(ctx context.Context, ids []string, from Position, n int) (Page, error) {
	if from.Part != "" {
		return Page{}, ErrInvalidCursor
	}
	reads := make([]Page, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { reads[i], errs[i] = l.repo.ProductsInCategory(ctx, l.merchant, id, n, from.After) })
	}
	wg.Wait()
	for i, id := range ids {
		if errs[i] != nil {
			return Page{}, errs[i]
		}
		if !reads[i].More {
			l.done[id] = true
		}
	}
	return MergeByRef(n, reads...), nil
}
