package erp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Settings are a merchant's ERP settings ("paramètres ERP"), per kind of
// file: the merchant's own column names over the built-in profile, and
// whether a full file of the kind marks what it lacks as inactive.
// erp-ingest reads them once per file.
type Settings struct {
	// Kinds holds the settings of each kind that has some; a kind absent
	// reads the profile's column names and never deactivates.
	Kinds map[Kind]KindSettings `json:"kinds"`
	// Version counts the saves: each save is conditioned on the version
	// read, and a client may send the version it read (409 otherwise).
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	UpdatedBy string    `json:"updatedBy,omitempty"`
}

// KindSettings are the settings of one kind of file.
type KindSettings struct {
	// Mapping maps a field (the Comptoir column name of docs/erp-files.md,
	// such as "ref" or "name.fr") to the header of the column that holds
	// it in the merchant's files. It applies over the file's profile:
	// a field left out keeps the profile's name.
	Mapping map[string]string `json:"mapping,omitempty"`
	// DeactivateMissing says that a full file of the kind (its name says
	// "full" or "complet") marks the items it lacks as inactive: products
	// "en sommeil", customers dormant. Off by default; a delta file only
	// upserts.
	DeactivateMissing bool `json:"deactivateMissing,omitempty"`
}

// Mapping returns the column mapping of kind k (nil when none).
func (s Settings) Mapping(k Kind) map[string]string { return s.Kinds[k].Mapping }

// Deactivates says whether a full file of kind k marks what it lacks as
// inactive.
func (s Settings) Deactivates(k Kind) bool {
	return s.Kinds[k].DeactivateMissing && DeactivatableKind(k)
}

// DeactivatableKinds are the kinds whose full files can mark what they
// lack as inactive: their items have an inactive state that keeps them
// (products "en sommeil", AR_Sommeil; dormant customers, CT_Sommeil).
var DeactivatableKinds = []Kind{KindProducts, KindCustomers}

// DeactivatableKind reports whether k is one of DeactivatableKinds.
func DeactivatableKind(k Kind) bool { return slices.Contains(DeactivatableKinds, k) }

// Bounds of a mapping.
const (
	// MaxColumnBytes is the longest column header a mapping may name.
	MaxColumnBytes = 80
	// MaxMappedFields is the most fields one kind's mapping may name.
	MaxMappedFields = 64
)

// FieldsOf tells the fields of a kind of file (erpfile.Fields): their
// Comptoir column names, and whether the kind takes names per language
// ("name.<language>" fields beyond those listed).
type FieldsOf func(k Kind) (fields []string, namesPerLanguage bool)

// SettingsError is one wrong part of a merchant's settings: Field is its
// path ("kinds.products.mapping.ref").
type SettingsError struct {
	Field  string
	Reason string
}

// ErrInvalidSettings is what InvalidSettingsError wraps.
var ErrInvalidSettings = errors.New("invalid ERP settings")

// InvalidSettingsError lists every wrong part of settings.
type InvalidSettingsError struct{ Errors []SettingsError }

func (e *InvalidSettingsError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Field + ": " + f.Reason
	}
	return ErrInvalidSettings.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalidSettings) hold.
func (e *InvalidSettingsError) Unwrap() error { return ErrInvalidSettings }

// Check returns every wrong part of s, in a stable order: an unknown kind,
// a field its files do not have, a column header empty, over
// MaxColumnBytes or not printable, a header mapped to two fields (headers
// are matched ignoring case and surrounding spaces, as files are read),
// more than MaxMappedFields fields, and DeactivateMissing on a kind whose
// items cannot be inactive. nil when s is valid.
func (s Settings) Check(fieldsOf FieldsOf) error {
	var errs []SettingsError
	add := func(field, reason string) { errs = append(errs, SettingsError{Field: field, Reason: reason}) }
	kinds := make([]string, 0, len(s.Kinds))
	for k := range s.Kinds {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	for _, name := range kinds {
		k := Kind(name)
		ks := s.Kinds[k]
		base := "kinds." + Truncate(name, 40)
		if !slices.Contains(Kinds, k) {
			add(base, "unknown kind of file: one of "+kindList(Kinds))
			continue
		}
		if ks.DeactivateMissing && !DeactivatableKind(k) {
			add(base+".deactivateMissing", "full files of "+name+" cannot mark what they lack as inactive: only those of "+kindList(DeactivatableKinds))
		}
		if len(ks.Mapping) > MaxMappedFields {
			add(base+".mapping", fmt.Sprintf("at most %d fields", MaxMappedFields))
			continue
		}
		fields, names := fieldsOf(k)
		mapped := make([]string, 0, len(ks.Mapping))
		for f := range ks.Mapping {
			mapped = append(mapped, f)
		}
		slices.Sort(mapped)
		byHeader := map[string]string{}
		for _, f := range mapped {
			field := base + ".mapping." + Truncate(f, 60)
			if !slices.Contains(fields, f) && !(names && isNameField(f)) {
				reason := "unknown field for a " + name + " file: one of " + strings.Join(fields, ", ")
				if names {
					reason += ", or name.<language> (an ISO 639 code such as name.nl)"
				}
				add(field, reason)
				continue
			}
			h := ks.Mapping[f]
			trimmed := strings.TrimSpace(h)
			switch {
			case trimmed == "":
				add(field, "the column's header must not be empty")
				continue
			case len(h) > MaxColumnBytes:
				add(field, fmt.Sprintf("the column's header is %d bytes, at most %d", len(h), MaxColumnBytes))
				continue
			case !utf8.ValidString(h) || strings.ContainsFunc(h, isControl):
				add(field, "the column's header must be printable text")
				continue
			}
			folded := strings.ToLower(trimmed)
			if other, ok := byHeader[folded]; ok {
				add(field, fmt.Sprintf("column %q is already the column of field %s", Truncate(trimmed, 80), other))
				continue
			}
			byHeader[folded] = f
		}
	}
	if len(errs) > 0 {
		return &InvalidSettingsError{Errors: errs}
	}
	return nil
}

// isNameField reports a "name.<language>" field: a language of 2 or 3
// lowercase letters.
func isNameField(f string) bool {
	lang, ok := strings.CutPrefix(f, "name.")
	if !ok || len(lang) < 2 || len(lang) > 3 {
		return false
	}
	for _, c := range lang {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func kindList(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// SettingsStore keeps the merchants' ERP settings (dynamo.ERPSettings).
type SettingsStore interface {
	// Settings returns the merchant's settings; the zero Settings (version
	// 0) when none were saved.
	Settings(ctx context.Context, m merchant.ID) (Settings, error)
	// UpdateSettings reads the settings (strongly consistent), lets
	// update change them (update checks them: Settings.Check) and saves
	// them over the version read, read and updated again when another
	// save got in between. An error of update is returned as it is,
	// nothing saved.
	UpdateSettings(ctx context.Context, m merchant.ID, update func(*Settings) error) (Settings, error)
}

// ErrSettingsConflict is returned when saves of one merchant's settings
// kept racing with others: send the save again.
var ErrSettingsConflict = errors.New("the ERP settings keep changing: try again")

// SettingsReader reads a merchant's ERP settings: erp-ingest reads them
// once per file it streams.
type SettingsReader interface {
	Settings(ctx context.Context, m merchant.ID) (Settings, error)
}
