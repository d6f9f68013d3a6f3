package awsfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// received collects the notifications of one configuration.
type received struct {
	mu     sync.Mutex
	events []events.S3Event
}

func (r *received) fn(_ context.Context, body []byte) error {
	var ev events.S3Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func TestS3NotifiesMatchingObjectsAfterTheWrite(t *testing.T) {
	fake := NewS3(t, "videos-bucket", "other-bucket")
	fake.SetRegion("us-west-2")
	var got received
	fake.NotifyObjectCreated("videos-bucket", "videos/", ".mp4", got.fn)
	client := s3.NewFromConfig(ClientConfig(fake.URL()), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()

	// A PutObject over HTTP and a direct write (as Bedrock writes its
	// output) are both reported; keys outside the prefix or suffix, and
	// other buckets, are not.
	const key = "videos/m 1/job+1/output.mp4"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("videos-bucket"), Key: aws.String(key), Body: bytes.NewReader([]byte("mp4 bytes"))}); err != nil {
		t.Fatal(err)
	}
	fake.Put("videos-bucket", "videos/m-2/generations/x-video.mp4", []byte("12345"), "video/mp4")
	for _, k := range []string{"videos/m-1/job.json", "videos/m-1/output.mp4.part", "inputs/a.mp4"} {
		fake.Put("videos-bucket", k, []byte("{}"), "application/json")
	}
	fake.Put("other-bucket", "videos/m-3/output.mp4", []byte("x"), "video/mp4")
	fake.WaitNotifications()

	if len(got.events) != 2 || fake.Notifications() != 2 {
		t.Fatalf("%d notifications (%d sent), want 2: %+v", len(got.events), fake.Notifications(), got.events)
	}
	byKey := map[string]events.S3EventRecord{}
	for _, ev := range got.events {
		if len(ev.Records) != 1 {
			t.Fatalf("event with %d records", len(ev.Records))
		}
		byKey[ev.Records[0].S3.Object.Key] = ev.Records[0]
	}
	rec, ok := byKey["videos/m+1/job%2B1/output.mp4"]
	if !ok {
		t.Fatalf("no record with the URL-encoded key; got %v", byKey)
	}
	if rec.EventName != "ObjectCreated:Put" || rec.EventSource != "aws:s3" || rec.AWSRegion != "us-west-2" ||
		rec.S3.Bucket.Name != "videos-bucket" || rec.S3.Bucket.Arn != "arn:aws:s3:::videos-bucket" ||
		rec.S3.Object.Size != int64(len("mp4 bytes")) || rec.EventTime.IsZero() {
		t.Errorf("record %+v", rec)
	}
	if decoded, err := url.QueryUnescape(rec.S3.Object.Key); err != nil || decoded != key {
		t.Errorf("key %q decodes to %q (%v), want %q", rec.S3.Object.Key, decoded, err, key)
	}
	obj, _ := fake.Get("videos-bucket", key)
	if "\""+rec.S3.Object.ETag+"\"" != obj.ETag {
		t.Errorf("eTag %q, object ETag %s", rec.S3.Object.ETag, obj.ETag)
	}
	if byKey["videos/m-2/generations/x-video.mp4"].S3.Object.Size != 5 {
		t.Errorf("direct write record %+v", byKey["videos/m-2/generations/x-video.mp4"])
	}
}

func TestS3RecordsNotificationErrors(t *testing.T) {
	fake := NewS3(t, "b-b")
	fake.NotifyObjectCreated("b-b", "", ".mp4", func(context.Context, []byte) error { return errors.New("throttled") })
	fake.Put("b-b", "a.mp4", nil, "video/mp4")
	fake.WaitNotifications()
	if errs := fake.NotificationErrors(); len(errs) != 1 || errs[0].Error() != "notification for s3://b-b/a.mp4: throttled" {
		t.Errorf("errors %v", errs)
	}
}
