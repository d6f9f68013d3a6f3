package durable

import (
	"encoding/json"
	"reflect"
	"testing"
)

// decodeScalar must decode exactly what json.Unmarshal decodes, or decline.
func checkDecodeScalar[T any](t *testing.T, data string) {
	t.Helper()
	var fast T
	if !decodeScalar(data, &fast) {
		return
	}
	var slow T
	if err := json.Unmarshal([]byte(data), &slow); err != nil {
		t.Errorf("decodeScalar accepted %q into %T, json.Unmarshal rejects it: %v", data, fast, err)
		return
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("decodeScalar(%q) into %T = %#v, json.Unmarshal gives %#v", data, fast, fast, slow)
	}
}

var scalarInputs = []string{
	"0", "-0", "7", "-42", "1234567890", "01", "-01", "1e3", "1.0", " 1", "1 ", "+1", "-", "",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808",
	`""`, `"a"`, `"hello world"`, `"a\"b"`, `"a\\b"`, `"\u00e9"`, `"é"`, "\"tab\there\"", `"`, `"a`, `a"`,
	"true", "false", "null", "True", `"true"`,
}

func TestDecodeScalarMatchesEncodingJSON(t *testing.T) {
	for _, in := range scalarInputs {
		checkDecodeScalar[int](t, in)
		checkDecodeScalar[int64](t, in)
		checkDecodeScalar[string](t, in)
		checkDecodeScalar[bool](t, in)
	}
	// The common cases take the fast path.
	for _, tc := range []struct {
		data   string
		target any
	}{{"42", new(int)}, {"-7", new(int64)}, {`"ok"`, new(string)}, {"true", new(bool)}} {
		if !decodeScalar(tc.data, tc.target) {
			t.Errorf("decodeScalar declined %q into %T", tc.data, tc.target)
		}
	}
}

func FuzzDecodeScalar(f *testing.F) {
	for _, in := range scalarInputs {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, data string) {
		checkDecodeScalar[int](t, data)
		checkDecodeScalar[int64](t, data)
		checkDecodeScalar[string](t, data)
		checkDecodeScalar[bool](t, data)
	})
}
