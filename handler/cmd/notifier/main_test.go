package main_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

const (
	bucket = "notifier-videos"
	// The durable function is in another region than the bucket (and the
	// notifier): the callback API must be called in the function's.
	functionRegion = "eu-west-1"
	bucketRegion   = "us-west-2"
	functionARN    = "arn:aws:lambda:" + functionRegion + ":123456789012:function:video-handler"
)

// binary is the notifier, built once for the package with the
// deployment's flags (infra/build.go) for this machine, so it can run here.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "notifier-binary")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", binary, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the notifier: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runtimeAPI is the Lambda Runtime API for one plain function process: it
// hands each queued event to the process's next poll and returns what the
// function answered.
type runtimeAPI struct {
	srv    *httptest.Server
	events chan invocation

	mu       sync.Mutex
	inflight map[string]invocation
	seq      int
}

type invocation struct {
	id      string
	payload []byte
	result  chan error // nil: the function succeeded
}

func newRuntimeAPI(t *testing.T) *runtimeAPI {
	rt := &runtimeAPI{events: make(chan invocation, 1), inflight: map[string]invocation{}}
	rt.srv = httptest.NewServer(http.HandlerFunc(rt.serve))
	t.Cleanup(rt.srv.Close)
	return rt
}

func (rt *runtimeAPI) addr() string { return strings.TrimPrefix(rt.srv.URL, "http://") }

func (rt *runtimeAPI) serve(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/"
	path := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		select {
		case inv := <-rt.events:
			rt.mu.Lock()
			rt.inflight[inv.id] = inv
			rt.mu.Unlock()
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:"+bucketRegion+":123456789012:function:video-notifier")
			w.Write(inv.payload)
		case <-r.Context().Done():
		}
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, outcome, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		body, _ := io.ReadAll(r.Body)
		rt.mu.Lock()
		inv, ok := rt.inflight[id]
		delete(rt.inflight, id)
		rt.mu.Unlock()
		if !ok {
			http.Error(w, "unknown invocation "+id, http.StatusBadRequest)
			return
		}
		if outcome == "error" {
			inv.result <- fmt.Errorf("function error: %s", body)
		} else {
			inv.result <- nil
		}
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(r.Body)
		http.Error(w, "init error: "+string(body), http.StatusForbidden)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

// invoke delivers one event, as Lambda's asynchronous invocation does, and
// waits for the function's answer.
func (rt *runtimeAPI) invoke(ctx context.Context, event []byte) error {
	rt.mu.Lock()
	rt.seq++
	inv := invocation{id: fmt.Sprintf("req-%d", rt.seq), payload: event, result: make(chan error, 1)}
	rt.mu.Unlock()
	select {
	case rt.events <- inv:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-inv.result:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("the notifier did not answer within 30 s")
	}
}

// regionChecked proxies to target and records a failure for every request
// not signed for region and service (SigV4 credential scope).
func regionChecked(t *testing.T, target, region, service string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scope := "/" + region + "/" + service + "/aws4_request"; !strings.Contains(r.Header.Get("Authorization"), scope) {
			t.Errorf("%s %s signed %q, want the scope %s", r.Method, r.URL.Path, r.Header.Get("Authorization"), scope)
			http.Error(w, "wrong region", http.StatusForbidden)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBinaryCompletesTheCallbackInTheFunctionsRegion runs the notifier
// binary as Lambda would (Runtime API, environment from the deployment's
// settings contract) between the S3 fake, which notifies it when the video
// lands, and durabletest's Lambda API, where a durable execution waits on
// the callback registered in callback.json.
func TestBinaryCompletesTheCallbackInTheFunctionsRegion(t *testing.T) {
	s3 := awsfake.NewS3(t, bucket)
	store := jobstore.NewFromConfig(awsfake.ClientConfig(s3.URL()), bucket)
	rt := newRuntimeAPI(t)
	s3.NotifyObjectCreated(bucket, config.OutputPrefix, config.VideoSuffix, rt.invoke)

	const key = "videos/m-1/abc123def456/output.mp4"
	runner := durabletest.NewRunner(func(ctx durable.Context, _ string) (jobstore.VideoLanded, error) {
		return durable.WaitForCallback[jobstore.VideoLanded](ctx, "video-landed", func(sc durable.StepContext, id string) error {
			return store.PutCallback(sc, jobstore.CallbackRecord{CallbackID: id, MessageID: "m-1", CreatedAt: time.Now().UTC()})
		}, durable.WithCallbackTimeout(10*time.Minute))
	}, durabletest.WithOnBlocked(func(context.Context, *durabletest.Service, string) error {
		s3.Put(bucket, key, []byte("mp4"), "video/mp4") // Bedrock writes the video
		s3.WaitNotifications()
		return nil
	}))
	lambdaAPI, err := durabletest.NewServer(runner.Service())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lambdaAPI.Close() })

	env := config.NotifierConfig{OutputBucket: bucket, DurableFunctionARN: functionARN}.Environ()
	cmd := exec.Command(binary)
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + rt.addr(),
		"AWS_REGION=" + bucketRegion,
		"AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=fake-secret",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_S3=" + regionChecked(t, s3.URL(), bucketRegion, "s3"),
		"AWS_ENDPOINT_URL_LAMBDA=" + regionChecked(t, lambdaAPI.URL(), functionRegion, "lambda"),
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// The process writes its logs straight into a file (no copying
	// goroutine), so a line written before the function answered is there
	// once the answer arrived.
	logFile, err := os.Create(filepath.Join(t.TempDir(), "notifier.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	logs := fileText{logFile.Name()}

	res, err := runner.Run(context.Background(), "job")
	if err != nil {
		t.Fatal(err)
	}
	want := jobstore.VideoLanded{Bucket: bucket, Key: key}
	if res.Status != durabletest.StatusSucceeded || res.Value != want {
		t.Fatalf("execution %s with %+v (error %+v), want %+v; notifier logs:\n%s", res.Status, res.Value, res.Error, want, logs.String())
	}
	if errs := s3.NotificationErrors(); len(errs) != 0 {
		t.Errorf("the notifier failed the event: %v", errs)
	}

	// The same event again (S3 delivers at least once): done, not failed.
	s3.Put(bucket, key, []byte("mp4"), "video/mp4")
	s3.WaitNotifications()
	if errs := s3.NotificationErrors(); len(errs) != 0 {
		t.Errorf("a repeated event failed: %v\n%s", errs, logs.String())
	}
	if !strings.Contains(logs.String(), `"level":"INFO","msg":"callback already completed or timed out; nothing to do"`) {
		t.Errorf("the notifier's JSON logs do not record the repeated event:\n%s", logs.String())
	}
}

// TestBinaryRefusesABadConfiguration checks that a notifier deployed
// without its settings stops at start with a message naming each variable.
func TestBinaryRefusesABadConfiguration(t *testing.T) {
	cmd := exec.Command(binary)
	cmd.Env = []string{config.EnvDurableFunctionARN + "=video-handler"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; output:\n%s", err, out)
	}
	for _, want := range []string{config.EnvOutputBucket + " is required", config.EnvDurableFunctionARN + `="video-handler" must be an unqualified Lambda function ARN`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
}

// fileText reads a log file's current text.
type fileText struct{ path string }

func (f fileText) String() string {
	b, err := os.ReadFile(f.path)
	if err != nil {
		return "(reading " + f.path + ": " + err.Error() + ")"
	}
	return string(b)
}
