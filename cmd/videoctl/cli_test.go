package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

func TestHelpShowsEveryCommand(t *testing.T) {
	r := videoctl(t, "--help")
	if r.code != exitOK {
		t.Fatalf("--help: exit %d, stderr %s", r.code, r.stderr)
	}
	for _, cmd := range []string{"submit", "watch", "get", "list", "gallery"} {
		if !strings.Contains(r.stdout, "videoctl "+cmd) {
			t.Errorf("--help does not show %q:\n%s", cmd, r.stdout)
		}
	}
}

func TestSubmitWatchGet(t *testing.T) {
	w := newWorld(t)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 3})

	r := videoctl(t, "submit", "A red fox trotting through fresh snow at dawn", "--wait", "--interval", "100ms")
	if r.code != exitOK {
		t.Fatalf("submit --wait: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	id := firstLine(r.stdout)
	msgs := w.sqs.Messages(w.queue)
	if len(msgs) != 1 || msgs[0].MessageID != id {
		t.Fatalf("queue holds %+v; submit printed id %q", msgs, id)
	}
	if want := `{"prompt":"A red fox trotting through fresh snow at dawn"}`; msgs[0].Body != want {
		t.Errorf("message body = %s, want %s", msgs[0].Body, want)
	}
	// The user sees every phase, in order, and where the video is.
	out := r.stdout
	last := 0
	for _, want := range []string{"started: Bedrock job arn:aws:bedrock:", "generating with luma.ray-v2:0", "video ready: s3://" + testBucket + "/videos/" + id + "/"} {
		i := strings.Index(out[last:], want)
		if i < 0 {
			t.Fatalf("watch output lacks %q after position %d:\n%s", want, last, out)
		}
		last += i
	}
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("plain output (not a terminal) contains control characters: %q", out)
	}

	file := filepath.Join(t.TempDir(), "fox.mp4")
	g := videoctl(t, "get", id, "-o", file)
	if g.code != exitOK {
		t.Fatalf("get: exit %d, stderr %s", g.code, g.stderr)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	jobs := w.bedrock.Jobs()
	if want := "fake mp4 of " + jobs[0].InvocationArn; string(got) != want {
		t.Errorf("downloaded %q, want the video Bedrock wrote, %q", got, want)
	}
	if len(jobs) != 1 {
		t.Errorf("Bedrock ran %d jobs, want 1", len(jobs))
	}
}

func TestWatchFailedJob(t *testing.T) {
	w := newWorld(t)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 1, Fail: true, FailureMessage: "The output violates the content policy."})

	s := videoctl(t, "submit", "something the filter refuses", "--json")
	if s.code != exitOK {
		t.Fatalf("submit: exit %d, stderr %s", s.code, s.stderr)
	}
	var sent struct{ MessageID, Model string }
	if err := json.Unmarshal([]byte(s.stdout), &sent); err != nil || sent.MessageID == "" {
		t.Fatalf("submit --json printed %q: %v", s.stdout, err)
	}

	r := videoctl(t, "watch", sent.MessageID, "--interval", "100ms")
	if r.code != exitFailed {
		t.Fatalf("watch of a failed job: exit %d, want %d\n%s%s", r.code, exitFailed, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "failed: JobFailed: The output violates the content policy.") {
		t.Errorf("watch does not show the error:\n%s", r.stdout)
	}

	g := videoctl(t, "get", sent.MessageID, "-o", filepath.Join(t.TempDir(), "x.mp4"))
	if g.code != exitFailed || !strings.Contains(g.stderr, "failed, there is no video") || !strings.Contains(g.stderr, "content policy") {
		t.Errorf("get of a failed job: exit %d, stderr %q", g.code, g.stderr)
	}
}

func TestWatchJSONLines(t *testing.T) {
	w := newWorld(t)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 2})
	s := videoctl(t, "submit", "Waves at sunset", "--model", "luma.ray-v2:0", "--duration", "9")
	if s.code != exitOK {
		t.Fatalf("submit: exit %d, stderr %s", s.code, s.stderr)
	}
	id := firstLine(s.stdout)
	r := videoctl(t, "watch", id, "--json", "--interval", "100ms")
	if r.code != exitOK {
		t.Fatalf("watch --json: exit %d, stderr %s", r.code, r.stderr)
	}
	var phases []string
	var final snapshot
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var snap snapshot
		if err := json.Unmarshal(sc.Bytes(), &snap); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		phases = append(phases, snap.Phase)
		final = snap
	}
	if final.Phase != phaseSucceeded || final.MessageID != id || !strings.HasPrefix(final.VideoURI, "s3://"+testBucket+"/videos/"+id+"/") || !strings.HasSuffix(final.VideoURI, ".mp4") || final.Model != "luma.ray-v2:0" {
		t.Errorf("last JSON line = %+v, want the succeeded job with its video", final)
	}
	if len(phases) < 3 || phases[0] != phaseStarted || phases[1] != phaseGenerating {
		t.Errorf("phases %v: want started, generating, ..., succeeded", phases)
	}
	// A 9-second Luma video is expected to take longer than a 5-second one.
	if want := typical("luma.ray-v2:0", 9).Seconds(); final.TypicalSeconds != 0 && final.TypicalSeconds != want {
		t.Errorf("typicalSeconds = %v, want %v", final.TypicalSeconds, want)
	}
}

func TestWatchTimeout(t *testing.T) {
	w := newWorld(t)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
	s := videoctl(t, "submit", "a very slow video")
	r := videoctl(t, "watch", firstLine(s.stdout), "--interval", "100ms", "--timeout", "400ms")
	if r.code != exitTimeout || !strings.Contains(r.stderr, "still generating") {
		t.Errorf("watch past --timeout: exit %d, stderr %q; want %d and the job's phase", r.code, r.stderr, exitTimeout)
	}
}

func TestBadJobIsRefusedBeforeSQS(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"blank prompt", []string{"submit", "   "}, "prompt: must not be blank"},
		{"prompt too long for Luma Ray2", []string{"submit", strings.Repeat("x", 5001)}, "prompt: is 5001 characters; the limit is 5000"},
		{"model past its end of life", []string{"submit", "a fox", "--model", "amazon.nova-reel-v1:1"}, "model: amazon.nova-reel-v1:1 (Legacy) reached its end of life on Amazon Bedrock on 2026-09-30"},
		{"image outside the pipeline's inputs/", []string{"submit", "a fox", "--model", "luma.ray-v2:0", "--image", "s3://someone-else/frame.png"}, "image.s3Uri: is not supported by luma.ray-v2:0"},
		{"unknown model", []string{"submit", "a fox", "--model", "amazon.nova-reel-v9:0"}, `model: unknown model "amazon.nova-reel-v9:0"`},
		{"duration the model does not make", []string{"submit", "a fox", "--model", "luma.ray-v2:0", "--duration", "7"}, "durationSeconds"},
		{"image that is not an image", []string{"submit", "a fox", "--image", "harness_test.go"}, "--image: harness_test.go is not a PNG or JPEG image"},
		{"body with a typo", []string{"submit", "--body", "testdata/typo.json"}, "durationSecs: is not a known field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := videoctl(t, tc.args...)
			if r.code != exitFailed {
				t.Errorf("exit %d, want %d", r.code, exitFailed)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.want)
			}
			if n := w.sqs.Calls(); n != 0 {
				t.Errorf("%d SQS calls for an invalid job, want 0", n)
			}
			if n := len(w.bedrock.Jobs()); n != 0 {
				t.Errorf("%d Bedrock jobs for an invalid job, want 0", n)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	newWorld(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"submit"}, "give a prompt"},
		{[]string{"submit", "a fox", "--body", "job.json"}, "--body sends a whole job body"},
		{[]string{"watch"}, "takes 1 argument"},
		{[]string{"watch", "../../etc"}, "is not a message id"},
		{[]string{"watch", "abc", "--interval", "1ms"}, "--interval must be at least"},
		{[]string{"list", "--limit", "0"}, "--limit must be from 1"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	}
	for _, tc := range tests {
		r := videoctl(t, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("videoctl %v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, exitUsage, tc.want)
		}
	}
}

func TestGetUnknownJob(t *testing.T) {
	newWorld(t)
	r := videoctl(t, "get", "0d4c9a8e-1111-4222-8333-944455566677")
	if r.code != exitFailed || !strings.Contains(r.stderr, "is unknown") || !strings.Contains(r.stderr, "videoctl list") {
		t.Errorf("get of an unknown job: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestInvalidJobReportedByThePipeline(t *testing.T) {
	// A body that passes the local check but that the deployment refuses
	// (here: the consumer writes InvalidJob for it) ends as a failure.
	w := newWorld(t)
	if err := w.store.WriteResult(t.Context(), jobstore.Result{Status: jobstore.StatusFailed, MessageID: "5e8a7c2d-0000-4000-8000-000000000001",
		Error: &jobstore.ResultError{Type: "InvalidJob", Message: `invalid job: model: "luma.ray-v2:0" is not allowed by ALLOWED_MODEL_IDS`}, CompletedAt: "2026-11-30T12:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	r := videoctl(t, "watch", "5e8a7c2d-0000-4000-8000-000000000001", "--interval", "100ms")
	if r.code != exitFailed || !strings.Contains(r.stdout, "failed: InvalidJob: invalid job: model:") {
		t.Errorf("watch: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestWatchShowsQueuedUntilThePipelinePicksTheJobUp(t *testing.T) {
	w := newWorld(t)
	w.mu.Lock()
	w.pickUp = 500 * time.Millisecond
	w.mu.Unlock()
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 1})
	r := videoctl(t, "submit", "A lighthouse in a storm", "--wait", "--interval", "100ms")
	if r.code != exitOK {
		t.Fatalf("submit --wait: exit %d, stderr %s", r.code, r.stderr)
	}
	q, s := strings.Index(r.stdout, "queued: no Bedrock job yet"), strings.Index(r.stdout, "started: Bedrock job")
	if q < 0 || s < q {
		t.Errorf("want queued, then started:\n%s", r.stdout)
	}
}

func TestSubmitLumaKeyframesInline(t *testing.T) {
	w := newWorld(t)
	first, last := pngFile(t, 64, 36), pngFile(t, 64, 36)
	r := videoctl(t, "submit", "The camera pushes in", "--image", first, "--end-image", last)
	if r.code != exitOK {
		t.Fatalf("submit: exit %d, stderr %s", r.code, r.stderr)
	}
	var body jobspec.Body
	msgs := w.sqs.Messages(w.queue)
	if err := json.Unmarshal([]byte(msgs[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(first)
	if body.Image == nil || body.Image.Format != "png" || body.Image.Bytes != base64.StdEncoding.EncodeToString(raw) || body.EndImage == nil {
		t.Errorf("the message does not carry both keyframes inline: %.200s", msgs[0].Body)
	}
	jobs := w.bedrock.Jobs()
	if len(jobs) != 1 || !strings.Contains(string(jobs[0].ModelInput), `"keyframes"`) {
		t.Errorf("Bedrock did not receive a keyframe request: %+v", jobs)
	}
}

// pngFile writes a w×h opaque PNG and returns its path.
func pngFile(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "frame.png", buf.Bytes())
}

func TestAWSErrorsSayWhatToDo(t *testing.T) {
	w := newWorld(t)
	t.Setenv(envQueueURL, "https://sqs.us-west-2.amazonaws.com/123456789012/deleted-queue")
	r := videoctl(t, "submit", "a fox")
	if r.code != exitFailed || !strings.Contains(r.stderr, "The queue does not exist in this account and region") {
		t.Errorf("submit to a missing queue: exit %d, stderr %q", r.code, r.stderr)
	}

	// Without bedrock:GetAsyncInvoke, watch follows the job from S3 alone
	// and says why it shows less.
	t.Setenv(envQueueURL, w.queue)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
	s := videoctl(t, "submit", "a fox")
	id := firstLine(s.stdout)
	w.bedrock.Inject(awsfake.OpGetAsyncInvoke, awsfake.BedrockFault("AccessDeniedException", "User is not authorized to perform: bedrock:GetAsyncInvoke"))
	r = videoctl(t, "watch", id, "--interval", "100ms", "--timeout", "300ms")
	if r.code != exitTimeout || !strings.Contains(r.stdout, "note: cannot read the Bedrock job status") || !strings.Contains(r.stdout, "bedrock:GetAsyncInvoke") {
		t.Errorf("watch without Bedrock access: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestSubmitRetriesOnlyWhatSQSRefused(t *testing.T) {
	w := newWorld(t)
	// A throttled send was not stored: it is retried and sent once.
	w.sqs.Inject(awsfake.Fault{Code: "RequestThrottled", Status: 403, Message: "Rate exceeded"})
	if r := videoctl(t, "submit", "a fox"); r.code != exitOK || len(w.sqs.Messages(w.queue)) != 1 {
		t.Fatalf("throttled once: exit %d, %d messages, stderr %s", r.code, len(w.sqs.Messages(w.queue)), r.stderr)
	}
	// A 5xx may hide a stored message: no second attempt, and the user is
	// told to check before sending again.
	w.sqs.Inject(awsfake.Fault{Code: "InternalError", Status: 500, Message: "We encountered an internal error."})
	calls := w.sqs.Calls()
	r := videoctl(t, "submit", "a fox")
	if r.code != exitFailed || w.sqs.Calls() != calls+1 || !strings.Contains(r.stderr, "may have been queued all the same: check `videoctl list`") {
		t.Errorf("after a 500: exit %d, %d calls, stderr %q; want one call and a warning", r.code, w.sqs.Calls()-calls, r.stderr)
	}
}

func TestWatchUnknownJobSaysSo(t *testing.T) {
	newWorld(t)
	r := videoctl(t, "watch", "0d4c9a8e-1111-4222-8333-944455566677", "--interval", "100ms", "--timeout", "250ms")
	if r.code != exitTimeout || !strings.Contains(r.stdout, "nothing is recorded for this id") || !strings.Contains(r.stderr, "still queued") {
		t.Errorf("watch of an unknown id: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
}
