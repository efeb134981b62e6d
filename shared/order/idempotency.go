package order

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Outcome is what a checkout does with the idempotency record its claim
// found (Claimed.Outcome).
type Outcome string

// Outcomes of a claim.
const (
	// Place: the claim started; place the order with Claimed.OrderID.
	Place Outcome = "place"
	// Replay: the same request already placed its order; answer with the
	// stored order (Claimed.OrderID) and write nothing.
	Replay Outcome = "replay"
	// Wait: the same request is being placed by another call; poll until
	// it completes (then Replay) or give up (409 checkout-in-progress).
	Wait Outcome = "wait"
	// KeyReused: the key was used for another request or another cart
	// (409 idempotency-key-reused).
	KeyReused Outcome = "key-reused"
)

// Outcome decides what a checkout whose request digests to requestHash
// and whose cart digests to cartHash ("" for an empty cart) does with the
// record c:
//   - Started: Place;
//   - Completed with the same request hash, and the same cart hash or an
//     empty cart (the order consumed the cart, so a retry finds it empty):
//     Replay;
//   - InFlight with the same request and cart hashes: Wait;
//   - any other hash: KeyReused.
func (c Claimed) Outcome(requestHash, cartHash string) Outcome {
	switch {
	case c.State == Started:
		return Place
	case c.RequestHash != requestHash:
		return KeyReused
	case c.State == Completed && (cartHash == c.CartHash || cartHash == ""):
		return Replay
	case c.State == InFlight && cartHash == c.CartHash:
		return Wait
	}
	return KeyReused
}

// RequestHash digests parts (the canonical fields of a request, or a
// cart's lines) as the SHA-256, in hex, of each part preceded by its
// length: parts that only differ by where one ends and the next begins
// ("ab","c" and "a","bc") digest differently.
func RequestHash(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
