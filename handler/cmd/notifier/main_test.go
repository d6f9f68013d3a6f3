package main_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

	// The notifier runs in the bucket's region: its ARN's, which
	// StartPlainFunction sets as AWS_REGION.
	env := []string{
		"AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=fake-secret",
		"AWS_ENDPOINT_URL_S3=" + regionChecked(t, s3.URL(), bucketRegion, "s3"),
		"AWS_ENDPOINT_URL_LAMBDA=" + regionChecked(t, lambdaAPI.URL(), functionRegion, "lambda"),
	}
	for k, v := range (config.NotifierConfig{OutputBucket: bucket, DurableFunctionARN: functionARN}).Environ() {
		env = append(env, k+"="+v)
	}
	// Its logs go straight into a file, so a line written before the
	// function answered is there once the answer arrived.
	notifier, err := durabletest.StartPlainFunction(t, binary, "arn:aws:lambda:"+bucketRegion+":123456789012:function:video-notifier", env)
	if err != nil {
		t.Fatal(err)
	}
	s3.NotifyObjectCreated(bucket, config.OutputPrefix, config.VideoSuffix, func(ctx context.Context, event []byte) error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := notifier.Invoke(ctx, event)
		return err
	})

	res, err := runner.Run(context.Background(), "job")
	if err != nil {
		t.Fatal(err)
	}
	want := jobstore.VideoLanded{Bucket: bucket, Key: key}
	if res.Status != durabletest.StatusSucceeded || res.Value != want {
		t.Fatalf("execution %s with %+v (error %+v), want %+v; notifier logs:\n%s", res.Status, res.Value, res.Error, want, notifier.Logs())
	}
	if errs := s3.NotificationErrors(); len(errs) != 0 {
		t.Errorf("the notifier failed the event: %v", errs)
	}

	// The same event again (S3 delivers at least once): done, not failed.
	s3.Put(bucket, key, []byte("mp4"), "video/mp4")
	s3.WaitNotifications()
	if errs := s3.NotificationErrors(); len(errs) != 0 {
		t.Errorf("a repeated event failed: %v\n%s", errs, notifier.Logs())
	}
	if !strings.Contains(notifier.Logs(), `"level":"INFO","msg":"callback already completed or timed out; nothing to do"`) {
		t.Errorf("the notifier's JSON logs do not record the repeated event:\n%s", notifier.Logs())
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
