// Package awsfake serves in-memory fakes of the AWS APIs the video handler
// calls — Bedrock Runtime's asynchronous invocation API and S3 objects —
// over httptest servers that speak the real wire protocols (REST paths,
// JSON/XML bodies, error shapes), so tests drive them with the real
// aws-sdk-go-v2 clients.
package awsfake

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
)

// Fault is an answer a fake gives instead of serving a request.
type Fault struct {
	// Code is the error code ("ThrottlingException", "NoSuchKey", ...).
	Code string
	// Status is the HTTP status.
	Status int
	// Message is the error message.
	Message string
	// Network drops the connection without an answer instead.
	Network bool
	// AfterServing applies the fault to the response only after the
	// request was served: the operation takes effect but the client sees
	// the fault (a reply lost on the way back).
	AfterServing bool
}

// NetworkFault drops the connection.
func NetworkFault() Fault { return Fault{Network: true} }

// faults queues faults per operation.
type faults struct {
	mu     sync.Mutex
	queued map[string][]Fault
}

// add queues fs for the next calls of op.
func (f *faults) add(op string, fs ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queued == nil {
		f.queued = map[string][]Fault{}
	}
	f.queued[op] = append(f.queued[op], fs...)
}

// next takes the next queued fault of op.
func (f *faults) next(op string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queued[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	f.queued[op] = q[1:]
	return q[0], true
}

// dropConnection closes the client's connection without a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("awsfake: response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
