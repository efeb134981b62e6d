// Package cursor seals pagination cursors: a cursor handed to a caller
// reveals nothing of where it points, and opens only where it was issued.
//
// A cursor is AES-256-GCM over a plain position, padded to a fixed size so
// that its length says nothing either, with a random nonce. The associated
// data is the binding: what the cursor was issued for (merchant, storefront,
// query, caller). A cursor presented with another binding, edited, truncated
// or sealed with another key does not open. Only the deployment knows the key
// (CURSOR_KEY, 32 random bytes in base64).
package cursor

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

// padTo is the size every sealed position is padded to (a length byte, the
// position, zeros), so that cursors of one deployment all have one length.
const padTo = 128

// MaxLen is the longest cursor Open looks at, in characters; every cursor
// Seal makes for a position of up to padTo-1 bytes is shorter.
const MaxLen = 256

// ErrInvalid is returned for a cursor that does not open: malformed, edited,
// sealed with another key or presented with another binding.
var ErrInvalid = errors.New("invalid cursor")

// Sealer seals and opens cursors with one key. It is safe for concurrent use.
type Sealer struct{ aead cipher.AEAD }

// New returns a sealer with a key of KeySize bytes. Building it costs a few
// microseconds: no network, fit for Lambda init.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("cursor key: %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("cursor key: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("cursor key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// ParseKey decodes a key given in base64 (standard or URL alphabet, padded
// or not) and checks its length.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("cursor key: %d bytes, want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("cursor key: not base64")
}

// NewKey returns a random key in base64, as CURSOR_KEY holds it.
func NewKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Seal returns the cursor of a position, bound to binding. The position is
// at most padTo-1 bytes.
func (s *Sealer) Seal(position, binding []byte) (string, error) {
	if len(position) >= padTo {
		return "", fmt.Errorf("cursor: a position of %d bytes, at most %d", len(position), padTo-1)
	}
	plain := make([]byte, padTo)
	plain[0] = byte(len(position))
	copy(plain[1:], position)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nil, nil, plain, binding)), nil
}

// Open returns the position a cursor was sealed over, or ErrInvalid unless
// the cursor was made by Seal with this key and this binding.
func (s *Sealer) Open(c string, binding []byte) ([]byte, error) {
	if len(c) > MaxLen {
		return nil, ErrInvalid
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil {
		return nil, ErrInvalid
	}
	plain, err := s.aead.Open(nil, nil, sealed, binding)
	if err != nil || len(plain) != padTo || int(plain[0]) >= padTo {
		return nil, ErrInvalid
	}
	return plain[1 : 1+int(plain[0])], nil
}

// Binding builds associated data from its parts, each length-prefixed so
// that no two lists of parts give the same bytes.
func Binding(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 4
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		l := len(p)
		b = append(b, byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
		b = append(b, p...)
	}
	return b
}
