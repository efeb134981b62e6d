package fx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// The ECB's namespaces in its reference rates files
// (https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml).
const (
	gesmesNS   = "http://www.gesmes.org/xml/2002-08-01"
	eurofxrefN = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
)

// Bounds of a reference rates file.
const (
	// MaxFileBytes is the largest file ParseECB reads: the 90-day file is
	// about 30 KiB; the full history (since 1999) is refused.
	MaxFileBytes = 1 << 20
	// MaxDays is the most days one file may hold: the 90-day file holds
	// about 64 working days.
	MaxDays = 100
)

// ErrFileTooLarge is returned by ParseECB for a file over MaxFileBytes.
var ErrFileTooLarge = fmt.Errorf("reference rates file over %d bytes", MaxFileBytes)

// ParseECB reads the ECB's euro foreign exchange reference rates file, the
// daily one (eurofxref-daily.xml) or one with several days
// (eurofxref-hist-90d.xml), in the ECB's own XML:
//
//	<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
//		<gesmes:subject>Reference rates</gesmes:subject>
//		<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
//		<Cube>
//			<Cube time='2025-06-13'>
//				<Cube currency='USD' rate='1.1512'/>
//				...
//
// It returns one Rates per day, most recent first, each with Source
// SourceECB. It is strict: the envelope and the cubes must be the ECB's
// (names and namespaces), every day and every currency appears once, a
// currency is an ISO 4217 code in use (the error names an unknown one), a
// rate is a plain decimal above zero, read as a decimal, never a float.
// It is bounded: at most MaxFileBytes (ErrFileTooLarge), MaxDays days and
// MaxCurrencies currencies a day. A file without any day is ErrNoRates.
func ParseECB(r io.Reader) ([]Rates, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the reference rates file: %w", err)
	}
	if len(b) > MaxFileBytes {
		return nil, ErrFileTooLarge
	}
	p := ecbParser{d: xml.NewDecoder(bytes.NewReader(b))}
	p.d.Strict = true
	days, err := p.envelope()
	if err != nil {
		return nil, err
	}
	if len(days) == 0 {
		return nil, fmt.Errorf("%w: the file holds no day", ErrNoRates)
	}
	slices.SortFunc(days, func(a, b Rates) int { return b.Date.Compare(a.Date) })
	return days, nil
}

// errEnded is a file that ends before its envelope closes.
var errEnded = errors.New("not an ECB reference rates file: it ends before its envelope closes")

// ecbParser walks the file's tokens.
type ecbParser struct {
	d *xml.Decoder
}

// next is the next element start or end, skipping text, comments and
// processing instructions; text other than white space is refused.
func (p *ecbParser) next() (xml.Token, error) {
	for {
		t, err := p.d.Token()
		if err == io.EOF {
			return nil, errEnded
		}
		if err != nil {
			return nil, fmt.Errorf("not an ECB reference rates file: %v", err)
		}
		switch t := t.(type) {
		case xml.StartElement, xml.EndElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, fmt.Errorf("not an ECB reference rates file: text %q where elements are expected", clip(string(bytes.TrimSpace(t))))
			}
		case xml.Directive:
			return nil, errors.New("not an ECB reference rates file: it has a document type declaration")
		}
	}
}

// envelope reads the whole document: the gesmes:Envelope holding one
// top-level Cube.
func (p *ecbParser) envelope() ([]Rates, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	root, ok := t.(xml.StartElement)
	if !ok || root.Name.Space != gesmesNS || root.Name.Local != "Envelope" {
		return nil, errors.New("not an ECB reference rates file: the root element is not the ECB's gesmes:Envelope")
	}
	var days []Rates
	cubes := 0
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			if cubes == 0 {
				return nil, fmt.Errorf("%w: the envelope holds no Cube", ErrNoRates)
			}
			if _, err := p.next(); err != errEnded {
				return nil, errors.New("not an ECB reference rates file: something follows the envelope")
			}
			return days, nil
		case xml.StartElement:
			if t.Name.Local != "Cube" {
				// gesmes:subject, gesmes:Sender: what the ECB says of itself.
				if err := p.d.Skip(); err != nil {
					return nil, fmt.Errorf("not an ECB reference rates file: %v", err)
				}
				continue
			}
			if t.Name.Space != eurofxrefN {
				return nil, errors.New("not an ECB reference rates file: its Cube is not in the ECB's eurofxref namespace")
			}
			if cubes++; cubes > 1 {
				return nil, errors.New("not an ECB reference rates file: more than one top-level Cube")
			}
			if days, err = p.days(); err != nil {
				return nil, err
			}
		}
	}
}

// days reads the top-level Cube: one Cube time='YYYY-MM-DD' per day.
func (p *ecbParser) days() ([]Rates, error) {
	var days []Rates
	seen := map[time.Time]bool{}
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		start, ok := t.(xml.StartElement)
		if !ok {
			return days, nil
		}
		if err := cube(start); err != nil {
			return nil, err
		}
		day, err := p.day(start)
		if err != nil {
			return nil, err
		}
		if seen[day.Date] {
			return nil, fmt.Errorf("day %s appears twice", day.Date.Format(time.DateOnly))
		}
		seen[day.Date] = true
		if days = append(days, day); len(days) > MaxDays {
			return nil, fmt.Errorf("more than %d days in one file: import the daily or the 90-day file", MaxDays)
		}
	}
}

// cube refuses an element that is not the ECB's Cube.
func cube(e xml.StartElement) error {
	if e.Name.Space != eurofxrefN || e.Name.Local != "Cube" {
		return fmt.Errorf("not an ECB reference rates file: unexpected element %q inside a Cube", clip(e.Name.Local))
	}
	return nil
}

// attrs returns the element's attributes by local name, refusing any other
// than those named and any repeated one.
func attrs(e xml.StartElement, names ...string) (map[string]string, error) {
	m := make(map[string]string, len(names))
	for _, a := range e.Attr {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		if !slices.Contains(names, a.Name.Local) || a.Name.Space != "" {
			return nil, fmt.Errorf("not an ECB reference rates file: unexpected attribute %q on a Cube", clip(a.Name.Local))
		}
		if _, dup := m[a.Name.Local]; dup {
			return nil, fmt.Errorf("not an ECB reference rates file: attribute %s twice on a Cube", a.Name.Local)
		}
		m[a.Name.Local] = a.Value
	}
	for _, n := range names {
		if _, ok := m[n]; !ok {
			return nil, fmt.Errorf("not an ECB reference rates file: a Cube without its %s attribute", n)
		}
	}
	return m, nil
}

// day reads one Cube time='YYYY-MM-DD' and its currencies.
func (p *ecbParser) day(start xml.StartElement) (Rates, error) {
	a, err := attrs(start, "time")
	if err != nil {
		return Rates{}, err
	}
	date, err := time.Parse(time.DateOnly, a["time"])
	if err != nil {
		return Rates{}, fmt.Errorf("day %q: a date written YYYY-MM-DD", clip(a["time"]))
	}
	day := Rates{Date: date, PerEUR: map[string]decimal.Decimal{}, Source: SourceECB}
	for {
		t, err := p.next()
		if err != nil {
			return Rates{}, err
		}
		start, ok := t.(xml.StartElement)
		if !ok {
			break
		}
		if err := cube(start); err != nil {
			return Rates{}, err
		}
		c, rate, err := p.rate(start)
		if err != nil {
			return Rates{}, fmt.Errorf("%s: %w", a["time"], err)
		}
		if _, dup := day.PerEUR[c]; dup {
			return Rates{}, fmt.Errorf("%s: %s appears twice", a["time"], c)
		}
		if day.PerEUR[c] = rate; len(day.PerEUR) > MaxCurrencies {
			return Rates{}, fmt.Errorf("%s: more than %d currencies", a["time"], MaxCurrencies)
		}
	}
	if len(day.PerEUR) == 0 {
		return Rates{}, fmt.Errorf("%s: a day without any rate", a["time"])
	}
	return day, nil
}

// rate reads one Cube currency='USD' rate='1.0823'/>.
func (p *ecbParser) rate(start xml.StartElement) (string, decimal.Decimal, error) {
	a, err := attrs(start, "currency", "rate")
	if err != nil {
		return "", decimal.Zero, err
	}
	t, err := p.next()
	if err != nil {
		return "", decimal.Zero, err
	}
	if _, ok := t.(xml.EndElement); !ok {
		return "", decimal.Zero, errors.New("not an ECB reference rates file: a currency's Cube holds an element")
	}
	c := a["currency"]
	if err := checkCurrency(c); err != nil {
		return "", decimal.Zero, err
	}
	d, err := ParseRate(c, a["rate"])
	return c, d, err
}
