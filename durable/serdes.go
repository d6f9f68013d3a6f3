package durable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Serdes turns operation results into the text that is checkpointed and
// back. Deserialize receives a pointer to the value to fill.
type Serdes interface {
	Serialize(v any) (string, error)
	Deserialize(data string, target any) error
}

// JSONSerdes is the default Serdes: JSON without HTML escaping. An empty
// string deserializes to the zero value.
type JSONSerdes struct{}

// Serialize encodes v as JSON.
func (JSONSerdes) Serialize(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encode JSON: %w", err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// Deserialize decodes JSON text into target.
func (JSONSerdes) Deserialize(data string, target any) error {
	if data == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(data), target); err != nil {
		return fmt.Errorf("decode JSON: %w", err)
	}
	return nil
}

// roundTrip serializes v and deserializes it again, so the first run sees
// exactly the value a replay will see.
func roundTrip[T any](s Serdes, v T) (T, string, error) {
	data, err := s.Serialize(v)
	if err != nil {
		var zero T
		return zero, "", &SerdesError{Err: err}
	}
	out, err := decode[T](s, data)
	return out, data, err
}

// decode deserializes data into a new T.
func decode[T any](s Serdes, data string) (T, error) {
	var out T
	if _, ok := s.(JSONSerdes); ok && decodeScalar(data, &out) {
		return out, nil
	}
	if err := s.Deserialize(data, &out); err != nil {
		var zero T
		return zero, &SerdesError{Err: err}
	}
	return out, nil
}

func serdesOr(s Serdes) Serdes {
	if s == nil {
		return JSONSerdes{}
	}
	return s
}

// decodeScalar decodes the JSON text of a plain integer, string or boolean
// into target without reflection, as replay does for every recorded step
// result. It reports false, leaving target alone, for anything it does not
// decode exactly as encoding/json would (other types, escapes, exponents,
// leading zeros, whitespace, null, overflow); the caller then falls back to
// json.Unmarshal.
func decodeScalar(data string, target any) bool {
	switch p := target.(type) {
	case *int:
		if !plainJSONInt(data) {
			return false
		}
		n, err := strconv.Atoi(data)
		if err != nil {
			return false
		}
		*p = n
	case *int64:
		if !plainJSONInt(data) {
			return false
		}
		n, err := strconv.ParseInt(data, 10, 64)
		if err != nil {
			return false
		}
		*p = n
	case *string:
		if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
			return false
		}
		body := data[1 : len(data)-1]
		for i := 0; i < len(body); i++ {
			if c := body[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
				return false
			}
		}
		*p = body
	case *bool:
		switch data {
		case "true":
			*p = true
		case "false":
			*p = false
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// plainJSONInt reports whether data is an integer as JSON writes it: an
// optional minus, then 0 or digits without a leading zero.
func plainJSONInt(data string) bool {
	digits := strings.TrimPrefix(data, "-")
	if digits == "" || len(digits) > 1 && digits[0] == '0' {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}
