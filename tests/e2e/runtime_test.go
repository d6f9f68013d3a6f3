package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// plainFunction runs a compiled plain (not durable) Lambda function the way
// Lambda does for the provided.al2023 runtime: one long-lived process
// polling a Runtime API (GET /2018-06-01/runtime/invocation/next, then POST
// .../invocation/{id}/response or .../error) served here.
type plainFunction struct {
	arn   string
	srv   *httptest.Server
	queue chan *plainInvocation

	mu      sync.Mutex
	pending map[string]*plainInvocation
	seq     int
	initErr string
	// logFile receives the process's stdout and stderr directly (no
	// copying goroutine), so a line written before the function answered
	// is in it once the answer arrived.
	logFile string
}

type plainInvocation struct {
	id      string
	payload []byte
	done    chan plainOutcome
}

type plainOutcome struct {
	body []byte
	err  error
}

// startPlainFunction starts binary with env plus the Lambda runtime
// variables; it is stopped when the test ends.
func startPlainFunction(t *testing.T, binary, arn string, env []string) *plainFunction {
	t.Helper()
	f := &plainFunction{arn: arn, queue: make(chan *plainInvocation), pending: map[string]*plainInvocation{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)

	cmd := exec.Command(binary)
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(f.srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=" + arn[strings.LastIndex(arn, ":")+1:],
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=AKIDE2ENOTIFIER",
		"AWS_SECRET_ACCESS_KEY=e2e-secret",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"TZ=:UTC",
		"PATH=" + os.Getenv("PATH"),
	}, env...)
	f.logFile = filepath.Join(t.TempDir(), "function.log")
	out, err := os.Create(f.logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child keeps its own copy of the descriptor
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", binary, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return f
}

// Logs returns what the process wrote so far.
func (f *plainFunction) Logs() string {
	b, err := os.ReadFile(f.logFile)
	if err != nil {
		return fmt.Sprintf("(reading the function's log: %v)", err)
	}
	return string(b)
}

// Invoke runs one invocation with payload and returns the function's
// response, or its error (an invocation error, or the function never taking
// the invocation before ctx ends).
func (f *plainFunction) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.mu.Lock()
	f.seq++
	inv := &plainInvocation{id: fmt.Sprintf("e2e-%06d", f.seq), payload: payload, done: make(chan plainOutcome, 1)}
	f.pending[inv.id] = inv
	initErr := f.initErr
	f.mu.Unlock()
	if initErr != "" {
		return nil, fmt.Errorf("function failed to initialize: %s", initErr)
	}
	select {
	case f.queue <- inv:
	case <-ctx.Done():
		return nil, fmt.Errorf("the function did not take invocation %s: %w", inv.id, ctx.Err())
	}
	select {
	case o := <-inv.done:
		return o.body, o.err
	case <-ctx.Done():
		return nil, fmt.Errorf("invocation %s did not finish: %w", inv.id, ctx.Err())
	}
}

func (f *plainFunction) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2018-06-01/runtime/")
	switch {
	case !ok:
		http.NotFound(w, r)
	case rest == "invocation/next" && r.Method == http.MethodGet:
		select {
		case inv := <-f.queue:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", f.arn)
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload)
		case <-r.Context().Done():
		}
	case rest == "init/error" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.initErr = string(body)
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case strings.HasPrefix(rest, "invocation/") && r.Method == http.MethodPost:
		id, kind, _ := strings.Cut(strings.TrimPrefix(rest, "invocation/"), "/")
		body, err := io.ReadAll(r.Body)
		f.mu.Lock()
		inv, known := f.pending[id]
		delete(f.pending, id)
		f.mu.Unlock()
		if !known || err != nil || (kind != "response" && kind != "error") {
			http.Error(w, `{"errorMessage":"unknown invocation","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		o := plainOutcome{body: body}
		if kind == "error" {
			o = plainOutcome{err: errors.New("function error: " + string(body))}
		}
		inv.done <- o
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}
