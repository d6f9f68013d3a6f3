package jobstore

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestCallbackRecordRoundTripAndOverwrite(t *testing.T) {
	ctx := context.Background()
	store, fake := newStore(t)
	if _, found, err := store.GetCallback(ctx, "m-1"); err != nil || found {
		t.Fatalf("missing record: found %v err %v", found, err)
	}
	first := CallbackRecord{CallbackID: "cb-1", MessageID: "m-1",
		InvocationArn: "arn:aws:bedrock:us-west-2:123456789012:async-invoke/aaaaaaaaaaaa",
		CreatedAt:     time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	if err := store.PutCallback(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := first
	second.CallbackID, second.CreatedAt = "cb-2", first.CreatedAt.Add(time.Minute)
	if err := store.PutCallback(ctx, second); err != nil {
		t.Fatal(err)
	}
	got, found, err := store.GetCallback(ctx, "m-1")
	if err != nil || !found || got != second {
		t.Fatalf("GetCallback = %+v %v %v, want the newest record %+v", got, found, err, second)
	}
	obj, ok := fake.Get(bucket, "videos/m-1/callback.json")
	if !ok {
		t.Fatal("no videos/m-1/callback.json")
	}
	// The notifier and operators read the wire names.
	var wire map[string]any
	if err := json.Unmarshal(obj.Body, &wire); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"callbackId", "messageId", "invocationArn", "createdAt"} {
		if _, ok := wire[k]; !ok {
			t.Errorf("callback.json lacks %q: %s", k, obj.Body)
		}
	}
	if wire["createdAt"] != "2026-11-30T12:01:00Z" {
		t.Errorf("createdAt %v, want RFC 3339", wire["createdAt"])
	}
}

func TestPutCallbackRefusesIncompleteRecords(t *testing.T) {
	store, fake := newStore(t)
	for _, tt := range []struct {
		rec  CallbackRecord
		want string
	}{
		{CallbackRecord{CallbackID: "cb"}, "messageId is required"},
		{CallbackRecord{MessageID: "m-1"}, "callbackId is required"},
	} {
		err := store.PutCallback(context.Background(), tt.rec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("PutCallback(%+v) = %v, want %q", tt.rec, err, tt.want)
		}
	}
	if _, ok := fake.Get(bucket, "videos/m-1/callback.json"); ok {
		t.Error("an incomplete record was written")
	}
}

func TestGetCallbackRefusesABrokenRecord(t *testing.T) {
	ctx := context.Background()
	store, fake := newStore(t)
	fake.Put(bucket, "videos/m-1/callback.json", []byte(`{"messageId":"m-1"}`), "application/json")
	if _, _, err := store.GetCallback(ctx, "m-1"); err == nil || !strings.Contains(err.Error(), "has no callbackId") {
		t.Errorf("got %v", err)
	}
	fake.Put(bucket, "videos/m-2/callback.json", []byte(`not json`), "application/json")
	if _, _, err := store.GetCallback(ctx, "m-2"); err == nil || !strings.Contains(err.Error(), "is not a callback record") {
		t.Errorf("got %v", err)
	}
}

func TestMessageIDOfKey(t *testing.T) {
	for _, tt := range []struct {
		key, id string
		ok      bool
	}{
		{"videos/m-1/abc123/output.mp4", "m-1", true},
		{"videos/m-1/callback.json", "m-1", true},
		{"videos/m-1", "", false},
		{"videos//x.mp4", "", false},
		{"inputs/m-1/a.png", "", false},
	} {
		id, ok := MessageIDOfKey(tt.key)
		if id != tt.id || ok != tt.ok {
			t.Errorf("MessageIDOfKey(%q) = %q, %v; want %q, %v", tt.key, id, ok, tt.id, tt.ok)
		}
	}
	if id, _ := MessageIDOfKey(CallbackKey("m-9")); id != "m-9" {
		t.Errorf("CallbackKey does not round-trip: %q", id)
	}
}
