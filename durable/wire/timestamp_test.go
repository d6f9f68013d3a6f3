package wire

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimestampDecodesEveryFormTheServiceUses(t *testing.T) {
	want := time.Date(2026, 3, 5, 6, 47, 8, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{`1772693228000`, want},
		{`1772693228000.0`, want},
		{`"2026-03-05T06:47:08Z"`, want},
		{`"2026-03-05T07:47:08+01:00"`, want},
		{`null`, time.Time{}},
		{`"not a time"`, time.Time{}},
		{`true`, time.Time{}},
	}
	for _, tt := range tests {
		var ts Timestamp
		if err := json.Unmarshal([]byte(tt.in), &ts); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !ts.Equal(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.in, ts.Time, tt.want)
		}
	}
}

func TestOperationWithUnreadableTimestampStillDecodes(t *testing.T) {
	var op Operation
	err := json.Unmarshal([]byte(`{"Id":"a","Type":"STEP","Status":"SUCCEEDED","StartTimestamp":{"weird":1},"StepDetails":{"Result":"1"}}`), &op)
	if err != nil || op.StepDetails == nil || op.StepDetails.Result != "1" {
		t.Fatalf("got %+v, %v", op, err)
	}
}

func TestTimestampEncodesEpochMillis(t *testing.T) {
	b, _ := json.Marshal(struct {
		T Timestamp `json:"T,omitzero"`
		Z Timestamp `json:"Z,omitzero"`
	}{T: At(time.UnixMilli(1772693228123))})
	if string(b) != `{"T":1772693228123}` {
		t.Fatalf("got %s", b)
	}
}
