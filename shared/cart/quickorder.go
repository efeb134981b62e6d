package cart

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/pricing"
)

// Bounds of a quick order.
const (
	// MaxQuickOrderLines is the most lines a quick order may hold, blank
	// lines and the header aside.
	MaxQuickOrderLines = 500
	// MaxQuickOrderLineLen is the longest line, in bytes.
	MaxQuickOrderLineLen = 256
	// MaxQuickOrderBytes is the largest pasted text.
	MaxQuickOrderBytes = 256 << 10
)

// ErrQuickOrderTooLarge: the pasted text has more lines or bytes than a
// quick order may hold; nothing of it is read.
var ErrQuickOrderTooLarge = errors.New("quick order too large")

// Problems of a quick order line.
const (
	ProblemMissingRef      = "missing-ref"
	ProblemBadRef          = "bad-ref"
	ProblemMissingQuantity = "missing-quantity"
	ProblemBadQuantity     = "bad-quantity"
	ProblemFraction        = "fractional-quantity"
	ProblemBadPackaging    = "bad-packaging"
	ProblemTooManyFields   = "too-many-fields"
	ProblemLineTooLong     = "line-too-long"
)

// QuickLine is one line of a quick order: a reference, a quantity of
// packages and an optional packaging, or the problem that kept it from
// being read.
type QuickLine struct {
	// Line is the line's number in the text, from 1.
	Line      int                   `json:"line"`
	Ref       string                `json:"ref,omitempty"`
	Quantity  int64                 `json:"quantity,omitempty"`
	Packaging catalog.PackagingKind `json:"packaging,omitempty"`
	// Problem is empty for a line read; else one of the Problem codes,
	// with Message for the buyer.
	Problem string `json:"problem,omitempty"`
	Message string `json:"message,omitempty"`
}

// OK reports whether the line was read.
func (l QuickLine) OK() bool { return l.Problem == "" }

// headerWords are the first cells that mark a header line.
var headerWords = map[string]bool{
	"ref": true, "réf": true, "reference": true, "référence": true, "article": true, "code": true,
	"sku": true, "item": true, "qty": true, "quantity": true, "quantité": true, "qté": true, "quantite": true,
}

// packagingWords are the packaging names a quick order accepts.
var packagingWords = map[string]catalog.PackagingKind{
	"unit": catalog.Unit, "u": catalog.Unit, "unité": catalog.Unit, "unite": catalog.Unit, "pièce": catalog.Unit, "piece": catalog.Unit,
	"lot": catalog.Lot, "pack": catalog.Lot,
	"pallet": catalog.Pallet, "palette": catalog.Pallet,
}

// ParseQuickOrder reads CSV text pasted from a spreadsheet: one line per
// article, reference then quantity, then optionally the packaging (unit,
// lot, pallet, or their French names), separated by ';' or ',' (';' when
// any line holds one, so that "12,0" reads as a decimal comma), cells
// optionally in double quotes. A first line whose cells are column names
// (ref, référence, quantité…) is a header and skipped, as are blank lines.
// A quantity is a whole number of packages; a decimal point or comma is
// accepted when only zeros follow it ("12,0"), and refused otherwise
// ("12,5"). Every other line gets a QuickLine, read or with its problem. A
// text of more than MaxQuickOrderBytes bytes or MaxQuickOrderLines lines
// fails with ErrQuickOrderTooLarge.
func ParseQuickOrder(text string) ([]QuickLine, error) {
	if len(text) > MaxQuickOrderBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrQuickOrderTooLarge, MaxQuickOrderBytes)
	}
	text = strings.TrimPrefix(text, "\uFEFF")
	raw := strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n")
	sep := ','
	if strings.Contains(text, ";") {
		sep = ';'
	}
	var out []QuickLine
	first := true
	for i, line := range raw {
		if strings.TrimSpace(line) == "" {
			continue
		}
		n := i + 1
		if len(line) > MaxQuickOrderLineLen {
			out = append(out, QuickLine{Line: n, Problem: ProblemLineTooLong, Message: fmt.Sprintf("line %d is longer than %d characters", n, MaxQuickOrderLineLen)})
		} else {
			cells := splitCells(line, sep)
			if first && isHeader(cells) {
				first = false
				continue
			}
			out = append(out, parseCells(n, cells))
		}
		first = false
		if len(out) > MaxQuickOrderLines {
			return nil, fmt.Errorf("%w: more than %d lines", ErrQuickOrderTooLarge, MaxQuickOrderLines)
		}
	}
	return out, nil
}

func isHeader(cells []string) bool {
	return len(cells) >= 1 && headerWords[strings.ToLower(cells[0])] || len(cells) >= 2 && headerWords[strings.ToLower(cells[1])]
}

// splitCells splits a line at sep outside double quotes, unquotes the cells
// ("" is a quote inside quotes) and trims their spaces.
func splitCells(line string, sep rune) []string {
	var cells []string
	var b strings.Builder
	quoted := false
	for i, r := range line {
		switch {
		case r == '"' && quoted && strings.HasPrefix(line[i+1:], `"`):
			b.WriteRune('"')
			quoted = false // the next quote reopens
		case r == '"':
			quoted = !quoted
		case r == sep && !quoted:
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteRune(r)
		}
	}
	cells = append(cells, strings.TrimSpace(b.String()))
	// Trailing empty cells, as spreadsheets export them, say nothing.
	for len(cells) > 1 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}

func parseCells(n int, cells []string) QuickLine {
	l := QuickLine{Line: n}
	fail := func(problem, format string, args ...any) QuickLine {
		l.Problem, l.Message = problem, fmt.Sprintf("line %d: ", n)+fmt.Sprintf(format, args...)
		return l
	}
	if len(cells) > 3 {
		return fail(ProblemTooManyFields, "expected a reference, a quantity and optionally a packaging, got %d cells", len(cells))
	}
	l.Ref = cells[0]
	if l.Ref == "" {
		return fail(ProblemMissingRef, "no reference")
	}
	if !catalog.ValidRef(l.Ref) {
		return fail(ProblemBadRef, "%q is not a product reference", l.Ref)
	}
	if len(cells) < 2 || cells[1] == "" {
		return fail(ProblemMissingQuantity, "no quantity for %s", l.Ref)
	}
	q, problem := parseQuantity(cells[1])
	if problem != "" {
		if problem == ProblemFraction {
			return fail(problem, "%q is not a whole number of packages", cells[1])
		}
		return fail(problem, "%q is not a quantity from 1 to %d", cells[1], pricing.MaxQuantity)
	}
	l.Quantity = q
	if len(cells) == 3 && cells[2] != "" {
		kind, ok := packagingWords[strings.ToLower(cells[2])]
		if !ok {
			return fail(ProblemBadPackaging, "%q is not a packaging (unit, lot or pallet)", cells[2])
		}
		l.Packaging = kind
	}
	return l
}

// parseQuantity reads a whole number of packages, with an optional decimal
// point or comma followed only by zeros.
func parseQuantity(s string) (int64, string) {
	whole, frac, decimals := strings.Cut(s, ",")
	if !decimals {
		whole, frac, decimals = strings.Cut(s, ".")
	}
	if whole == "" || len(whole) > 10 || strings.Trim(whole, "0123456789") != "" {
		return 0, ProblemBadQuantity
	}
	if decimals && (frac == "" || strings.Trim(frac, "0123456789") != "") {
		return 0, ProblemBadQuantity
	}
	if strings.Trim(frac, "0") != "" {
		return 0, ProblemFraction
	}
	q, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || q < 1 || q > pricing.MaxQuantity {
		return 0, ProblemBadQuantity
	}
	return q, ""
}

// Outcome is what a quick order line did to the cart.
type Outcome string

// Outcomes of a quick order line.
const (
	// Added: the line is in the cart at the quantity asked.
	Added Outcome = "added"
	// Adjusted: the line is in the cart at the nearest valid quantity.
	Adjusted Outcome = "adjusted"
	// Unknown: no product has that reference.
	Unknown Outcome = "unknown"
	// Hidden: the customer may not see the product.
	Hidden Outcome = "hidden"
	// NotOrderable: the product cannot be ordered in that packaging, at any
	// valid quantity near the one asked, or with its mandatory companions.
	NotOrderable Outcome = "not-orderable"
	// Invalid: the line could not be read (see its Problem).
	Invalid Outcome = "invalid"
)

// QuickResult is the outcome of one quick order line.
type QuickResult struct {
	Line    int     `json:"line"`
	Ref     string  `json:"ref,omitempty"`
	Outcome Outcome `json:"outcome"`
	// Quantity is the quantity put in the cart, in packages of Packaging.
	Quantity  int64                 `json:"quantity,omitempty"`
	Packaging catalog.PackagingKind `json:"packaging,omitempty"`
	// Message says why a line was adjusted or refused.
	Message string `json:"message,omitempty"`
	// Suggestions are the optional companions of an added product.
	Suggestions []Suggestion `json:"suggestions,omitempty"`
}

// Apply adds quick order lines to the cart, one by one, each with its
// outcome. A quantity that breaks the product's rules is adjusted to the
// smallest valid quantity above it (or the largest below it when none is
// above); each line adds to what the cart already holds.
func (c *Cart) Apply(lines []QuickLine) []QuickResult {
	out := make([]QuickResult, 0, len(lines))
	for _, l := range lines {
		out = append(out, c.applyOne(l))
	}
	return out
}

func (c *Cart) applyOne(l QuickLine) QuickResult {
	r := QuickResult{Line: l.Line, Ref: l.Ref}
	if !l.OK() {
		r.Outcome, r.Message = Invalid, l.Message
		return r
	}
	p, err := c.orderable(l.Ref)
	switch {
	case errors.Is(err, ErrUnknownProduct):
		r.Outcome, r.Message = Unknown, err.Error()
		return r
	case err != nil:
		r.Outcome, r.Message = Hidden, err.Error()
		return r
	}
	r.Packaging, r.Quantity, r.Outcome = l.Packaging, l.Quantity, Added
	if r.Packaging == "" {
		r.Packaging = DefaultPackaging(p)
	}
	if err := CheckQuantity(p, r.Packaging, l.Quantity); err != nil {
		var qe *QuantityError
		if !errors.As(err, &qe) || qe.Above == 0 && qe.Below == 0 {
			r.Outcome, r.Quantity, r.Message = NotOrderable, 0, err.Error()
			return r
		}
		r.Outcome, r.Message = Adjusted, err.Error()
		if r.Quantity = qe.Above; r.Quantity == 0 {
			r.Quantity = qe.Below
		}
	}
	change, err := c.Add(l.Ref, r.Packaging, r.Quantity)
	if err != nil {
		r.Outcome, r.Quantity, r.Message = NotOrderable, 0, err.Error()
		return r
	}
	r.Suggestions = change.Suggestions
	return r
}
