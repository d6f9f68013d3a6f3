// Package jobstore keeps the durable record of each video job in the
// output bucket: videos/<messageId>/job.json, written once right after
// Bedrock accepted the job, which every later delivery of the same SQS
// message re-attaches to instead of starting another (paid) job; and
// videos/<messageId>/result.json, the job's outcome; and
// videos/<messageId>/callback.json, the durable callback the workflow waits
// on for the job's video, which the notifier completes with a VideoLanded
// when the video lands in the bucket.
package jobstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bedrockvideo/pipeline/handler/config"
)

// Prefix is the key prefix of everything the handler and Bedrock write
// (the settings contract's OutputPrefix).
const Prefix = config.OutputPrefix

// MessagePrefix is the folder of everything about one message:
// videos/<messageId>/.
func MessagePrefix(messageID string) string { return Prefix + messageID + "/" }

// JobKey is the key of a message's job record.
func JobKey(messageID string) string { return MessagePrefix(messageID) + "job.json" }

// ResultKey is the key of a message's result.
func ResultKey(messageID string) string { return MessagePrefix(messageID) + "result.json" }

// CallbackKey is the key of a message's callback record.
func CallbackKey(messageID string) string { return MessagePrefix(messageID) + "callback.json" }

// RequestKey is the key of the copy of a job's body that the videoctl CLI
// keeps when it sends the job (the pipeline itself never stores prompts).
func RequestKey(messageID string) string { return MessagePrefix(messageID) + "request.json" }

// MessageIDOfKey returns the message id of a key under Prefix (the path
// segment after videos/); ok is false for keys outside a message's prefix.
func MessageIDOfKey(key string) (messageID string, ok bool) {
	rest, found := strings.CutPrefix(key, Prefix)
	if !found {
		return "", false
	}
	id, _, found := strings.Cut(rest, "/")
	if !found || id == "" {
		return "", false
	}
	return id, true
}

// OutputURI is where Bedrock writes a message's video:
// s3://<bucket>/videos/<messageId>. Under it Amazon Nova Reel writes
// <invocationId>/output.mp4; other models' layouts are not documented, so
// FindVideo lists the prefix.
func OutputURI(bucket, messageID string) string {
	return "s3://" + bucket + "/" + Prefix + messageID
}

// JobRecord is job.json: which Bedrock job a message started.
type JobRecord struct {
	MessageID          string    `json:"messageId"`
	InvocationArn      string    `json:"invocationArn"`
	Model              string    `json:"model"`
	ClientRequestToken string    `json:"clientRequestToken"`
	OutputURI          string    `json:"outputUri"`
	SubmittedAt        time.Time `json:"submittedAt"`
}

// CallbackRecord is callback.json: the durable callback the workflow is
// waiting on for a message's video. Each wait round (and each redelivered
// execution) writes a fresh callback and overwrites the record, so the
// notifier always finds the current one; completing an older one is
// answered by Lambda as a callback that is already closed.
type CallbackRecord struct {
	CallbackID    string    `json:"callbackId"`
	MessageID     string    `json:"messageId"`
	InvocationArn string    `json:"invocationArn"`
	CreatedAt     time.Time `json:"createdAt"`
}

// VideoLanded is the result the notifier completes a callback with: where
// the job's video landed and, when the event says, when (the S3 event's
// eventTime, when S3 finished writing it).
type VideoLanded struct {
	Bucket   string    `json:"bucket"`
	Key      string    `json:"key"`
	LandedAt time.Time `json:"landedAt,omitzero"`
}

// Result statuses.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
)

// Result is result.json. Timestamps are RFC 3339 in UTC; fields that do not
// apply to an outcome are left out (videoUri without a video, error on
// success, invocationArn and submittedAt when no job was started).
type Result struct {
	Status        string       `json:"status"`
	MessageID     string       `json:"messageId"`
	Model         string       `json:"model,omitempty"`
	InvocationArn string       `json:"invocationArn,omitempty"`
	VideoURI      string       `json:"videoUri,omitempty"`
	Error         *ResultError `json:"error,omitempty"`
	SubmittedAt   string       `json:"submittedAt,omitempty"`
	CompletedAt   string       `json:"completedAt"`
	Checks        int          `json:"checks"`
}

// ResultError is the error object of a failed result.
type ResultError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Timestamp formats t as result.json does ("" for the zero time).
func Timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Store reads and writes the records in one bucket.
type Store struct {
	api    *s3.Client
	bucket string
}

// NewFromConfig returns a Store for bucket. With an endpoint override
// (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) the client uses path-style
// addressing, which S3-compatible endpoints and the local fakes need.
func NewFromConfig(cfg aws.Config, bucket string) *Store {
	return New(s3.NewFromConfig(cfg, func(o *s3.Options) {
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	}), bucket)
}

// New wraps an existing S3 client.
func New(api *s3.Client, bucket string) *Store { return &Store{api: api, bucket: bucket} }

// Bucket is the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// LoadJob reads the job record of messageID; found is false when there is
// none. A 403 is reported as such: without s3:ListBucket S3 answers 403 for
// missing keys too, and guessing "missing" could start a second job.
func (s *Store) LoadJob(ctx context.Context, messageID string) (rec JobRecord, found bool, err error) {
	key := JobKey(messageID)
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		var noKey *types.NoSuchKey
		if errors.As(err, &noKey) {
			return JobRecord{}, false, nil
		}
		return JobRecord{}, false, s.describe("reading", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		return JobRecord{}, false, fmt.Errorf("reading s3://%s/%s: %w", s.bucket, key, err)
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		return JobRecord{}, false, fmt.Errorf("s3://%s/%s is not a job record: %w", s.bucket, key, err)
	}
	if rec.InvocationArn == "" {
		return JobRecord{}, false, fmt.Errorf("s3://%s/%s has no invocationArn", s.bucket, key)
	}
	return rec, true, nil
}

// CreateJob writes rec as the message's job record unless one exists
// (a conditional write, If-None-Match: *). It returns the record that is
// stored: rec, or the existing one when another execution wrote first.
func (s *Store) CreateJob(ctx context.Context, rec JobRecord) (JobRecord, error) {
	key := JobKey(rec.MessageID)
	err := s.put(ctx, key, rec, true)
	if err == nil {
		return rec, nil
	}
	if !isPreconditionFailed(err) {
		return JobRecord{}, s.describe("writing", key, err)
	}
	existing, found, err := s.LoadJob(ctx, rec.MessageID)
	if err != nil {
		return JobRecord{}, err
	}
	if !found {
		return JobRecord{}, fmt.Errorf("writing s3://%s/%s: the object exists (412) but cannot be read back", s.bucket, key)
	}
	return existing, nil
}

// WriteResult writes (or overwrites) the message's result.json.
func (s *Store) WriteResult(ctx context.Context, r Result) error {
	key := ResultKey(r.MessageID)
	if err := s.put(ctx, key, r, false); err != nil {
		return s.describe("writing", key, err)
	}
	return nil
}

// InputError is an input image the function cannot hand to Bedrock: missing,
// unreadable or too large. Retrying does not help; the job is invalid.
type InputError struct {
	// URI is the image's s3:// URI.
	URI string
	// Rule is what is wrong with it.
	Rule string
}

// Error names the image and the rule.
func (e *InputError) Error() string { return "input image " + e.URI + " " + e.Rule }

// ErrorType files the error with other invalid jobs.
func (e *InputError) ErrorType() string { return "InvalidJob" }

// CheckInput looks at an input image with HeadObject (which s3:GetObject
// authorizes) before Bedrock is asked to read it: it must exist, be
// readable by the function and hold at most maxBytes (when maxBytes > 0).
// Problems with the image are *InputError; other errors are transient.
func (s *Store) CheckInput(ctx context.Context, key string, maxBytes int64) error {
	uri := "s3://" + s.bucket + "/" + key
	out, err := s.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	var respErr *smithyhttp.ResponseError
	switch {
	case err == nil:
	case errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusNotFound:
		return &InputError{URI: uri, Rule: "does not exist; upload the image there first"}
	case errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusForbidden:
		return &InputError{URI: uri, Rule: fmt.Sprintf("cannot be read by the function: it does not exist (S3 answers 403 for a missing key to a caller without s3:ListBucket on %s), or the role lacks s3:GetObject on %s*",
			config.InputPrefix, config.InputPrefix)}
	default:
		return fmt.Errorf("checking %s: %w", uri, err)
	}
	if size := aws.ToInt64(out.ContentLength); maxBytes > 0 && size > maxBytes {
		return &InputError{URI: uri, Rule: fmt.Sprintf("is %d bytes; the model accepts images of at most %d bytes by S3 URI", size, maxBytes)}
	}
	return nil
}

// maxVideoListPages bounds FindVideo's listing (1,000 keys a page); a job's
// prefix holds a handful of objects.
const maxVideoListPages = 10

// FindVideo lists the output prefix of messageID (videos/<messageId>/) and
// returns the key of the job's video: <invocationID>/output.mp4 when it
// exists (Amazon Nova Reel's documented layout), else the first .mp4 in key
// order under <invocationID>/, else the first .mp4 anywhere under the
// prefix (Bedrock documents no layout for Luma Ray2). found is false when
// the prefix holds no .mp4.
func (s *Store) FindVideo(ctx context.Context, messageID, invocationID string) (key string, found bool, err error) {
	prefix := MessagePrefix(messageID)
	pages := s3.NewListObjectsV2Paginator(s.api, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	var inJob, anywhere string
	for i := 0; pages.HasMorePages() && i < maxVideoListPages; i++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", false, s.describe("listing", prefix, err)
		}
		for _, obj := range page.Contents {
			k := aws.ToString(obj.Key)
			switch {
			case !strings.HasSuffix(strings.ToLower(k), ".mp4"):
			case k == prefix+invocationID+"/output.mp4":
				return k, true, nil
			case strings.HasPrefix(k, prefix+invocationID+"/"):
				if inJob == "" {
					inJob = k
				}
			case anywhere == "":
				anywhere = k
			}
		}
	}
	switch {
	case inJob != "":
		return inJob, true, nil
	case anywhere != "":
		return anywhere, true, nil
	}
	return "", false, nil
}

// PutCallback writes (or overwrites) the message's callback.json.
func (s *Store) PutCallback(ctx context.Context, rec CallbackRecord) error {
	switch {
	case rec.MessageID == "":
		return errors.New("callback record: messageId is required")
	case rec.CallbackID == "":
		return fmt.Errorf("callback record of message %s: callbackId is required", rec.MessageID)
	}
	key := CallbackKey(rec.MessageID)
	if err := s.put(ctx, key, rec, false); err != nil {
		return s.describe("writing", key, err)
	}
	return nil
}

// GetCallback reads the message's callback.json; found is false when there
// is none (no job started, or event-driven completion is off).
func (s *Store) GetCallback(ctx context.Context, messageID string) (rec CallbackRecord, found bool, err error) {
	key := CallbackKey(messageID)
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		var noKey *types.NoSuchKey
		if errors.As(err, &noKey) {
			return CallbackRecord{}, false, nil
		}
		return CallbackRecord{}, false, s.describe("reading", key, err)
	}
	defer out.Body.Close()
	if err := json.NewDecoder(out.Body).Decode(&rec); err != nil {
		return CallbackRecord{}, false, fmt.Errorf("s3://%s/%s is not a callback record: %w", s.bucket, key, err)
	}
	if rec.CallbackID == "" {
		return CallbackRecord{}, false, fmt.Errorf("s3://%s/%s has no callbackId", s.bucket, key)
	}
	return rec, true, nil
}

// LoadResult reads a message's result.json.
func (s *Store) LoadResult(ctx context.Context, messageID string) (Result, bool, error) {
	key := ResultKey(messageID)
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		var noKey *types.NoSuchKey
		if errors.As(err, &noKey) {
			return Result{}, false, nil
		}
		return Result{}, false, s.describe("reading", key, err)
	}
	defer out.Body.Close()
	var r Result
	if err := json.NewDecoder(out.Body).Decode(&r); err != nil {
		return Result{}, false, fmt.Errorf("s3://%s/%s is not a result: %w", s.bucket, key, err)
	}
	return r, true, nil
}

func (s *Store) put(ctx context.Context, key string, v any, ifNoneMatch bool) error {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/json"),
	}
	if ifNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	_, err = s.api.PutObject(ctx, in)
	return err
}

// describe wraps an S3 error with the object and, for 403, the likely
// cause.
func (s *Store) describe(verb, key string, err error) error {
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusForbidden {
		return fmt.Errorf("%s s3://%s/%s: access denied; the function role needs s3:GetObject and s3:PutObject on %s* and s3:ListBucket on the bucket for that prefix: %w",
			verb, s.bucket, key, Prefix, err)
	}
	return fmt.Errorf("%s s3://%s/%s: %w", verb, s.bucket, key, err)
}

func isPreconditionFailed(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var respErr *smithyhttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusPreconditionFailed
}
