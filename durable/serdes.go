package durable

import (
	"bytes"
	"encoding/json"
	"fmt"
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
