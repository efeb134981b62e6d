package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/erpfile"
)

// The merchant's ERP settings in the back office (see Routes): per kind of
// file, the merchant's own column names over the Sage 100 or Comptoir
// profile, and whether a full file marks what it lacks as inactive.
// erp-ingest reads them for every file it streams.

// ERPSettingsView is the answer of GET and PUT /admin/erp/settings: the
// settings, and the fields each kind of file has (the keys a mapping may
// use), for the back office's form.
type ERPSettingsView struct {
	erp.Settings
	// Fields lists, per kind, the fields a mapping may name; kinds that
	// take names per language also take "name.<language>".
	Fields map[erp.Kind][]string `json:"fields"`
	// Deactivatable lists the kinds whose full files may mark what they
	// lack as inactive.
	Deactivatable []erp.Kind `json:"deactivatable"`
}

// ERPSettingsInput is the body of PUT /admin/erp/settings: the settings of
// every kind (a kind left out has none: profile names, no deactivation)
// and, optionally, the version the client read.
type ERPSettingsInput struct {
	Kinds   map[erp.Kind]erp.KindSettings `json:"kinds"`
	Version *int64                        `json:"version,omitempty"`
}

// erpFields is erp.FieldsOf over the files erpfile reads.
func erpFields(k erp.Kind) ([]string, bool) {
	fields, names, _ := erpfile.Fields(k)
	return fields, names
}

func (a *AdminAPI) erpSettingsView(s erp.Settings) ERPSettingsView {
	v := ERPSettingsView{Settings: s, Fields: map[erp.Kind][]string{}, Deactivatable: erp.DeactivatableKinds}
	if v.Kinds == nil {
		v.Kinds = map[erp.Kind]erp.KindSettings{}
	}
	for _, k := range erp.Kinds {
		if fields, _, ok := erpfile.Fields(k); ok {
			v.Fields[k] = fields
		}
	}
	return v
}

// erpSettings answers the merchant's ERP settings (version 0 and no kinds
// when none were saved).
func (a *AdminAPI) erpSettings(w http.ResponseWriter, r *Request) error {
	if a.ERPSettings == nil {
		return errors.New("ERP settings: no store configured")
	}
	s, err := a.ERPSettings.Settings(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a.erpSettingsView(s))
}

// InvalidERPSettings: settings that name an unknown kind or field, an
// empty, over-long or duplicate column, or a deactivation a kind cannot
// have; errors lists each.
func InvalidERPSettings(errs []erp.SettingsError) *Problem {
	p := problem(http.StatusUnprocessableEntity, "invalid-erp-settings", "Invalid ERP settings", "some settings are wrong; see errors")
	for _, e := range errs {
		p.Errors = append(p.Errors, FieldError{Field: e.Field, Reason: e.Reason})
	}
	return p
}

// errERPSettingsVersion is a PUT whose version is not the stored one.
type errERPSettingsVersion struct{ stored int64 }

func (e errERPSettingsVersion) Error() string {
	return fmt.Sprintf("the settings are at version %d: read them again", e.stored)
}

// putERPSettings replaces the merchant's ERP settings: 200 with them, 422
// invalid-erp-settings naming every wrong field, 409 when the body's
// version is not the stored one.
func (a *AdminAPI) putERPSettings(w http.ResponseWriter, r *Request) error {
	var in ERPSettingsInput
	fe := &fieldErrors{}
	if err := decodeFields(r.Request, fe, map[string]any{"kinds": &in.Kinds, "version": &in.Version}); err != nil {
		return err
	}
	if err := fe.err(); err != nil {
		return err
	}
	kinds := map[erp.Kind]erp.KindSettings{}
	for k, ks := range in.Kinds {
		if len(ks.Mapping) == 0 && !ks.DeactivateMissing && slices.Contains(erp.Kinds, k) {
			continue // nothing set: the profile's names, no deactivation
		}
		if len(ks.Mapping) == 0 {
			ks.Mapping = nil
		}
		kinds[k] = ks
	}
	next := erp.Settings{Kinds: kinds}
	var invalid *erp.InvalidSettingsError
	if err := next.Check(erpFields); errors.As(err, &invalid) {
		return InvalidERPSettings(invalid.Errors)
	} else if err != nil {
		return err
	}
	if a.ERPSettings == nil {
		return errors.New("ERP settings: no store configured")
	}
	now := a.now()
	saved, err := a.ERPSettings.UpdateSettings(r.Context(), r.Merchant(), func(s *erp.Settings) error {
		if in.Version != nil && *in.Version != s.Version {
			return errERPSettingsVersion{stored: s.Version}
		}
		s.Kinds, s.UpdatedAt, s.UpdatedBy = kinds, now, staffName(r)
		return nil
	})
	var stale errERPSettingsVersion
	switch {
	case errors.As(err, &stale):
		return Conflict(stale.Error())
	case errors.Is(err, erp.ErrSettingsConflict):
		return Conflict(err.Error())
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a.erpSettingsView(saved))
}
