package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// MaxBody is the largest request body the API functions read: 1 MiB. API
// Gateway lets bodies of up to 10 MB through; a larger one than MaxBody gets
// a 413 payload-too-large problem.
const MaxBody = 1 << 20

// decodeBody reads a JSON object of at most MaxBody bytes into v, refusing
// unknown fields, null and anything but whitespace after the object.
func decodeBody(r *http.Request, v any) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeObject(data, v)
}

// readBody reads the whole body, or answers 413 when it is over MaxBody
// bytes, announced or not.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBody {
		return nil, PayloadTooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, invalidBody("the body could not be read")
	}
	if len(data) > MaxBody {
		return nil, PayloadTooLarge()
	}
	return data, nil
}

// decodeObject decodes data, which must hold one JSON object and nothing
// after it but whitespace, into v, refusing unknown fields.
func decodeObject(data []byte, v any) error {
	if first := bytes.TrimLeft(data, jsonSpace); len(first) == 0 || first[0] != '{' {
		return invalidBody("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return invalidBody("the body is not the expected JSON: it ends before the object does")
		}
		return invalidBody("the body is not the expected JSON: " + err.Error())
	}
	// Decoder.More misses a stray '}' or ']' after the object: check the
	// bytes themselves.
	if rest := bytes.TrimLeft(data[dec.InputOffset():], jsonSpace); len(rest) > 0 {
		return invalidBody("the body holds something after its JSON object")
	}
	return nil
}

// jsonSpace is the whitespace JSON allows between tokens.
const jsonSpace = " \t\r\n"

func invalidBody(detail string) *Problem {
	return problem(http.StatusBadRequest, "invalid-body", "Invalid body", detail)
}
