package durabletest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// Server serves a Service over loopback HTTP: the durable execution REST
// routes exactly as aws-sdk-go-v2's Lambda client calls them
// (CheckpointDurableExecution, GetDurableExecutionState,
// GetDurableExecution, GetDurableExecutionHistory), and the Lambda Runtime
// API a function process polls for invocations. Point the SDK at it with
// AWS_ENDPOINT_URL_LAMBDA=URL() and a runtime at it with
// AWS_LAMBDA_RUNTIME_API=Addr().
//
// REST answers follow restJson1: timestamps in epoch seconds, errors as the
// HTTP status with an X-Amzn-ErrorType header and a JSON body holding Type
// and message.
type Server struct {
	service *Service
	ln      net.Listener
	http    *http.Server
	rt      runtimeAPI
}

// NewServer starts serving s on 127.0.0.1 at a free port.
func NewServer(s *Service) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("durabletest: listen: %w", err)
	}
	srv := &Server{service: s, ln: ln}
	srv.rt.init()
	srv.http = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go srv.http.Serve(ln)
	return srv, nil
}

// URL returns the server's base URL, "http://127.0.0.1:<port>".
func (srv *Server) URL() string { return "http://" + srv.Addr() }

// Addr returns "127.0.0.1:<port>", the form AWS_LAMBDA_RUNTIME_API takes.
func (srv *Server) Addr() string { return srv.ln.Addr().String() }

// Service returns the served Service.
func (srv *Server) Service() *Service { return srv.service }

// Close stops the server.
func (srv *Server) Close() error {
	srv.rt.close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.http.Shutdown(ctx); err != nil {
		return srv.http.Close()
	}
	return nil
}

const (
	callbackPrefix = "/2025-12-01/durable-execution-callbacks/"
	durablePrefix  = "/2025-12-01/durable-executions/"
	runtimePrefix  = "/2018-06-01/runtime/"
)

// ServeHTTP routes a request. Routing uses the escaped path, because the
// SDK escapes the ARN's slashes (%2F) inside one path segment.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, durablePrefix):
		srv.serveDurable(w, r, strings.TrimPrefix(p, durablePrefix))
	case strings.HasPrefix(p, callbackPrefix):
		srv.serveCallback(w, r, strings.TrimPrefix(p, callbackPrefix))
	case strings.HasPrefix(p, runtimePrefix):
		srv.rt.serve(w, r, strings.TrimPrefix(p, runtimePrefix))
	default:
		writeAPIError(w, &wire.APIError{Code: "UnknownOperationException", Message: "Unknown operation " + r.Method + " " + p, StatusCode: 404})
	}
}

func (srv *Server) serveDurable(w http.ResponseWriter, r *http.Request, rest string) {
	seg := strings.Split(rest, "/")
	arn, err := url.PathUnescape(seg[0])
	if err != nil || len(seg) > 2 {
		writeAPIError(w, &wire.APIError{Code: "UnknownOperationException", Message: "Unknown operation " + r.URL.EscapedPath(), StatusCode: 404})
		return
	}
	action := ""
	if len(seg) == 2 {
		action = seg[1]
	}
	q := r.URL.Query()
	ctx := r.Context()
	switch {
	case r.Method == http.MethodPost && action == "checkpoint":
		var req wire.CheckpointRequest
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(body, &req)
		}
		if err != nil {
			writeAPIError(w, &wire.APIError{Code: "SerializationException", Message: "Could not read the request body: " + err.Error(), StatusCode: 400})
			return
		}
		req.DurableExecutionArn = arn
		resp, err := srv.service.Checkpoint(ctx, req)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		writeJSON(w, resp)
	case r.Method == http.MethodGet && action == "state":
		req := wire.StateRequest{DurableExecutionArn: arn, CheckpointToken: q.Get("CheckpointToken"), Marker: q.Get("Marker")}
		if s := q.Get("MaxItems"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				writeAPIError(w, validationError("Value at 'maxItems' failed to satisfy constraint: Member must be a number"))
				return
			}
			req.MaxItems = n
		}
		st, err := srv.service.GetExecutionState(ctx, req)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		writeJSON(w, st)
	case r.Method == http.MethodGet && action == "history":
		events, err := srv.service.History(arn)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		if q.Get("ReverseOrder") == "true" {
			for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
				events[i], events[j] = events[j], events[i]
			}
		}
		start := 0
		if m := q.Get("Marker"); m != "" {
			if start, err = strconv.Atoi(m); err != nil || start < 0 || start > len(events) {
				writeAPIError(w, invalidParam("Invalid marker."))
				return
			}
		}
		n := 100
		if s := q.Get("MaxItems"); s != "" {
			if v, err := strconv.Atoi(s); err == nil && v > 0 {
				n = min(v, 1000)
			}
		}
		page := struct {
			Events     []Event
			NextMarker string `json:",omitempty"`
		}{Events: events[start:min(start+n, len(events))]}
		if start+n < len(events) {
			page.NextMarker = strconv.Itoa(start + n)
		}
		writeJSON(w, page)
	case r.Method == http.MethodGet && action == "":
		info, err := srv.service.Execution(arn)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		out := map[string]any{
			"DurableExecutionArn":  info.DurableExecutionArn,
			"DurableExecutionName": info.DurableExecutionName,
			"FunctionArn":          info.FunctionArn,
			"Status":               string(info.Status),
			"StartTimestamp":       wire.At(info.StartTimestamp),
			"InputPayload":         info.InputPayload,
		}
		if !info.EndTimestamp.IsZero() {
			out["EndTimestamp"] = wire.At(info.EndTimestamp)
		}
		if info.Result != "" {
			out["Result"] = info.Result
		}
		if info.Error != nil {
			out["Error"] = info.Error
		}
		writeJSON(w, out)
	default:
		writeAPIError(w, &wire.APIError{Code: "UnknownOperationException", Message: "Unknown operation " + r.Method + " " + r.URL.EscapedPath(), StatusCode: 404})
	}
}

// serveCallback serves SendDurableExecutionCallbackSuccess (the body is
// the raw result), ...Failure (the body is the ErrorObject) and
// ...Heartbeat.
func (srv *Server) serveCallback(w http.ResponseWriter, r *http.Request, rest string) {
	seg := strings.Split(rest, "/")
	id, err := url.PathUnescape(seg[0])
	if err != nil || len(seg) != 2 || r.Method != http.MethodPost {
		writeAPIError(w, &wire.APIError{Code: "UnknownOperationException", Message: "Unknown operation " + r.Method + " " + r.URL.EscapedPath(), StatusCode: 404})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeAPIError(w, &wire.APIError{Code: "SerializationException", Message: err.Error(), StatusCode: 400})
		return
	}
	switch seg[1] {
	case "succeed":
		err = srv.service.SendCallbackSuccess(id, string(body))
	case "fail":
		var eo wire.ErrorObject
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &eo); err != nil {
				writeAPIError(w, &wire.APIError{Code: "SerializationException", Message: err.Error(), StatusCode: 400})
				return
			}
		}
		err = srv.service.SendCallbackFailure(id, &eo)
	case "heartbeat":
		err = srv.service.SendCallbackHeartbeat(id)
	default:
		err = &wire.APIError{Code: "UnknownOperationException", Message: "Unknown operation " + r.URL.EscapedPath(), StatusCode: 404}
	}
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, struct{}{})
}

// writeJSON writes v as a restJson1 body: timestamps (members named
// *Timestamp) become epoch seconds.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := restJSON(v)
	if err != nil {
		writeAPIError(w, &wire.APIError{Code: "ServiceException", Message: err.Error(), StatusCode: 500})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", strconv.FormatInt(time.Now().UnixNano(), 36))
	w.Write(b)
}

func restJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return json.Marshal(convertTimestamps(tree, ""))
}

// convertTimestamps rewrites the values of members named *Timestamp from
// the wire's epoch milliseconds (or RFC 3339 text, as Event marshals) to
// restJson1's epoch seconds.
func convertTimestamps(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = convertTimestamps(e, k)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = convertTimestamps(e, "")
		}
		return x
	case json.Number:
		if strings.HasSuffix(key, "Timestamp") {
			if ms, err := x.Int64(); err == nil {
				return epochSeconds(time.UnixMilli(ms))
			}
		}
	case string:
		if strings.HasSuffix(key, "Timestamp") {
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return epochSeconds(t)
			}
		}
	}
	return v
}

// epochSeconds renders t as restJson1 does: seconds with millisecond
// fraction.
func epochSeconds(t time.Time) json.Number {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return json.Number(strconv.FormatInt(ms/1000, 10))
	}
	return json.Number(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64))
}

// writeAPIError writes err as the service does: the status, an
// X-Amzn-ErrorType header with the code, and a JSON body with Type
// ("User" or "Service") and the message.
func writeAPIError(w http.ResponseWriter, err error) {
	var api *wire.APIError
	if !errors.As(err, &api) {
		api = &wire.APIError{Code: "ServiceException", Message: err.Error(), StatusCode: 500}
	}
	typ := "User"
	if api.StatusCode >= 500 {
		typ = "Service"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", api.Code)
	w.Header().Set("X-Amzn-RequestId", strconv.FormatInt(time.Now().UnixNano(), 36))
	w.WriteHeader(api.StatusCode)
	// ServiceException models its message as "Message", the others as
	// "message"; both are written so every modeled error reads it.
	json.NewEncoder(w).Encode(map[string]string{"Type": typ, "message": api.Message, "Message": api.Message})
}

// runtimeAPI is the Lambda Runtime API side of the server: one invocation
// at a time waits for the function's /next poll.
type runtimeAPI struct {
	mu       sync.Mutex
	pending  *rtInvocation
	ready    chan struct{}
	done     chan struct{}
	inflight map[string]*rtInvocation
	initErr  *wire.ErrorObject
}

type rtInvocation struct {
	id          string
	payload     []byte
	deadline    time.Time
	functionArn string
	outcome     chan rtOutcome // buffered 1
}

type rtOutcome struct {
	out []byte
	err *wire.ErrorObject
}

func (rt *runtimeAPI) init() {
	rt.ready = make(chan struct{}, 1)
	rt.done = make(chan struct{})
	rt.inflight = map[string]*rtInvocation{}
}

func (rt *runtimeAPI) close() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	select {
	case <-rt.done:
	default:
		close(rt.done)
	}
}

// enqueue offers an invocation to the function's next poll.
func (rt *runtimeAPI) enqueue(inv *rtInvocation) {
	rt.mu.Lock()
	rt.pending = inv
	rt.mu.Unlock()
	select {
	case rt.ready <- struct{}{}:
	default:
	}
}

// cancel forgets an invocation (its process died or was abandoned).
func (rt *runtimeAPI) cancel(id string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.pending != nil && rt.pending.id == id {
		rt.pending = nil
	}
	delete(rt.inflight, id)
}

// peekInitError returns the error the process posted to init/error, if
// any, and keeps it.
func (rt *runtimeAPI) peekInitError() *wire.ErrorObject {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.initErr
}

func (rt *runtimeAPI) takeInitError() *wire.ErrorObject {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	e := rt.initErr
	rt.initErr = nil
	return e
}

// serve answers one Runtime API request; rest is the path after
// runtimePrefix.
func (rt *runtimeAPI) serve(w http.ResponseWriter, r *http.Request, rest string) {
	switch {
	case r.Method == http.MethodGet && rest == "invocation/next":
		for {
			rt.mu.Lock()
			inv := rt.pending
			if inv != nil {
				rt.pending = nil
				rt.inflight[inv.id] = inv
			}
			rt.mu.Unlock()
			if inv != nil {
				h := w.Header()
				h.Set("Content-Type", "application/json")
				h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
				h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
				h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.functionArn)
				h.Set("Lambda-Runtime-Trace-Id", traceID(inv.id))
				w.WriteHeader(http.StatusOK)
				w.Write(inv.payload)
				return
			}
			select {
			case <-rt.ready:
			case <-rt.done:
				http.Error(w, "runtime API closed", http.StatusGone)
				return
			case <-r.Context().Done():
				return
			}
		}
	case r.Method == http.MethodPost && rest == "init/error":
		eo := readRuntimeError(r)
		rt.mu.Lock()
		rt.initErr = eo
		rt.mu.Unlock()
		writeRuntimeAccepted(w)
	case r.Method == http.MethodPost && strings.HasPrefix(rest, "invocation/"):
		parts := strings.Split(strings.TrimPrefix(rest, "invocation/"), "/")
		if len(parts) != 2 || (parts[1] != "response" && parts[1] != "error") {
			http.NotFound(w, r)
			return
		}
		rt.mu.Lock()
		inv := rt.inflight[parts[0]]
		delete(rt.inflight, parts[0])
		rt.mu.Unlock()
		if inv == nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"errorMessage": "Invalid request ID " + parts[0], "errorType": "InvalidRequestID"})
			return
		}
		var o rtOutcome
		if parts[1] == "response" {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				o.err = &wire.ErrorObject{ErrorType: "Runtime.TruncatedResponse", ErrorMessage: err.Error()}
			}
			o.out = body
		} else {
			o.err = readRuntimeError(r)
		}
		inv.outcome <- o
		writeRuntimeAccepted(w)
	default:
		http.NotFound(w, r)
	}
}

func writeRuntimeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

// readRuntimeError reads an error a runtime posts:
// {"errorMessage", "errorType", "stackTrace"}, with the type also in the
// Lambda-Runtime-Function-Error-Type header.
func readRuntimeError(r *http.Request) *wire.ErrorObject {
	var body struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
		StackTrace   []any  `json:"stackTrace"`
	}
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &body)
	eo := &wire.ErrorObject{ErrorType: body.ErrorType, ErrorMessage: body.ErrorMessage}
	if eo.ErrorType == "" {
		eo.ErrorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if eo.ErrorType == "" {
		eo.ErrorType = "Runtime.Unknown"
	}
	for _, f := range body.StackTrace {
		switch v := f.(type) {
		case string:
			eo.StackTrace = append(eo.StackTrace, v)
		default:
			b, _ := json.Marshal(v)
			eo.StackTrace = append(eo.StackTrace, string(b))
		}
	}
	return eo
}

func traceID(requestID string) string {
	h := strings.ReplaceAll(requestID, "-", "")
	for len(h) < 40 {
		h += "0"
	}
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:40])
}
