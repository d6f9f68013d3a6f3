package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// Timestamp is a point in time that decodes leniently, as the invocation
// payload demands: epoch milliseconds (integer or fractional), an RFC 3339
// string, or null. A value it cannot read becomes the zero Timestamp rather
// than failing the whole payload. It encodes as epoch milliseconds, the form
// the Lambda service uses in invocation payloads.
type Timestamp struct {
	time.Time
}

// At returns t as a Timestamp truncated to milliseconds, the wire precision.
func At(t time.Time) Timestamp {
	return Timestamp{t.Truncate(time.Millisecond)}
}

// MarshalJSON encodes the timestamp as epoch milliseconds, or null when zero.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, t.UnixMilli(), 10), nil
}

// UnmarshalJSON accepts epoch milliseconds, RFC 3339 text or null; anything
// else leaves the zero value.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	*t = Timestamp{}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil
	}
	if data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil
		}
		if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
			t.Time = parsed
		} else if ms, err := strconv.ParseFloat(s, 64); err == nil {
			t.Time = fromMillis(ms)
		}
		return nil
	}
	if ms, err := strconv.ParseInt(string(data), 10, 64); err == nil {
		t.Time = time.UnixMilli(ms).UTC()
	} else if ms, err := strconv.ParseFloat(string(data), 64); err == nil {
		t.Time = fromMillis(ms)
	}
	return nil
}

func fromMillis(ms float64) time.Time {
	return time.UnixMilli(int64(ms)).UTC()
}
