package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/catalog"
)

// fieldErrors gathers every invalid field of a request, so that one answer
// lists them all.
type fieldErrors struct {
	list []FieldError
	// decoding is set when a field could not be decoded at all.
	decoding bool
}

func (fe *fieldErrors) add(field, reason string) *fieldErrors {
	fe.list = append(fe.list, FieldError{Field: field, Reason: reason})
	return fe
}

// has reports whether field, or a part of it, is already known to be bad.
func (fe *fieldErrors) has(field string) bool {
	for _, e := range fe.list {
		if e.Field == field || strings.HasPrefix(e.Field, field+".") || strings.HasPrefix(e.Field, field+"[") {
			return true
		}
	}
	return false
}

// err is nil without errors, else a 400 problem listing them: invalid-body
// when a field could not be decoded, invalid-parameter otherwise.
func (fe *fieldErrors) err() error {
	if len(fe.list) == 0 {
		return nil
	}
	p := InvalidParameter("some fields are invalid; see errors")
	if fe.decoding {
		p = problem(http.StatusBadRequest, "invalid-body", "Invalid body", "some fields are not the expected JSON; see errors")
	}
	p.Errors = slices.Clone(fe.list)
	slices.SortStableFunc(p.Errors, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return p
}

// texts checks a map of one-line texts per language, such as names: each
// keyed by a known language code, plain text (catalog.PlainText) of at most
// maxLen characters.
func (fe *fieldErrors) texts(field string, texts map[string]string, maxLen int, required bool) {
	fe.languageTexts(field, texts, maxLen, required, catalog.PlainText)
}

// paragraphs is texts for texts that may span lines, such as descriptions.
func (fe *fieldErrors) paragraphs(field string, texts map[string]string, maxLen int, required bool) {
	fe.languageTexts(field, texts, maxLen, required, catalog.PlainParagraphs)
}

func (fe *fieldErrors) languageTexts(field string, texts map[string]string, maxLen int, required bool, plain func(string) bool) {
	if fe.has(field) {
		return
	}
	some := false
	for _, l := range sortedKeys(texts) {
		t := texts[l]
		switch {
		case !catalog.KnownLanguage(l):
			fe.add(field+"."+l, "not a known ISO 639 language code (2 or 3 lowercase letters, such as fr or nl)")
		case !plain(t):
			fe.add(field+"."+l, "must be plain text: no control characters or bidirectional marks")
		case utf8.RuneCountInString(t) > maxLen:
			fe.add(field+"."+l, fmt.Sprintf("at most %d characters", maxLen))
		}
		some = some || strings.TrimSpace(t) != ""
	}
	switch {
	case len(texts) > maxLanguages:
		fe.add(field, fmt.Sprintf("at most %d languages", maxLanguages))
	case required && !some:
		fe.add(field, "is required: a text in at least one language, such as {\"fr\": \"...\"}")
	}
}

// decodeFields reads a JSON object of at most 1 MiB and decodes each of its
// members into the target of the same name, recording an unknown member or
// a member of the wrong type as a field error rather than stopping at the
// first. A body that is not one JSON object is a problem of its own.
func decodeFields(r *http.Request, fe *fieldErrors, targets map[string]any) error {
	var raw map[string]json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return err
	}
	if raw == nil {
		return problem(http.StatusBadRequest, "invalid-body", "Invalid body", "the body must be a JSON object")
	}
	for _, name := range sortedKeys(raw) {
		target, ok := targets[name]
		if !ok {
			fe.decoding = true
			fe.add(name, "unknown field")
			continue
		}
		dec := json.NewDecoder(strings.NewReader(string(raw[name])))
		dec.DisallowUnknownFields()
		if err := dec.Decode(target); err != nil {
			fe.decoding = true
			field, reason := name, strings.TrimPrefix(err.Error(), "json: ")
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				if te.Field != "" {
					field += "." + te.Field
				}
				reason = "must be " + jsonKind(te.Type.Kind().String()) + ", not " + te.Value
			}
			fe.add(field, reason)
		}
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32":
		return "a whole number"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	}
	return "another type"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// createdOr is 200 when the resource existed, 201 when the request created
// it.
func createdOr(existed bool) int {
	if existed {
		return http.StatusOK
	}
	return http.StatusCreated
}

// lazyRegexp compiles a pattern on first use rather than in every API
// function's init: only the admin function matches these.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
