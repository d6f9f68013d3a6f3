package workflow

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// newLiveEnv is a workflow configured as the deployment's defaults are
// today (the catalogue's live model in its region), against fakes at the
// real date.
func newLiveEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.bedrock.Region = videomodels.DefaultRegion()
	e.bedrock.SetClock(time.Now)
	e.deps.Now = nil
	e.deps.Config = config.Defaults(bucket)
	e.deps.Config.MaxConcurrency = 4
	// These cases are about what Bedrock and S3 accept; they run on
	// polling, which needs no notifier. callback_test.go covers the
	// event-driven wait.
	e.deps.Config.CompletionCallbacks = false
	return e
}

// testPNG is an opaque w×h PNG in base64 whose first noiseRows rows are
// random (noise does not compress, so it sets the size).
func testPNG(t *testing.T, w, h, noiseRows int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{R: 200, G: 100, B: 50, A: 255}), image.Point{}, draw.Src)
	r := rand.New(rand.NewPCG(7, 7))
	for y := range min(noiseRows, h) {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(r.Uint32()), G: uint8(r.Uint32()), B: uint8(r.Uint32()), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestRealityCases runs the cases the pipeline must get right against the
// rules AWS documents today, each through the whole workflow.
func TestRealityCases(t *testing.T) {
	frame := testPNG(t, 640, 360, 0)
	big := testPNG(t, 1280, 720, 172) // about 900 KiB of base64
	type want struct {
		status, errorType, message string
		startCalls                 int
		input                      string // fragment of the job's modelInput
		videoKey                   string // fragment of the recorded video key
	}
	tests := []struct {
		name  string
		live  bool // deployment defaults today; else Nova Reel before its end of life
		setup func(e *env)
		body  string
		want  want
	}{
		{
			name: "Luma keyframe", live: true,
			body: `{"prompt":"the kettle starts to steam","image":{"bytes":"` + frame + `","format":"png"},"aspectRatio":"16:9"}`,
			want: want{status: jobstore.StatusSucceeded, startCalls: 1,
				input:    `"keyframes":{"frame0":{"source":{"data":"` + frame + `","media_type":"image/png","type":"base64"},"type":"image"}}`,
				videoKey: "/generations/"},
		},
		{
			name:  "Nova image from inputs/",
			setup: func(e *env) { e.s3.Put(bucket, "inputs/beach.jpg", []byte("jpeg bytes"), "image/jpeg") },
			body:  `{"prompt":"waves roll in","image":{"s3Uri":"s3://video-output/inputs/beach.jpg"}}`,
			want: want{status: jobstore.StatusSucceeded, startCalls: 1,
				input: `"images":[{"format":"jpeg","source":{"s3Location":{"uri":"s3://video-output/inputs/beach.jpg"}}}]`, videoKey: "/output.mp4"},
		},
		{
			name: "image missing from inputs/",
			body: `{"prompt":"waves","image":{"s3Uri":"s3://video-output/inputs/nowhere.png"}}`,
			want: want{status: jobstore.StatusFailed, errorType: "InvalidJob", startCalls: 0,
				message: "input image s3://video-output/inputs/nowhere.png does not exist"},
		},
		{
			name:  "image unreadable without list permission",
			setup: func(e *env) { e.s3.DenyList(bucket, "inputs/") },
			body:  `{"shots":[{"prompt":"a"},{"prompt":"b","image":{"s3Uri":"s3://video-output/inputs/gone.png"}}]}`,
			want: want{status: jobstore.StatusFailed, errorType: "InvalidJob", startCalls: 0,
				message: "cannot be read by the function"},
		},
		{
			name:  "image over Nova Reel's 25 MB",
			setup: func(e *env) { e.s3.Put(bucket, "inputs/huge.png", make([]byte, 25_000_001), "image/png") },
			body:  `{"prompt":"waves","image":{"s3Uri":"s3://video-output/inputs/huge.png"}}`,
			want: want{status: jobstore.StatusFailed, errorType: "InvalidJob", startCalls: 0,
				message: "is 25000001 bytes; the model accepts images of at most 25000000 bytes"},
		},
		{
			name: "image from another bucket",
			body: `{"prompt":"waves","image":{"s3Uri":"s3://someone-elses-bucket/beach.png"}}`,
			want: want{status: jobstore.StatusFailed, errorType: "InvalidJob", startCalls: 0,
				message: "this pipeline reads input images only from s3://video-output/inputs/"},
		},
		{
			name: "900 KiB body", live: true,
			body: `{"prompt":"a painting comes alive","image":{"bytes":"` + big + `","format":"png"},"endImage":{"bytes":"` + frame + `","format":"png"}}`,
			want: want{status: jobstore.StatusSucceeded, startCalls: 1, input: `"frame1"`, videoKey: ".mp4"},
		},
		{
			name:  "end of life at run time",
			setup: func(e *env) { e.bedrock.SetClock(awsfake.ClockFrom(afterNovaEndOfLife)) },
			body:  `{"prompt":"a red fox"}`,
			want: want{status: jobstore.StatusFailed, errorType: bedrockjob.CodeModelEndOfLife, startCalls: 1,
				message: "amazon.nova-reel-v1:1 is past its end of life on Amazon Bedrock and can no longer be invoked (Bedrock said ResourceNotFoundException: \"This model version has reached the end of its life"},
		},
		{
			name: "completed without a video", live: true,
			setup: func(e *env) { e.bedrock.WriteOutputTo(awsfake.NewS3(t, "unrelated")) },
			body:  `{"prompt":"p"}`,
			want:  want{status: jobstore.StatusFailed, errorType: ErrorVideoMissing, startCalls: 1, message: "Completed, but no .mp4 object is under s3://video-output/videos/m/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.live {
				e = newLiveEnv(t)
			}
			if tt.setup != nil {
				tt.setup(e)
			}
			if n := len(tt.body); n > config.MaxJobBodyBytes {
				t.Fatalf("body of %d bytes cannot be sent to SQS", n)
			} else if strings.HasPrefix(tt.name, "900 KiB") && n < 880<<10 {
				t.Fatalf("body of %d bytes, want about 900 KiB", n)
			}
			res := e.run([]events.SQSMessage{record("m", tt.body)})
			r := e.result("m")
			if got := e.bedrock.TotalStartCalls(); got != tt.want.startCalls {
				t.Errorf("%d StartAsyncInvoke calls, want %d", got, tt.want.startCalls)
			}
			if r.Status != tt.want.status {
				t.Fatalf("result %+v, want status %s", r, tt.want.status)
			}
			if tt.want.status == jobstore.StatusFailed {
				if r.Error == nil || r.Error.Type != tt.want.errorType || !strings.Contains(r.Error.Message, tt.want.message) || r.VideoURI != "" {
					t.Errorf("result %+v, want %s containing %q", r, tt.want.errorType, tt.want.message)
				}
				// The outcome is in result.json: the message is consumed,
				// not redelivered to fail again.
				if got := failures(res); len(got) != 0 {
					t.Errorf("batch item failures %v: a record with an outcome is not redelivered", got)
				}
				return
			}
			jobs := e.bedrock.Jobs()
			if len(jobs) != 1 || !strings.Contains(canonicalJSON(t, jobs[0].ModelInput), tt.want.input) {
				t.Fatalf("jobs %d; modelInput lacks %.100q", len(jobs), tt.want.input)
			}
			key, ok := strings.CutPrefix(r.VideoURI, "s3://"+bucket+"/")
			if _, exists := e.s3.Get(bucket, key); !ok || !exists || !strings.Contains(key, tt.want.videoKey) {
				t.Errorf("video %q: recorded key must exist and contain %q; keys %v", r.VideoURI, tt.want.videoKey, e.s3.Keys(bucket, "videos/"))
			}
			if len(failures(res)) != 0 {
				t.Errorf("batch item failures %v", failures(res))
			}
		})
	}
}

// canonicalJSON re-encodes a JSON document with sorted keys.
func canonicalJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
