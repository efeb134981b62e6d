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
	"errors"
	"io"
	"time"

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

// ErrBadHeader says that a file's header lacks a required column (the
// wrapping error names them), or that the file has no header at all.
var ErrBadHeader = errors.New("erpfile: bad header")

// Route tells a file's kind and profile from its name: Sage table names
// (F_ARTICLE*, F_COMPTET*, ...) give Sage100, Comptoir kind names
// ("products*.csv", "products*.jsonl", ...) give Comptoir. The match is
// case-insensitive. full says that the name says "full" (a full export of
// its kind); a delta otherwise. ok=false: the name is unknown.
func Route(name string) (kind erp.Kind, p Profile, full bool, ok bool) {
	return "", "", false, false
}

// Reader streams the rows of one file.
type Reader struct {
	kind   erp.Kind
	format Format
}

// NewReader reads the header of a file (detecting the byte order mark,
// encoding, separator and decimal mark on the first 64 KiB it buffers). It
// returns an error wrapping ErrBadHeader, naming the missing columns, when
// a required column is absent.
func NewReader(r io.Reader, src Source) (*Reader, error) {
	return nil, ErrBadHeader
}

// Next returns the next valid record. A bad row returns (zero, rowErr,
// nil) and reading goes on; err is io.EOF at the end, or another error
// when the stream cannot be read.
func (r *Reader) Next() (erp.Record, *erp.RowError, error) {
	return erp.Record{}, nil, io.EOF
}

// Kind is the kind of the file's rows.
func (r *Reader) Kind() erp.Kind { return r.kind }

// Format is the file's format, as declared or detected.
func (r *Reader) Format() Format { return r.format }
