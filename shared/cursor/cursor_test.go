package cursor

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// testKey is a fixed key, so that a failing case can be replayed.
var testKey = bytes.Repeat([]byte{7}, KeySize)

func sealer(t testing.TB, key []byte) *Sealer {
	t.Helper()
	s, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealer_OpensOnlyWhereTheCursorWasIssued(t *testing.T) {
	s := sealer(t, testKey)
	here := Binding("hydro", "hydro-fr", "category", "VANNES-BILLE", "buyer", "achat@plomberie.fr", "C0001")
	c, err := s.Seal([]byte("\x00VANNES-BILLE-107"), here)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Open(c, here)
	if err != nil || string(got) != "\x00VANNES-BILLE-107" {
		t.Fatalf("open = %q, %v", got, err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	cases := map[string]struct {
		cursor  string
		binding []byte
		sealer  *Sealer
	}{
		"another storefront":    {c, Binding("hydro", "hydro-be", "category", "VANNES-BILLE", "buyer", "achat@plomberie.fr", "C0001"), s},
		"another caller":        {c, Binding("hydro", "hydro-fr", "category", "VANNES-BILLE", "anonymous", "", ""), s},
		"another query":         {c, Binding("hydro", "hydro-fr", "category", "VANNES-PAPILLON", "buyer", "achat@plomberie.fr", "C0001"), s},
		"parts shifted":         {c, Binding("hydro", "hydro-fr", "category", "VANNES-BILLEbuyer", "", "achat@plomberie.fr", "C0001"), s},
		"an edited nonce byte":  {flip(0), here, s},
		"an edited sealed byte": {flip(20), here, s},
		"an edited tag byte":    {flip(len(raw) - 1), here, s},
		"truncated":             {c[:len(c)-1], here, s},
		"extended":              {c + "A", here, s},
		"padded base64":         {c + "==", here, s},
		"standard alphabet":     {strings.NewReplacer("-", "+", "_", "/").Replace(c) + "+", here, s},
		"another key":           {c, here, sealer(t, bytes.Repeat([]byte{8}, KeySize))},
		"empty":                 {"", here, s},
		"not base64":            {"%%%%", here, s},
		"plain json":            {base64.RawURLEncoding.EncodeToString([]byte(`{"s":"1","a":"VANNES-BILLE-107"}`)), here, s},
		"too long":              {strings.Repeat("A", MaxLen+1), here, s},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got, err := c.sealer.Open(c.cursor, c.binding); !errors.Is(err, ErrInvalid) {
				t.Errorf("opened: %q, %v", got, err)
			}
		})
	}
}

func TestSealer_CursorsRevealNothing(t *testing.T) {
	s := sealer(t, testKey)
	b := Binding("m")
	short, _ := s.Seal([]byte("A"), b)
	long, _ := s.Seal([]byte(strings.Repeat("Z", 80)), b)
	again, _ := s.Seal([]byte("A"), b)
	if len(short) != len(long) {
		t.Errorf("cursor lengths %d and %d tell positions apart", len(short), len(long))
	}
	if short == again {
		t.Error("sealing one position twice gives one cursor")
	}
	for _, c := range []string{short, long} {
		raw, _ := base64.RawURLEncoding.DecodeString(c)
		if bytes.Contains(raw, []byte("A")) && bytes.Contains(raw, []byte("ZZZZ")) {
			t.Errorf("cursor %s holds its position in clear", c)
		}
	}
	if len(short) > MaxLen {
		t.Errorf("a cursor of %d characters, more than MaxLen", len(short))
	}
}

func TestSealer_RefusesOversizedPositions(t *testing.T) {
	if _, err := sealer(t, testKey).Seal(make([]byte, padTo), nil); err == nil {
		t.Error("sealed a position longer than the padding")
	}
}

func TestParseKey(t *testing.T) {
	std := base64.StdEncoding.EncodeToString(testKey)
	url := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, KeySize))
	for _, ok := range []string{std, url, " " + std + "\n", NewKey()} {
		if k, err := ParseKey(ok); err != nil || len(k) != KeySize {
			t.Errorf("ParseKey(%q) = %d bytes, %v", ok, len(k), err)
		}
	}
	for _, bad := range []string{"", "short", base64.StdEncoding.EncodeToString(make([]byte, 16)), "not base64 at all!"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}

// FuzzOpen: no input makes Open panic or open without the sealer's key and
// binding, and every sealed position opens back to itself.
func FuzzOpen(f *testing.F) {
	s := sealer(f, testKey)
	b := Binding("hydro", "hydro-fr", "search", "vanne", "fr,en", "anonymous", "", "")
	seed, _ := s.Seal([]byte("wVANNES-BILLE-101#fr"), b)
	for _, c := range []string{seed, "", "%%%%", "eyJzIjoiMTIzIn0", seed[:40], strings.Repeat("_", 208)} {
		f.Add(c, []byte("wVANNES-BILLE-101#fr"))
	}
	f.Fuzz(func(t *testing.T, c string, position []byte) {
		if got, err := s.Open(c, b); err == nil {
			// Only a cursor sealed by s opens (the seeds); it opens with
			// its own binding only, and not once edited.
			if _, err := s.Open(c, Binding("hydro", "hydro-be")); err == nil {
				t.Fatalf("cursor %q opened with another binding", c)
			}
			raw, _ := base64.RawURLEncoding.DecodeString(c)
			raw[len(raw)/2] ^= 0x80
			if _, err := s.Open(base64.RawURLEncoding.EncodeToString(raw), b); err == nil {
				t.Fatalf("cursor %q opened to %q once edited", c, got)
			}
		}
		if len(position) >= padTo {
			return
		}
		sealed, err := s.Seal(position, b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Open(sealed, b)
		if err != nil || !bytes.Equal(got, position) {
			t.Fatalf("round trip of %q: %q, %v", position, got, err)
		}
		if _, err := s.Open(sealed, append(bytes.Clone(b), 0)); err == nil {
			t.Fatal("opened with another binding")
		}
	})
}
