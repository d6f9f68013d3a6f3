package awsfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// OpPutEvents is the EventBridge operation name, for Inject.
const OpPutEvents = "PutEvents"

// EventBridge limits the fake enforces (Amazon EventBridge API reference,
// PutEvents; user guide, "Calculating Amazon EventBridge PutEvents event
// entry size").
const (
	maxPutEventsEntries = 10
	maxPutEventsSize    = 256 * 1024
	maxDetailTypeLength = 128
)

// Event is one event the EventBridge fake accepted.
type Event struct {
	ID         string
	Bus        string
	Source     string
	DetailType string
	Detail     json.RawMessage
	Resources  []string
	Time       time.Time
	// Delivered is false when the bus does not exist: EventBridge accepts
	// such an event (it returns an event id and counts no failure) and
	// drops it.
	Delivered bool
}

// EntryFault makes EventBridge fail one entry of a successful PutEvents
// request (FailedEntryCount > 0) with this code and message.
type EntryFault struct {
	Code, Message string
}

// EventBridge is a fake of Amazon EventBridge's PutEvents speaking AWS JSON
// 1.1 (POST /, X-Amz-Target: AWSEvents.PutEvents) as aws-sdk-go-v2 does.
type EventBridge struct {
	server *httptest.Server
	faults faults

	mu          sync.Mutex
	buses       map[string]bool
	events      []Event
	entryFaults []EntryFault
	requests    int
	seq         int
}

// NewEventBridge starts a fake with the default event bus and the named
// extra buses; it is closed at cleanup.
func NewEventBridge(t interface{ Cleanup(func()) }, buses ...string) *EventBridge {
	e := &EventBridge{buses: map[string]bool{"default": true}}
	for _, b := range buses {
		e.buses[b] = true
	}
	e.server = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.server.Close)
	return e
}

// URL is the endpoint to give the client (AWS_ENDPOINT_URL_EVENTBRIDGE).
func (e *EventBridge) URL() string { return e.server.URL }

// Inject queues request-level faults for PutEvents.
func (e *EventBridge) Inject(fs ...Fault) { e.faults.add(OpPutEvents, fs...) }

// FailEntries makes the next entries fail one by one, in order.
func (e *EventBridge) FailEntries(fs ...EntryFault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entryFaults = append(e.entryFaults, fs...)
}

// Events returns the accepted events in arrival order.
func (e *EventBridge) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

// Requests counts PutEvents requests that reached the fake (faulted ones
// included).
func (e *EventBridge) Requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

type putEventsEntry struct {
	EventBusName *string  `json:"EventBusName"`
	Source       *string  `json:"Source"`
	DetailType   *string  `json:"DetailType"`
	Detail       *string  `json:"Detail"`
	Resources    []string `json:"Resources"`
	Time         *float64 `json:"Time"`
	TraceHeader  *string  `json:"TraceHeader"`
}

type putEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

func (e *EventBridge) serve(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.requests++
	e.mu.Unlock()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		writeJSON11Error(w, http.StatusNotFound, "UnknownOperationException", fmt.Sprintf("%s %s is not an EventBridge route", r.Method, r.URL.Path))
		return
	case r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents":
		writeJSON11Error(w, http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("X-Amz-Target %q is not AWSEvents.PutEvents", r.Header.Get("X-Amz-Target")))
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		writeJSON11Error(w, http.StatusBadRequest, "SerializationException", fmt.Sprintf("Content-Type %q is not application/x-amz-json-1.1", r.Header.Get("Content-Type")))
		return
	case r.Header.Get("Authorization") == "":
		writeJSON11Error(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Request is missing Authentication Token")
		return
	}
	if f, ok := e.faults.next(OpPutEvents); ok && !f.AfterServing {
		writeJSON11Fault(w, f)
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeJSON11Error(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	var in struct {
		Entries    []putEventsEntry `json:"Entries"`
		EndpointID *string          `json:"EndpointId"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON11Error(w, http.StatusBadRequest, "SerializationException", "request body is not valid JSON: "+err.Error())
		return
	}
	if n := len(in.Entries); n < 1 || n > maxPutEventsEntries {
		writeJSON11Error(w, http.StatusBadRequest, "ValidationException",
			fmt.Sprintf("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and %d (got %d)", maxPutEventsEntries, n))
		return
	}
	total := 0
	for _, en := range in.Entries {
		total += entrySize(en)
	}
	if total >= maxPutEventsSize {
		writeJSON11Error(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf("Total size of the entries in the request is over the limit (%d bytes)", total))
		return
	}

	out := struct {
		FailedEntryCount int                    `json:"FailedEntryCount"`
		Entries          []putEventsResultEntry `json:"Entries"`
	}{Entries: []putEventsResultEntry{}}
	e.mu.Lock()
	for _, en := range in.Entries {
		res := e.acceptLocked(en)
		if res.ErrorCode != "" {
			out.FailedEntryCount++
		}
		out.Entries = append(out.Entries, res)
	}
	e.mu.Unlock()
	if f, ok := e.faults.next(OpPutEvents); ok && f.AfterServing {
		writeJSON11Fault(w, f)
		return
	}
	writeJSON11(w, http.StatusOK, out)
}

// acceptLocked validates one entry and records it, or returns its error
// with a code PutEventsResultEntry documents (InvalidArgument,
// MalformedDetail; EventBridge API reference).
func (e *EventBridge) acceptLocked(en putEventsEntry) putEventsResultEntry {
	if en.Source == nil || *en.Source == "" || en.DetailType == nil || *en.DetailType == "" || en.Detail == nil {
		return putEventsResultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameters Source, DetailType and Detail are required."}
	}
	if len(*en.DetailType) > maxDetailTypeLength {
		return putEventsResultEntry{ErrorCode: "InvalidArgument", ErrorMessage: fmt.Sprintf("DetailType is longer than %d characters.", maxDetailTypeLength)}
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(*en.Detail), &detail); err != nil || detail == nil {
		return putEventsResultEntry{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
	}
	if len(e.entryFaults) > 0 {
		f := e.entryFaults[0]
		e.entryFaults = e.entryFaults[1:]
		return putEventsResultEntry{ErrorCode: f.Code, ErrorMessage: f.Message}
	}
	bus := "default"
	if en.EventBusName != nil && *en.EventBusName != "" {
		bus = *en.EventBusName
	}
	e.seq++
	ev := Event{
		ID:  fmt.Sprintf("%08x-0000-4000-8000-%012x", e.seq, e.seq),
		Bus: bus, Source: *en.Source, DetailType: *en.DetailType,
		Detail: json.RawMessage(*en.Detail), Resources: en.Resources,
		Delivered: e.buses[bus],
	}
	if en.Time != nil {
		// Epoch seconds with a millisecond fraction, as the SDK sends it.
		ev.Time = time.UnixMilli(int64(math.Round(*en.Time * 1000))).UTC()
	}
	e.events = append(e.events, ev)
	return putEventsResultEntry{EventID: ev.ID}
}

// entrySize counts an entry as EventBridge does against its size limit.
func entrySize(en putEventsEntry) int {
	n := 0
	for _, s := range []*string{en.Source, en.DetailType, en.Detail} {
		if s != nil {
			n += len(*s)
		}
	}
	if en.Time != nil {
		n += 14
	}
	for _, r := range en.Resources {
		n += len(r)
	}
	return n
}

func writeJSON11(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/x-amz-json-1.1", v)
}

// writeJSON11Error writes an error as AWS JSON 1.1 services do: __type and
// message in the body.
func writeJSON11Error(w http.ResponseWriter, status int, code, message string) {
	writeJSON11(w, status, map[string]string{"__type": code, "message": message})
}

func writeJSON11Fault(w http.ResponseWriter, f Fault) {
	if f.Network {
		dropConnection(w)
		return
	}
	writeJSON11Error(w, f.Status, f.Code, f.Message)
}
