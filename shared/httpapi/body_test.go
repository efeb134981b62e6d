package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// bodySeeds are the bodies both fuzz targets start from: valid ones, and
// each way a body went wrong before.
var bodySeeds = []string{
	`{}`,
	`{"customer":"C0001","lines":[{"ref":"PC-050","quantity":2,"packaging":"pallet"}]}`,
	`{"names":{"fr":"Vannes"},"parentId":"VANNES","position":1}`,
	`{"names":{"fr":"a"}}}`,
	`{"names":{"fr":"a"}}]`,
	`{"names":{"fr":"a"}} {}`,
	`{"names":{"fr":"a"}}` + " \n\t\r",
	`null`,
	` null `,
	`[]`,
	`"x"`,
	`1e9999`,
	`{"names":`,
	`{"names":{"fr":"a"},"names":{"en":"b"}}`,
	`{"unknown":1}`,
	`{"position":9223372036854775808}`,
	`{"names":{"fr":"\u202egpj.exe"}}`,
	"{\"names\":{\"fr\":\"\xff\"}}",
	``,
}

// decodedBody is any JSON object, decoded without unknown-field errors.
type decodedBody map[string]any

// FuzzDecodeBody checks that decodeBody never panics, answers a problem of
// 400 or 413 when it refuses, and accepts a body only when it holds exactly
// one JSON object and nothing else but whitespace.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v decodedBody
		err := decodeBody(httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)), &v)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || (p.Status != 400 && p.Status != 413) {
				t.Fatalf("%q: not a 400 or 413 problem: %v", body, err)
			}
			return
		}
		if !oneObject(body) {
			t.Fatalf("accepted %q, which is not one JSON object", body)
		}
		if v == nil {
			t.Fatalf("accepted %q without decoding an object", body)
		}
	})
}

// FuzzDecodeFields checks decodeFields the same way, and that every member
// it neither decodes nor reports as a field error is impossible: an
// accepted body's members are the targets' names.
func FuzzDecodeFields(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var names map[string]string
		var parent string
		var position int
		fe := &fieldErrors{}
		err := decodeFields(httptest.NewRequest(http.MethodPut, "/", bytes.NewReader(body)), fe,
			map[string]any{"names": &names, "parentId": &parent, "position": &position})
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || (p.Status != 400 && p.Status != 413) {
				t.Fatalf("%q: not a 400 or 413 problem: %v", body, err)
			}
			return
		}
		if !oneObject(body) {
			t.Fatalf("accepted %q, which is not one JSON object", body)
		}
		var members map[string]json.RawMessage
		_ = json.Unmarshal(body, &members)
		for m := range members {
			if m != "names" && m != "parentId" && m != "position" && !fe.has(m) {
				t.Fatalf("%q: member %q neither decoded nor reported", body, m)
			}
		}
		if fe.err() != nil && !fe.decoding {
			t.Fatalf("%q: field errors without a decoding error: %+v", body, fe.list)
		}
	})
}

// oneObject is the reference: body is valid JSON whose only value is an
// object.
func oneObject(body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	return json.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{'
}

func TestDecodeBody_AnnouncedOversizeIsRefusedUnread(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	r.ContentLength = 10 << 20
	var v decodedBody
	var p *Problem
	if err := decodeBody(r, &v); !errors.As(err, &p) || p.Status != 413 || p.Type != ProblemBase+"payload-too-large" {
		t.Fatalf("err = %v", err)
	}
}
