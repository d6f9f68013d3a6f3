package jobstore

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
)

const bucket = "video-output"

func newStore(t *testing.T) (*Store, *awsfake.S3) {
	t.Helper()
	fake := awsfake.NewS3(t, bucket)
	return NewFromConfig(awsfake.ClientConfig(fake.URL()), bucket), fake
}

func record(id, arn string) JobRecord {
	return JobRecord{
		MessageID:          id,
		InvocationArn:      arn,
		Model:              "amazon.nova-reel-v1:1",
		ClientRequestToken: "abc123",
		OutputURI:          OutputURI(bucket, id),
		SubmittedAt:        time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
	}
}

func TestJobRecordRoundTrip(t *testing.T) {
	ctx := context.Background()
	store, fake := newStore(t)
	if _, found, err := store.LoadJob(ctx, "m-1"); err != nil || found {
		t.Fatalf("missing record: found %v err %v", found, err)
	}
	rec := record("m-1", "arn:aws:bedrock:us-east-1:123456789012:async-invoke/aaaaaaaaaaaa")
	stored, err := store.CreateJob(ctx, rec)
	if err != nil || stored != rec {
		t.Fatalf("CreateJob = %+v, %v", stored, err)
	}
	got, found, err := store.LoadJob(ctx, "m-1")
	if err != nil || !found || got != rec {
		t.Fatalf("LoadJob = %+v %v %v", got, found, err)
	}
	obj, ok := fake.Get(bucket, "videos/m-1/job.json")
	if !ok || obj.ContentType != "application/json" {
		t.Fatalf("object %+v", obj)
	}
	if rec.OutputURI != "s3://video-output/videos/m-1" {
		t.Errorf("output URI %s", rec.OutputURI)
	}
}

func TestCreateJobKeepsTheFirstRecord(t *testing.T) {
	ctx := context.Background()
	store, fake := newStore(t)
	first := record("m-1", "arn:aws:bedrock:us-east-1:123456789012:async-invoke/aaaaaaaaaaaa")
	if _, err := store.CreateJob(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := record("m-1", "arn:aws:bedrock:us-east-1:123456789012:async-invoke/bbbbbbbbbbbb")
	got, err := store.CreateJob(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if got != first {
		t.Errorf("second writer got %+v, want the first record", got)
	}
	if n := fake.Puts(bucket, "videos/m-1/job.json"); n != 1 {
		t.Errorf("%d successful writes of job.json", n)
	}
}

func TestForbiddenIsNotMissing(t *testing.T) {
	store, fake := newStore(t)
	fake.DenyList(bucket, "videos/")
	_, found, err := store.LoadJob(context.Background(), "m-1")
	if err == nil || found {
		t.Fatalf("found %v err %v; a 403 must not read as a missing record", found, err)
	}
	for _, want := range []string{"access denied", "s3:ListBucket", "videos/m-1/job.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestMissingBucket(t *testing.T) {
	fake := awsfake.NewS3(t)
	store := NewFromConfig(awsfake.ClientConfig(fake.URL()), "nope")
	if _, _, err := store.LoadJob(context.Background(), "m"); err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("got %v", err)
	}
}

func TestCorruptRecord(t *testing.T) {
	store, fake := newStore(t)
	fake.Put(bucket, "videos/m-1/job.json", []byte("not json"), "application/json")
	if _, _, err := store.LoadJob(context.Background(), "m-1"); err == nil || !strings.Contains(err.Error(), "not a job record") {
		t.Fatalf("got %v", err)
	}
}

func TestResultFields(t *testing.T) {
	ctx := context.Background()
	store, fake := newStore(t)
	res := Result{
		Status:        StatusFailed,
		MessageID:     "m-2",
		Model:         "luma.ray-v2:0",
		InvocationArn: "arn:aws:bedrock:us-west-2:123456789012:async-invoke/cccccccccccc",
		Error:         &ResultError{Type: "JobFailed", Message: "content filter"},
		SubmittedAt:   Timestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		CompletedAt:   Timestamp(time.Date(2026, 1, 2, 3, 9, 5, 0, time.UTC)),
		Checks:        7,
	}
	if err := store.WriteResult(ctx, res); err != nil {
		t.Fatal(err)
	}
	obj, _ := fake.Get(bucket, "videos/m-2/result.json")
	var fields map[string]any
	if err := json.Unmarshal(obj.Body, &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"status":        "FAILED",
		"messageId":     "m-2",
		"model":         "luma.ray-v2:0",
		"invocationArn": res.InvocationArn,
		"error":         map[string]any{"type": "JobFailed", "message": "content filter"},
		"submittedAt":   "2026-01-02T03:04:05Z",
		"completedAt":   "2026-01-02T03:09:05Z",
		"checks":        float64(7),
	}
	if len(fields) != len(want) {
		t.Errorf("fields %v, want %v", fields, want)
	}
	for k, v := range want {
		got, _ := json.Marshal(fields[k])
		exp, _ := json.Marshal(v)
		if string(got) != string(exp) {
			t.Errorf("%s = %s, want %s", k, got, exp)
		}
	}
	back, found, err := store.LoadResult(ctx, "m-2")
	if err != nil || !found || back.Error.Message != "content filter" {
		t.Errorf("LoadResult = %+v %v %v", back, found, err)
	}
}
