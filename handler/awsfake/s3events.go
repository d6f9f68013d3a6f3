package awsfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// EventObjectCreatedPut is the event name S3 reports for an object created
// by PutObject (Amazon S3 user guide, "Event notification types and
// destinations").
const EventObjectCreatedPut = "ObjectCreated:Put"

// NotifyFunc receives one S3 event notification as the JSON document S3
// sends to a Lambda function. An error is recorded (see
// NotificationErrors); S3's asynchronous Lambda invocation would retry it.
type NotifyFunc func(ctx context.Context, event []byte) error

// notification is one entry of a bucket's notification configuration.
type notification struct {
	bucket, prefix, suffix string
	fn                     NotifyFunc
}

// s3Notifier is the S3 fake's event notification state.
type s3Notifier struct {
	// Region is reported as each record's awsRegion (default us-west-2).
	region string

	mu       sync.Mutex
	configs  []notification
	inFlight sync.WaitGroup
	sent     int
	errs     []error
	seq      uint64
}

// NotifyObjectCreated makes the fake report objects created in bucket whose
// key starts with prefix and ends with suffix to fn, as an S3 event
// notification configuration with a Lambda destination and
// s3:ObjectCreated:* events does. Like S3, the fake notifies after the
// write succeeded, asynchronously: the writer does not wait for fn
// (WaitNotifications does). Prefix and suffix match the key as written, not
// URL-encoded.
func (s *S3) NotifyObjectCreated(bucket, prefix, suffix string, fn NotifyFunc) {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	s.events.configs = append(s.events.configs, notification{bucket: bucket, prefix: prefix, suffix: suffix, fn: fn})
}

// SetRegion sets the region the fake's event records report.
func (s *S3) SetRegion(region string) {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	s.events.region = region
}

// WaitNotifications waits until every notification sent so far was
// handled.
func (s *S3) WaitNotifications() { s.events.inFlight.Wait() }

// Notifications counts the notifications sent.
func (s *S3) Notifications() int {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return s.events.sent
}

// NotificationErrors returns the errors notification funcs returned.
func (s *S3) NotificationErrors() []error {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return append([]error(nil), s.events.errs...)
}

// objectCreated sends the notifications an object created by PutObject
// matches; the notification funcs run on their own goroutines, so the
// caller may hold s.mu.
func (s *S3) objectCreated(bucket, key string, obj Object, requestID string) {
	n := &s.events
	n.mu.Lock()
	var fns []NotifyFunc
	for _, c := range n.configs {
		if c.bucket == bucket && strings.HasPrefix(key, c.prefix) && strings.HasSuffix(key, c.suffix) {
			fns = append(fns, c.fn)
		}
	}
	if len(fns) == 0 {
		n.mu.Unlock()
		return
	}
	n.seq++
	region := n.region
	if region == "" {
		region = "us-west-2"
	}
	body := s3Event(region, bucket, key, obj, requestID, n.seq)
	n.sent += len(fns)
	n.inFlight.Add(len(fns))
	n.mu.Unlock()
	for _, fn := range fns {
		go func() {
			defer n.inFlight.Done()
			if err := fn(context.Background(), body); err != nil {
				n.mu.Lock()
				n.errs = append(n.errs, fmt.Errorf("notification for s3://%s/%s: %w", bucket, key, err))
				n.mu.Unlock()
			}
		}()
	}
}

// s3Event renders one ObjectCreated:Put record in the shape of S3's event
// message structure, version 2.1 (Amazon S3 user guide, "Event message
// structure"): the key URL-encoded as S3 encodes it (a space becomes '+'),
// the size a number, the ETag without quotes.
func s3Event(region, bucket, key string, obj Object, requestID string, seq uint64) []byte {
	type m = map[string]any
	rec := m{
		"eventVersion": "2.1",
		"eventSource":  "aws:s3",
		"awsRegion":    region,
		"eventTime":    time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"eventName":    EventObjectCreatedPut,
		"userIdentity": m{"principalId": "AWS:AROAFAKEBEDROCKROLE:bedrock"},
		"requestParameters": m{
			"sourceIPAddress": "127.0.0.1",
		},
		"responseElements": m{"x-amz-request-id": requestID, "x-amz-id-2": "fake/" + requestID},
		"s3": m{
			"s3SchemaVersion": "1.0",
			"configurationId": "notifier",
			"bucket": m{
				"name":          bucket,
				"ownerIdentity": m{"principalId": "AFAKEOWNER"},
				"arn":           "arn:aws:s3:::" + bucket,
			},
			"object": m{
				"key":       EventKey(key),
				"size":      len(obj.Body),
				"eTag":      strings.Trim(obj.ETag, `"`),
				"sequencer": fmt.Sprintf("%016X", seq),
			},
		},
	}
	body, _ := json.Marshal(m{"Records": []any{rec}})
	return body
}

// EventKey encodes an object key as S3 event notifications carry it:
// form-encoded (a space becomes '+'), with '/' left as is.
func EventKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}
