// Package notifier completes the workflow's durable callbacks when S3
// reports that a job's video landed in the bucket: for each ObjectCreated
// record of a key videos/<messageId>/....mp4 it reads the message's
// callback.json and calls Lambda SendDurableExecutionCallbackSuccess with
// where the video is (a jobstore.VideoLanded).
//
// S3 delivers event notifications at least once (Amazon S3 user guide,
// "Amazon S3 Event Notifications"), so the notifier is idempotent; and it
// never fails an event for a callback that is done or gone: a callback already completed or timed out, an unknown one, or a
// message with no callback.json (polling mode, or the workflow has not
// registered yet) is logged and skipped. Transient failures (S3 or Lambda
// throttling, 5xx, network) fail the invocation, so Lambda retries the
// asynchronous S3 event.
package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// Callbacks finds the callback a message's workflow waits on
// (*jobstore.Store in production).
type Callbacks interface {
	GetCallback(ctx context.Context, messageID string) (rec jobstore.CallbackRecord, found bool, err error)
}

// CallbackAPI completes durable callbacks (*lambda.Client in production).
type CallbackAPI interface {
	SendDurableExecutionCallbackSuccess(ctx context.Context, in *lambda.SendDurableExecutionCallbackSuccessInput,
		optFns ...func(*lambda.Options)) (*lambda.SendDurableExecutionCallbackSuccessOutput, error)
}

// Notifier handles S3 event notifications for one bucket.
type Notifier struct {
	bucket    string
	callbacks Callbacks
	lambda    CallbackAPI
	log       *slog.Logger
}

// New returns a Notifier for the videos of bucket. A nil log discards.
func New(bucket string, callbacks Callbacks, api CallbackAPI, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{bucket: bucket, callbacks: callbacks, lambda: api, log: log}
}

// Outcome is what the notifier did with one S3 record.
type Outcome string

// Outcomes of Notify.
const (
	// Completed: the callback was completed with the video's location.
	Completed Outcome = "completed"
	// Skipped: the record is not a job's video (another bucket, event,
	// key or suffix).
	Skipped Outcome = "skipped"
	// NoCallback: the message has no callback.json.
	NoCallback Outcome = "no-callback"
	// CallbackClosed: Lambda answered that the callback already
	// completed or timed out (CallbackTimeoutException).
	CallbackClosed Outcome = "callback-closed"
	// CallbackUnknown: Lambda knows no such callback
	// (ResourceNotFoundException), or refused its id as malformed
	// (InvalidParameterValueException); retrying cannot help.
	CallbackUnknown Outcome = "callback-unknown"
)

// RetryError reports the records of an event that failed transiently. Its
// type name is the errorType Lambda records for the failed invocation.
type RetryError struct {
	// Errs holds one error per failed record.
	Errs []error
}

func (e *RetryError) Error() string { return errors.Join(e.Errs...).Error() }

// Unwrap returns the records' errors.
func (e *RetryError) Unwrap() []error { return e.Errs }

// Handle is the Lambda handler: it notifies every record and returns a
// *RetryError, so that Lambda retries the event, only when a record failed
// transiently. Records already completed are safe to notify again.
func (n *Notifier) Handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for i := range ev.Records {
		if _, err := n.Notify(ctx, ev.Records[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return &RetryError{Errs: errs}
	}
	return nil
}

// Notify handles one S3 record and reports what it did. The error is
// non-nil only for a failure worth retrying.
func (n *Notifier) Notify(ctx context.Context, r events.S3EventRecord) (Outcome, error) {
	key := r.S3.Object.URLDecodedKey
	if key == "" && r.S3.Object.Key != "" {
		// A record built without the SDK's decoding: S3 sends keys
		// form-encoded ('+' for a space).
		k, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			n.log.WarnContext(ctx, "skipping a record whose key is not URL-encoded", "key", r.S3.Object.Key, "error", err.Error())
			return Skipped, nil
		}
		key = k
	}
	log := n.log.With("bucket", r.S3.Bucket.Name, "key", key, "event", r.EventName)

	messageID, ok := videoMessageID(key)
	switch {
	case r.S3.Bucket.Name != n.bucket:
		log.WarnContext(ctx, "skipping an event of another bucket", "expected", n.bucket)
		return Skipped, nil
	case !strings.HasPrefix(r.EventName, "ObjectCreated:"):
		log.InfoContext(ctx, "skipping an event that is not an object creation")
		return Skipped, nil
	case !ok:
		log.InfoContext(ctx, "skipping a key that is not a job's video (videos/<messageId>/...mp4)")
		return Skipped, nil
	}
	log = log.With("messageId", messageID)

	rec, found, err := n.callbacks.GetCallback(ctx, messageID)
	if err != nil {
		log.ErrorContext(ctx, "reading the callback record failed; the event will be retried", "error", err.Error())
		return "", fmt.Errorf("reading the callback of message %s: %w", messageID, err)
	}
	if !found {
		log.InfoContext(ctx, "no callback registered for the message; its workflow polls instead",
			"callbackKey", jobstore.CallbackKey(messageID))
		return NoCallback, nil
	}
	log = log.With("callbackId", rec.CallbackID)

	// A VideoLanded of two short strings is far below the API's 256 KB
	// limit on Result (AWS Lambda API reference,
	// SendDurableExecutionCallbackSuccess).
	result, err := json.Marshal(jobstore.VideoLanded{Bucket: r.S3.Bucket.Name, Key: key})
	if err != nil {
		return "", fmt.Errorf("encoding the callback result: %w", err)
	}
	_, err = n.lambda.SendDurableExecutionCallbackSuccess(ctx, &lambda.SendDurableExecutionCallbackSuccessInput{
		CallbackId: aws.String(rec.CallbackID),
		Result:     result,
	})
	// Errors of SendDurableExecutionCallbackSuccess (AWS Lambda API
	// reference): CallbackTimeoutException (400) when the callback "has
	// either expired or ... has already been closed";
	// InvalidParameterValueException (400); ResourceNotFoundException;
	// TooManyRequestsException (429), ServiceException (500) and the KMS
	// errors (502), which are worth a retry.
	var closed *types.CallbackTimeoutException
	var unknown *types.ResourceNotFoundException
	var invalid *types.InvalidParameterValueException
	switch {
	case err == nil:
		log.InfoContext(ctx, "callback completed with the video")
		return Completed, nil
	case errors.As(err, &closed):
		log.InfoContext(ctx, "callback already completed or timed out; nothing to do", "error", err.Error())
		return CallbackClosed, nil
	case errors.As(err, &unknown), errors.As(err, &invalid):
		log.WarnContext(ctx, "Lambda does not know the registered callback; nothing to do", "error", err.Error())
		return CallbackUnknown, nil
	default:
		log.ErrorContext(ctx, "completing the callback failed; the event will be retried", "error", err.Error())
		return "", fmt.Errorf("completing callback %s of message %s: %w", rec.CallbackID, messageID, err)
	}
}

// videoMessageID returns the message id of a job's video key,
// videos/<messageId>/<anything>.mp4 (Bedrock writes under the job's
// output URI, videos/<messageId>/, in a layout only Amazon Nova Reel
// documents).
func videoMessageID(key string) (string, bool) {
	if !strings.HasSuffix(key, config.VideoSuffix) {
		return "", false
	}
	id, ok := jobstore.MessageIDOfKey(key)
	if !ok || strings.Contains(id, "..") {
		return "", false
	}
	return id, true
}
