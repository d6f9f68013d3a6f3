// Package completion publishes one Amazon EventBridge event when a video
// job ends, so other systems can react to a finished video (or a failed
// job) without polling S3. The event's detail is the job's result.json;
// it carries the SQS message id, which consumers use to drop duplicates
// (a publish is retried with the step that writes the result, so an event
// can arrive more than once).
package completion

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// Event fields every completion event carries.
const (
	// Source is the event's source; rules match on it.
	Source = "bedrockvideo.pipeline"
	// DetailTypeSucceeded is the detail-type of a job that produced a video.
	DetailTypeSucceeded = "Video Generation Succeeded"
	// DetailTypeFailed is the detail-type of a job that ended without one.
	DetailTypeFailed = "Video Generation Failed"
)

// MaxEntrySize is the largest PutEvents entry EventBridge accepts: the
// UTF-8 bytes of Source, DetailType, Detail and each Resources ARN, plus 14
// for Time, must stay under 256 KB ("Calculating Amazon EventBridge
// PutEvents event entry size", EventBridge user guide).
const MaxEntrySize = 256 * 1024

// FailedEntryError is an event EventBridge did not accept although the
// request succeeded (PutEvents answers partial failures with
// FailedEntryCount > 0 and an error code on the entry).
type FailedEntryError struct {
	Code    string
	Message string
}

func (e *FailedEntryError) Error() string {
	return fmt.Sprintf("EventBridge rejected the completion event: %s: %s", e.Code, e.Message)
}

// Publisher sends completion events to one event bus.
type Publisher struct {
	api *eventbridge.Client
	bus string
}

// NewFromConfig returns a Publisher for the bus named bus (in cfg's
// region).
func NewFromConfig(cfg aws.Config, bus string) *Publisher {
	return New(eventbridge.NewFromConfig(cfg), bus)
}

// New wraps an existing EventBridge client.
func New(api *eventbridge.Client, bus string) *Publisher { return &Publisher{api: api, bus: bus} }

// Bus is the event bus the publisher sends to.
func (p *Publisher) Bus() string { return p.bus }

// Entry builds the PutEvents entry of a finished job: detail-type by
// status, detail the result.json document, the Bedrock invocation as the
// event's resource when a job was started, and the completion time as the
// event time.
func Entry(bus string, r jobstore.Result) (types.PutEventsRequestEntry, error) {
	detailType := DetailType(r.Status)
	if detailType == "" {
		return types.PutEventsRequestEntry{}, fmt.Errorf("completion event of %s: status %q is not a finished job (want %s or %s)",
			r.MessageID, r.Status, jobstore.StatusSucceeded, jobstore.StatusFailed)
	}
	detail, err := json.Marshal(r)
	if err != nil {
		return types.PutEventsRequestEntry{}, fmt.Errorf("completion event of %s: encoding detail: %w", r.MessageID, err)
	}
	e := types.PutEventsRequestEntry{
		EventBusName: aws.String(bus),
		Source:       aws.String(Source),
		DetailType:   aws.String(detailType),
		Detail:       aws.String(string(detail)),
	}
	if r.InvocationArn != "" {
		e.Resources = []string{r.InvocationArn}
	}
	if t, err := time.Parse(time.RFC3339Nano, r.CompletedAt); err == nil {
		e.Time = aws.Time(t)
	}
	if n := EntrySize(e); n >= MaxEntrySize {
		return types.PutEventsRequestEntry{}, fmt.Errorf("completion event of %s: entry is %d bytes; EventBridge takes less than %d", r.MessageID, n, MaxEntrySize)
	}
	return e, nil
}

// EntrySize is an entry's size as EventBridge counts it against
// MaxEntrySize.
func EntrySize(e types.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// Publish sends the completion event of r. A partial failure
// (FailedEntryCount > 0) is a *FailedEntryError. EventBridge accepts
// events for a bus that does not exist without an error, so the bus must
// exist in the client's region.
func (p *Publisher) Publish(ctx context.Context, r jobstore.Result) (eventID string, err error) {
	entry, err := Entry(p.bus, r)
	if err != nil {
		return "", err
	}
	out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry}})
	if err != nil {
		return "", fmt.Errorf("publishing the completion event of %s to event bus %s: %w", r.MessageID, p.bus, err)
	}
	if out.FailedEntryCount > 0 || len(out.Entries) != 1 || aws.ToString(out.Entries[0].EventId) == "" {
		fe := &FailedEntryError{Code: "Unknown", Message: "no event id returned"}
		if len(out.Entries) == 1 && aws.ToString(out.Entries[0].ErrorCode) != "" {
			fe.Code, fe.Message = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
		}
		return "", fmt.Errorf("publishing the completion event of %s to event bus %s: %w", r.MessageID, p.bus, fe)
	}
	return aws.ToString(out.Entries[0].EventId), nil
}

// DetailType is the detail-type a result is published with ("" for a
// status that is not final).
func DetailType(status string) string {
	switch status {
	case jobstore.StatusSucceeded:
		return DetailTypeSucceeded
	case jobstore.StatusFailed:
		return DetailTypeFailed
	}
	return ""
}
