// Package erpfile reads the files a merchant's ERP drops into its inbox:
// CSV (UTF-8 with or without a byte order mark, or Windows-1252; ";" or ","
// separators; decimal comma or point) and JSON Lines. It tells a file's kind
// and profile from its name (Route), and streams its rows as erp.Record
// values, valid in the domain's own rules, and its bad rows as
// *erp.RowError with their line, column and reason (Reader).
//
// Two profiles are built in: Sage100, the column names of Sage 100's
// exports (F_ARTICLE, F_COMPTET, F_ARTCLIENT...), and Comptoir, the
// project's own documented format (docs/erp-files.md). A merchant's own
// column names (Mapping) apply over either.
package erpfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/comptoir/comptoir/shared/erp"
)

// Profile is a built-in set of column names for every kind of file.
type Profile string

// The built-in profiles.
const (
	// Sage100 reads the tables Sage 100 exports, with their field names.
	Sage100 Profile = "sage100"
	// Comptoir reads the project's own documented format.
	Comptoir Profile = "comptoir"
)

// Format of a file; the zero value of a field means "detect it".
type Format struct {
	// Encoding is "utf-8" or "windows-1252".
	Encoding string `json:"encoding,omitempty"`
	// Separator is the CSV field separator: ';' or ','.
	Separator rune `json:"separator,omitempty"`
	// DecimalComma says that decimals are written "12,50".
	DecimalComma bool `json:"decimalComma,omitempty"`
	// JSONLines says that the file holds one JSON object per line.
	JSONLines bool `json:"jsonLines,omitempty"`
}

// Mapping is a merchant's own column names: field (the Comptoir column
// name) -> column header in its files.
type Mapping map[string]string

// Source describes a file to read.
type Source struct {
	// Name is the file name (after inbox/), for Route and for the format
	// (".jsonl").
	Name string
	// Kind of the file; "" means Route(Name).
	Kind erp.Kind
	// Profile of the file; "" means Route(Name).
	Profile Profile
	// Format declared; its zero fields are detected.
	Format Format
	// Mapping is optional, applied over the profile.
	Mapping Mapping
	// Stamp is the file's timestamp: the stamp of rows without their own.
	Stamp time.Time
}

// Errors of NewReader.
var (
	// ErrBadHeader says that a file's header lacks a required column (the
	// wrapping error names them), holds a column twice, or that the file
	// has no header at all.
	ErrBadHeader = errors.New("erpfile: bad header")
	// ErrUnknownFile says that a file's name tells neither its kind nor
	// its profile (see Route), and the source does not declare them.
	ErrUnknownFile = errors.New("erpfile: unknown kind of file")
)

// Bounds of what the reader holds in memory.
const (
	// sniffBytes is how much of a file the reader buffers to detect its
	// format.
	sniffBytes = 64 << 10
	// maxRowBytes is the largest row: beyond it the file is unreadable (an
	// unclosed quote would otherwise read the rest of the file as one
	// field).
	maxRowBytes = 4 << 20
)

// Encodings of a CSV file.
const (
	UTF8        = "utf-8"
	Windows1252 = "windows-1252"
)

// route is one known file name.
type route struct {
	prefix  string
	kind    erp.Kind
	profile Profile
}

// routes are the file names Route knows, longest first within a profile.
var routes = func() []route {
	out := []route{
		{"f_famille", erp.KindCategories, Sage100}, {"f_article", erp.KindProducts, Sage100},
		{"f_comptet", erp.KindCustomers, Sage100}, {"f_collaborateur", erp.KindReps, Sage100},
		{"p_cattarif", erp.KindPriceCategories, Sage100}, {"f_artclient", erp.KindPrices, Sage100},
		{"f_tarifqte", erp.KindQuantityBreaks, Sage100}, {"f_famclient", erp.KindFamilyDiscounts, Sage100},
		{"f_depot", erp.KindWarehouses, Sage100}, {"f_artstock", erp.KindStock, Sage100},
		{"f_devise", erp.KindExchangeRates, Sage100}, {"f_docligne", erp.KindAcknowledgements, Sage100},
	}
	for _, k := range erp.Kinds {
		out = append(out, route{string(k), k, Comptoir})
	}
	slices.SortStableFunc(out, func(a, b route) int { return len(b.prefix) - len(a.prefix) })
	return out
}()

// extensions are the file extensions Route accepts.
var extensions = []string{".csv", ".txt", ".jsonl", ".ndjson"}

// Route tells a file's kind and profile from its name: Sage table names
// (F_ARTICLE*, F_COMPTET*, F_ARTCLIENT*, F_TARIFQTE*, F_FAMCLIENT*,
// F_DEPOT*, F_ARTSTOCK*, F_FAMILLE*, F_COLLABORATEUR*, P_CATTARIF*,
// F_DEVISE* for exchange rates, F_DOCLIGNE* for the ERP's acknowledgements
// of orders) give Sage100; Comptoir kind names
// ("products*.csv", "products*.jsonl", ...) give Comptoir. The table or
// kind name starts the file name and is followed by its end or by a
// character that is not a letter ("F_ARTICLE_20261202.csv",
// "products-full.jsonl"); the extension is .csv, .txt, .jsonl or .ndjson.
// The match is case-insensitive. full says that the name holds the word
// "full" or "complet" (a full export of its kind); a delta otherwise.
// ok=false: the name is unknown.
func Route(name string) (kind erp.Kind, p Profile, full bool, ok bool) {
	base := strings.ToLower(path.Base(name))
	ext := path.Ext(base)
	if !slices.Contains(extensions, ext) {
		return "", "", false, false
	}
	stem := strings.TrimSuffix(base, ext)
	for _, r := range routes {
		if !strings.HasPrefix(stem, r.prefix) {
			continue
		}
		rest := stem[len(r.prefix):]
		if rest != "" && rest[0] >= 'a' && rest[0] <= 'z' {
			continue
		}
		for _, word := range strings.FieldsFunc(rest, func(c rune) bool { return !(c >= 'a' && c <= 'z') }) {
			if word == "full" || word == "complet" {
				full = true
			}
		}
		return r.kind, r.profile, full, true
	}
	return "", "", false, false
}

// Reader streams the rows of one file: it holds the file's header and a
// bounded buffer, never the whole file.
type Reader struct {
	kind    erp.Kind
	profile Profile
	format  Format
	spec    *spec
	src     Source

	// CSV
	csv    *csv.Reader
	limit  *rowLimit
	layout layout

	// JSON Lines
	lines *bufio.Reader
	line  int
}

// NewReader reads the header of a file (detecting the byte order mark,
// encoding, separator and decimal mark on the first 64 KiB it buffers). It
// returns an error wrapping ErrBadHeader, naming the missing columns, when
// a required column is absent; ErrUnknownFile when the kind or profile is
// neither declared nor told by the name.
func NewReader(r io.Reader, src Source) (*Reader, error) {
	kind, profile := src.Kind, src.Profile
	if kind == "" || profile == "" {
		k, p, _, ok := Route(src.Name)
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownFile, src.Name)
		}
		if kind == "" {
			kind = k
		}
		if profile == "" {
			profile = p
		}
	}
	sp, ok := specs[kind]
	if !ok {
		return nil, fmt.Errorf("%w: no kind %q", ErrUnknownFile, kind)
	}
	if profile != Sage100 && profile != Comptoir {
		return nil, fmt.Errorf("%w: no profile %q", ErrUnknownFile, profile)
	}
	rd := &Reader{kind: kind, profile: profile, spec: sp, src: src, format: src.Format}

	br := bufio.NewReaderSize(r, sniffBytes)
	sample, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("erpfile: reading %q: %w", src.Name, err)
	}
	bom := bytes.HasPrefix(sample, []byte("\xef\xbb\xbf"))
	if bom {
		sample = sample[3:]
		if _, err := br.Discard(3); err != nil {
			return nil, err
		}
	}
	switch strings.ToLower(rd.format.Encoding) {
	case "":
		rd.format.Encoding = Windows1252
		if bom || validUTF8Prefix(sample) {
			rd.format.Encoding = UTF8
		}
	case "utf-8", "utf8":
		rd.format.Encoding = UTF8
	case "windows-1252", "cp1252", "ansi":
		rd.format.Encoding = Windows1252
	default:
		return nil, fmt.Errorf("erpfile: unknown encoding %q: utf-8 or windows-1252", rd.format.Encoding)
	}
	var text io.Reader = br
	if rd.format.Encoding == Windows1252 {
		text = charmap.Windows1252.NewDecoder().Reader(br)
	}
	ext := strings.ToLower(path.Ext(src.Name))
	if ext == ".jsonl" || ext == ".ndjson" || firstByte(sample) == '{' {
		rd.format.JSONLines = true
	}
	if rd.format.JSONLines {
		rd.format.Separator, rd.format.DecimalComma = 0, false
		rd.lines = bufio.NewReaderSize(text, 64<<10)
		return rd, nil
	}
	if rd.format.Separator == 0 {
		rd.format.Separator = detectSeparator(sample)
	}
	if !rd.format.DecimalComma {
		rd.format.DecimalComma = detectDecimalComma(sample, rd.format.Separator)
	}
	rd.limit = &rowLimit{r: text}
	rd.csv = csv.NewReader(rd.limit)
	rd.csv.Comma = rd.format.Separator
	rd.csv.FieldsPerRecord = -1
	rd.csv.ReuseRecord = true
	for {
		rd.limit.n = 0
		header, err := rd.csv.Read()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: the file is empty", ErrBadHeader)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
		}
		if blank(header) {
			continue
		}
		if rd.format.Encoding == UTF8 && !validFields(header) {
			return nil, fmt.Errorf("%w: the header is not valid UTF-8 (declare the file windows-1252)", ErrBadHeader)
		}
		l, missing, dup := resolve(sp, profile, src.Mapping, header)
		switch {
		case len(missing) > 0:
			return nil, fmt.Errorf("%w: missing column(s) %s for a %s file of profile %s", ErrBadHeader, strings.Join(missing, ", "), kind, profile)
		case dup != "":
			return nil, fmt.Errorf("%w: column %s appears twice", ErrBadHeader, dup)
		}
		rd.layout = l
		return rd, nil
	}
}

// Next returns the next valid record. A bad row returns (zero, rowErr,
// nil) and reading goes on; err is io.EOF at the end, or another error
// when the stream cannot be read.
func (r *Reader) Next() (erp.Record, *erp.RowError, error) {
	if r.lines != nil {
		return r.nextLine()
	}
	for {
		r.limit.n = 0
		fields, err := r.csv.Read()
		if err == io.EOF {
			return erp.Record{}, nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return erp.Record{}, &erp.RowError{Line: pe.StartLine,
				Reason: fmt.Sprintf("unreadable CSV at line %d, character %d: %v", pe.Line, pe.Column, pe.Err)}, nil
		}
		if err != nil {
			return erp.Record{}, nil, fmt.Errorf("erpfile: reading %q: %w", r.src.Name, err)
		}
		if blank(fields) {
			continue
		}
		line, _ := r.csv.FieldPos(0)
		if len(fields) > r.layout.width && !blank(fields[r.layout.width:]) {
			return erp.Record{}, &erp.RowError{Line: line,
				Reason: fmt.Sprintf("has %d fields, the header has %d", len(fields), r.layout.width)}, nil
		}
		if r.format.Encoding == UTF8 && !validFields(fields) {
			return erp.Record{}, &erp.RowError{Line: line,
				Reason: "is not valid UTF-8 (a Windows-1252 file must be declared as such when its start is valid UTF-8)"}, nil
		}
		return r.record(&row{line: line, vals: fields, l: &r.layout, comma: r.format.DecimalComma})
	}
}

// record decodes one row.
func (r *Reader) record(rw *row) (erp.Record, *erp.RowError, error) {
	stamp := rw.when(fieldStamp)
	rec := r.spec.build(rw)
	if stamp.IsZero() {
		stamp = r.src.Stamp
	}
	if rec.Rate != nil && rec.Rate.Date.IsZero() && rw.err == nil {
		// A rates file without dates (Sage F_DEVISE) gives the rates of
		// the day of its stamp, in the merchant's time zone.
		if stamp.IsZero() {
			rw.fail("date", "is required: the file has no stamp to date the rate")
		} else {
			y, m, d := stamp.In(paris).Date()
			rec.Rate.Date = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			rec.Key = rec.Rate.Date.Format("2006-01-02") + "|" + rec.Rate.Currency
		}
	}
	if rw.err != nil {
		return erp.Record{}, rw.err, nil
	}
	rec.Line, rec.Stamp = rw.line, stamp
	return rec, nil, nil
}

// nextLine reads the next object of a JSON Lines file.
func (r *Reader) nextLine() (erp.Record, *erp.RowError, error) {
	for {
		line, tooLong, err := r.readLine()
		if err == io.EOF && line == nil {
			return erp.Record{}, nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return erp.Record{}, nil, fmt.Errorf("erpfile: reading %q: %w", r.src.Name, err)
		}
		r.line++
		if tooLong {
			return erp.Record{}, &erp.RowError{Line: r.line, Reason: fmt.Sprintf("is longer than %d bytes", maxRowBytes)}, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			return erp.Record{}, &erp.RowError{Line: r.line, Reason: "is not valid UTF-8"}, nil
		}
		headers, vals, reason := flatten(line)
		if reason != "" {
			return erp.Record{}, &erp.RowError{Line: r.line, Reason: reason, Value: cut(string(line))}, nil
		}
		l, missing, _ := resolve(r.spec, r.profile, r.src.Mapping, headers)
		if len(missing) > 0 {
			return erp.Record{}, &erp.RowError{Line: r.line, Column: missing[0], Reason: "is required"}, nil
		}
		return r.record(&row{line: r.line, vals: vals, l: &l})
	}
}

// readLine reads one line of at most maxRowBytes; a longer one is skipped
// whole and reported.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		part, err := r.lines.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(part) > maxRowBytes {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, part...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(buf) == 0 && !tooLong:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, err
		}
		if buf == nil {
			buf = []byte{}
		}
		return buf, tooLong, nil
	}
}

// flatten reads one JSON object into columns: nested objects give
// "key.sub" columns ({"name": {"fr": "Pompe"}} is the column name.fr),
// arrays of values give one column of items separated by '|'.
func flatten(line []byte) (headers, vals []string, reason string) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, nil, "is not a JSON object"
	}
	if dec.More() {
		return nil, nil, "holds more than one JSON value"
	}
	var walk func(prefix string, v any, depth int) string
	walk = func(prefix string, v any, depth int) string {
		if depth > 3 {
			return "nests objects too deep"
		}
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				if reason := walk(name, x[k], depth+1); reason != "" {
					return reason
				}
			}
			return ""
		case []any:
			items := make([]string, 0, len(x))
			for _, it := range x {
				s, ok := scalar(it)
				if !ok || strings.ContainsRune(s, '|') {
					return fmt.Sprintf("%s: a list holds plain values without '|'", prefix)
				}
				items = append(items, s)
			}
			headers, vals = append(headers, prefix), append(vals, strings.Join(items, "|"))
			return ""
		}
		s, ok := scalar(v)
		if !ok {
			return prefix + ": not a value"
		}
		headers, vals = append(headers, prefix), append(vals, s)
		return ""
	}
	return headers, vals, walk("", obj, 0)
}

// scalar is a JSON string, number, boolean or null as a column's text.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case nil:
		return "", true
	}
	return "", false
}

// Kind is the kind of the file's rows.
func (r *Reader) Kind() erp.Kind { return r.kind }

// Profile is the file's profile, as declared or routed.
func (r *Reader) Profile() Profile { return r.profile }

// Format is the file's format, as declared or detected.
func (r *Reader) Format() Format { return r.format }

// rowLimit fails a read when one row grows beyond maxRowBytes: the reader
// resets n before each row.
type rowLimit struct {
	r io.Reader
	n int
}

// ErrRowTooLong is what Next's error wraps when a CSV row grows beyond 4
// MiB (an unclosed quote makes the rest of the file one field): the file
// cannot be read on, and reading it again will not help. It wraps
// erp.ErrUnreadable.
var ErrRowTooLong = fmt.Errorf("%w: a row longer than %d bytes (an unclosed quote?)", erp.ErrUnreadable, maxRowBytes)

func (l *rowLimit) Read(p []byte) (int, error) {
	if l.n > maxRowBytes {
		return 0, ErrRowTooLong
	}
	n, err := l.r.Read(p)
	l.n += n
	return n, err
}

// blank says whether a row holds nothing but empty or space-only fields
// (a blank line, or only separators).
func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func validFields(fields []string) bool {
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return false
		}
	}
	return true
}

// validUTF8Prefix says whether b is valid UTF-8, but for a character cut
// at its end (the sample ends where the buffer does).
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		if len(b) < sniffBytes-utf8.UTFMax {
			// The whole file is in the sample: no cut character.
			return false
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// firstByte is the first byte of b that is not a space.
func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// firstLine is the first line of b that is not blank.
func firstLine(b []byte) []byte {
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte("\n"))
		if len(bytes.TrimSpace(line)) > 0 {
			return line
		}
		b = rest
	}
	return nil
}

// detectSeparator picks the separator the header line uses most, of ';',
// ',' and tab (outside quotes); ';' when none.
func detectSeparator(sample []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(firstLine(sample)) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ';' || c == ',' || c == '\t'):
			counts[c]++
		}
	}
	best := ';'
	for _, c := range []rune{',', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// detectDecimalComma tells whether the decimals of the sample's rows are
// written with a comma ("12,50"): with ',' as the separator they cannot
// be; otherwise the mark seen most in cells that are a decimal number
// wins, the comma on a tie (French files).
func detectDecimalComma(sample []byte, sep rune) bool {
	if sep == ',' {
		return false
	}
	comma, point := 0, 0
	_, rows, _ := bytes.Cut(sample, []byte("\n"))
	for _, line := range strings.Split(string(rows), "\n") {
		for _, cell := range strings.Split(line, string(sep)) {
			switch decimalMark(strings.TrimSpace(strings.Trim(strings.TrimSpace(cell), "\""))) {
			case ',':
				comma++
			case '.':
				point++
			}
		}
	}
	return comma >= point
}

// decimalMark is ',' or '.' when s is a number with that mark
// ("-12,50"), 0 otherwise.
func decimalMark(s string) byte {
	s = strings.TrimPrefix(s, "-")
	var mark byte
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case (c == ',' || c == '.') && mark == 0 && digits > 0 && i < len(s)-1:
			mark = c
		default:
			return 0
		}
	}
	return mark
}
