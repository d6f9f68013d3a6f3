package durabletest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// PlainTimeout is the function timeout of a PlainFunction: an invocation
// the function has not answered this long after it took it fails with
// Sandbox.Timedout and the process is stopped, as Lambda does.
const PlainTimeout = 30 * time.Second

// TestHost is what StartPlainFunction needs of a test: somewhere to put
// the function's log and a way to stop the function when the test ends.
// *testing.T and *testing.B satisfy it.
type TestHost interface {
	Cleanup(func())
	TempDir() string
}

// PlainFunction is a compiled plain (not durable) Lambda function running
// the way Lambda runs it on the provided.al2023 runtime: one long-lived
// process polling the Lambda Runtime API (GET
// /2018-06-01/runtime/invocation/next, then POST
// .../invocation/{id}/response or .../error, or .../init/error when it
// cannot start), served on 127.0.0.1. It takes one invocation at a time; a
// process that exited is not restarted.
type PlainFunction struct {
	arn     string
	binary  string
	logFile string
	ln      net.Listener
	http    *http.Server
	rt      runtimeAPI

	// busy holds a token while an invocation runs: an execution
	// environment runs one invocation at a time.
	busy chan struct{}
	seq  int

	cmd     *exec.Cmd
	exited  chan struct{}
	mu      sync.Mutex
	waitErr error
}

// StartPlainFunction starts the function binary at path binary as the
// function arn (an unqualified or qualified Lambda function ARN, whose
// region becomes AWS_REGION) with the variables Lambda sets for a
// provided.al2023 function, fake static credentials, and env last (a later
// value of a variable wins). The process does not inherit this process's
// environment except PATH and, when set, GOCOVERDIR. Its stdout and stderr
// go straight into a file in tb.TempDir() (see Logs). The process and the
// Runtime API are stopped by tb.Cleanup.
func StartPlainFunction(tb TestHost, binary, arn string, env []string) (*PlainFunction, error) {
	region, name, err := parseFunctionARN(arn)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(binary)
	if err != nil {
		return nil, fmt.Errorf("durabletest: function binary: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("durabletest: function binary: %w", err)
	}
	f := &PlainFunction{arn: arn, binary: abs, busy: make(chan struct{}, 1), exited: make(chan struct{})}
	f.rt.init()
	f.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("durabletest: listen: %w", err)
	}
	f.http = &http.Server{Handler: http.HandlerFunc(f.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	go f.http.Serve(f.ln)
	tb.Cleanup(f.closeServer)

	f.logFile = filepath.Join(tb.TempDir(), "function.log")
	out, err := os.Create(f.logFile)
	if err != nil {
		return nil, fmt.Errorf("durabletest: function log: %w", err)
	}
	defer out.Close() // the child keeps its own copy of the descriptor

	dir := filepath.Dir(abs)
	cmd := exec.Command(abs)
	cmd.Dir = dir
	cmd.Env = lambdaEnviron(lambdaProcess{
		runtimeAPI: f.ln.Addr().String(),
		region:     region,
		name:       name,
		version:    "$LATEST",
		binary:     abs,
	})
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("durabletest: start %s: %w", abs, err)
	}
	f.cmd = cmd
	go func() {
		err := cmd.Wait()
		f.mu.Lock()
		f.waitErr = err
		f.mu.Unlock()
		close(f.exited)
	}()
	tb.Cleanup(f.stop)
	return f, nil
}

// parseFunctionARN returns the region and name of a Lambda function ARN,
// arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>].
func parseFunctionARN(arn string) (region, name string, err error) {
	p := strings.Split(arn, ":")
	if len(p) < 7 || len(p) > 8 || p[0] != "arn" || p[2] != "lambda" || p[3] == "" || p[5] != "function" || p[6] == "" {
		return "", "", fmt.Errorf("durabletest: function ARN %q must be arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]", arn)
	}
	return p[3], p[6], nil
}

func (f *PlainFunction) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, runtimePrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.rt.serve(w, r, rest)
}

// ARN returns the function's ARN, as the Runtime API hands it to every
// invocation (Lambda-Runtime-Invoked-Function-Arn).
func (f *PlainFunction) ARN() string { return f.arn }

// Logs returns what the process wrote to stdout and stderr so far. A line
// written before the function answered an invocation is there once Invoke
// returned.
func (f *PlainFunction) Logs() string {
	b, err := os.ReadFile(f.logFile)
	if err != nil {
		return fmt.Sprintf("(reading the function's log: %v)", err)
	}
	return string(b)
}

// FunctionError is an invocation the function failed: what it posted to
// .../invocation/{id}/error, or what Lambda reports when the process
// failed to initialize (Runtime.*), exited (Runtime.ExitError) or timed
// out (Sandbox.Timedout).
type FunctionError struct {
	RequestID string
	Type      string
	Message   string
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error in invocation %s: %s: %s", e.RequestID, e.Type, e.Message)
}

// Invoke runs one invocation with payload (a JSON event) and returns the
// function's response. It fails with a *FunctionError when the function
// answered with an error, failed to initialize, exited or did not answer
// within PlainTimeout; and with ctx's error when ctx ended first. Calls
// take turns.
func (f *PlainFunction) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case f.busy <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("durabletest: waiting for the function to be free: %w", ctx.Err())
	}
	defer func() { <-f.busy }()
	f.seq++
	id := fmt.Sprintf("plain-%06d-0000-4000-8000-000000000000", f.seq)
	if eo := f.rt.peekInitError(); eo != nil {
		return nil, &FunctionError{RequestID: id, Type: eo.ErrorType, Message: eo.ErrorMessage}
	}
	deadline := time.Now().Add(PlainTimeout)
	inv := &rtInvocation{id: id, payload: payload, deadline: deadline, functionArn: f.arn, outcome: make(chan rtOutcome, 1)}
	f.rt.enqueue(inv)
	defer f.rt.cancel(id)
	timeout := time.NewTimer(time.Until(deadline))
	defer timeout.Stop()
	select {
	case o := <-inv.outcome:
		return f.outcome(id, o)
	case <-f.exited:
		// A response posted just before the exit still counts.
		select {
		case o := <-inv.outcome:
			return f.outcome(id, o)
		default:
		}
		if eo := f.rt.peekInitError(); eo != nil {
			return nil, &FunctionError{RequestID: id, Type: eo.ErrorType, Message: eo.ErrorMessage}
		}
		f.mu.Lock()
		reason := "Runtime exited without providing a reason"
		if f.waitErr != nil {
			reason = "Runtime exited with error: " + f.waitErr.Error()
		}
		f.mu.Unlock()
		return nil, &FunctionError{RequestID: id, Type: "Runtime.ExitError", Message: fmt.Sprintf("RequestId: %s Error: %s", id, reason)}
	case <-timeout.C:
		f.stop()
		return nil, &FunctionError{RequestID: id, Type: "Sandbox.Timedout", Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, PlainTimeout.Seconds())}
	case <-ctx.Done():
		return nil, fmt.Errorf("durabletest: invocation %s did not finish: %w", id, ctx.Err())
	}
}

func (f *PlainFunction) outcome(id string, o rtOutcome) ([]byte, error) {
	if o.err != nil {
		return nil, &FunctionError{RequestID: id, Type: o.err.ErrorType, Message: o.err.ErrorMessage}
	}
	return o.out, nil
}

// stop kills the process and waits for it.
func (f *PlainFunction) stop() {
	select {
	case <-f.exited:
		return
	default:
	}
	_ = f.cmd.Process.Kill()
	select {
	case <-f.exited:
	case <-time.After(10 * time.Second):
	}
}

func (f *PlainFunction) closeServer() {
	f.rt.close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := f.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = f.http.Close()
	}
}
