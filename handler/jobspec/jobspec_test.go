package jobspec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

var allModels = Policy{Default: NovaReelV11, Allowed: []string{NovaReelV10, NovaReelV11, LumaRay2}, Bucket: "bucket-name"}

// pngBase64 returns a base64 PNG of the given size, every pixel opaque.
func pngBase64(t testing.TB, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{R: 40, G: 90, B: 200, A: 255}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func jpegBase64(t testing.TB, w, h int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// canonical re-encodes JSON with sorted keys so expectations can be written
// in any key order.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestParseBuildsModelRequests(t *testing.T) {
	png720 := pngBase64(t, 1280, 720)
	jpg720 := jpegBase64(t, 1280, 720)
	tests := []struct {
		name    string
		models  Policy
		body    string
		task    string
		model   string
		seconds int
		input   string
	}{
		{
			name:    "default model, 6-second text video",
			models:  Policy{Default: NovaReelV11},
			body:    `{"prompt":"a red fox in snow"}`,
			task:    TaskTextVideo,
			model:   NovaReelV11,
			seconds: 6,
			input:   `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"a red fox in snow"},"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720"}}`,
		},
		{
			name:    "seed 0 is kept",
			models:  Policy{Default: NovaReelV11},
			body:    `{"prompt":"p","seed":0,"durationSeconds":6}`,
			task:    TaskTextVideo,
			model:   NovaReelV11,
			seconds: 6,
			input:   `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p"},"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720","seed":0}}`,
		},
		{
			name:    "largest seed",
			models:  Policy{Default: NovaReelV11},
			body:    `{"prompt":"p","seed":2147483646}`,
			task:    TaskTextVideo,
			model:   NovaReelV11,
			seconds: 6,
			input:   `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p"},"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720","seed":2147483646}}`,
		},
		{
			name:    "image from S3, format from the key",
			models:  Policy{Default: NovaReelV11, Bucket: "in-bucket"},
			body:    `{"prompt":"p","image":{"s3Uri":"s3://in-bucket/inputs/frames/first.PNG"}}`,
			task:    TaskTextVideo,
			model:   NovaReelV11,
			seconds: 6,
			input:   `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p","images":[{"format":"png","source":{"s3Location":{"uri":"s3://in-bucket/inputs/frames/first.PNG"}}}]},"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720"}}`,
		},
		{
			name:    "image as base64 bytes, jpg alias",
			models:  Policy{Default: NovaReelV10},
			body:    `{"prompt":"p","image":{"bytes":"` + jpg720 + `","format":"jpg"}}`,
			task:    TaskTextVideo,
			model:   NovaReelV10,
			seconds: 6,
			input:   `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p","images":[{"format":"jpeg","source":{"bytes":"` + jpg720 + `"}}]},"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720"}}`,
		},
		{
			name:    "two-minute automated multi-shot",
			models:  Policy{Default: NovaReelV11},
			body:    `{"prompt":"a documentary","durationSeconds":120,"seed":7}`,
			task:    TaskMultiShotAutomated,
			model:   NovaReelV11,
			seconds: 120,
			input:   `{"taskType":"MULTI_SHOT_AUTOMATED","multiShotAutomatedParams":{"text":"a documentary"},"videoGenerationConfig":{"durationSeconds":120,"fps":24,"dimension":"1280x720","seed":7}}`,
		},
		{
			name:    "manual shots with an image on one",
			models:  Policy{Default: NovaReelV11},
			body:    `{"shots":[{"prompt":"one"},{"prompt":"two","image":{"bytes":"` + png720 + `","format":"png"}}]}`,
			task:    TaskMultiShotManual,
			model:   NovaReelV11,
			seconds: 12,
			input:   `{"taskType":"MULTI_SHOT_MANUAL","multiShotManualParams":{"shots":[{"text":"one"},{"text":"two","image":{"format":"png","source":{"bytes":"` + png720 + `"}}}]},"videoGenerationConfig":{"fps":24,"dimension":"1280x720"}}`,
		},
		{
			name:    "Luma defaults",
			models:  allModels,
			body:    `{"prompt":"waves","model":"luma.ray-v2:0"}`,
			task:    TaskLumaTextVideo,
			model:   LumaRay2,
			seconds: 5,
			input:   `{"prompt":"waves","aspect_ratio":"16:9","loop":false,"duration":"5s","resolution":"720p"}`,
		},
		{
			name:    "Luma 9 s square loop at 540p",
			models:  Policy{Default: LumaRay2},
			body:    `{"prompt":"waves","durationSeconds":9,"aspectRatio":"1:1","resolution":"540p","loop":true}`,
			task:    TaskLumaTextVideo,
			model:   LumaRay2,
			seconds: 9,
			input:   `{"prompt":"waves","aspect_ratio":"1:1","loop":true,"duration":"9s","resolution":"540p"}`,
		},
		{
			name:    "prompt with HTML characters is passed through unescaped",
			models:  Policy{Default: NovaReelV11},
			body:    `{"prompt":"cats <b>&</b> dogs"}`,
			task:    TaskTextVideo,
			model:   NovaReelV11,
			seconds: 6,
			input:   `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"cats <b>&</b> dogs"},"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := Parse(tt.body, tt.models)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if job.Task != tt.task || job.Model != tt.model || job.VideoSeconds != tt.seconds {
				t.Errorf("got task %s model %s seconds %d, want %s %s %d", job.Task, job.Model, job.VideoSeconds, tt.task, tt.model, tt.seconds)
			}
			if got, want := canonical(t, string(job.ModelInput)), canonical(t, tt.input); got != want {
				t.Errorf("modelInput\n got %s\nwant %s", got, want)
			}
			if strings.Contains(tt.body, "<b>") && !strings.Contains(string(job.ModelInput), "<b>&</b>") {
				t.Errorf("prompt was escaped: %s", job.ModelInput)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	png720 := pngBase64(t, 1280, 720)
	small := pngBase64(t, 640, 360)
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name   string
		models Policy
		body   string
		field  string
		rule   string // substring of the rule
	}{
		{"not JSON", allModels, `make me a video`, "body", "must be a JSON object"},
		{"broken JSON", allModels, `{"prompt": "x",}`, "body", "not valid JSON"},
		{"truncated JSON", allModels, `{"prompt": "x"`, "body", "not valid JSON"},
		{"JSON array", allModels, `[{"prompt":"x"}]`, "body", "must be a JSON object"},
		{"null", allModels, `null`, "body", "must be a JSON object"},
		{"empty body", allModels, ``, "body", "is empty"},
		{"trailing data", allModels, `{"prompt":"x"} {"prompt":"y"}`, "body", "data after the JSON object"},
		{"invalid UTF-8", allModels, "{\"prompt\":\"\xff\"}", "body", "UTF-8"},
		{"too large", allModels, `{"prompt":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "body", "largest SQS message"},
		{"unknown field", allModels, `{"prompt":"x","durationSecs":12}`, "durationSecs", "not a known field"},
		{"missing prompt", allModels, `{"durationSeconds":6}`, "prompt", "is required"},
		{"blank prompt", allModels, `{"prompt":"   "}`, "prompt", "must not be blank"},
		{"oversized 6-s prompt counts characters", allModels, `{"prompt":"` + long(513) + `"}`, "prompt", "513 characters; the limit is 512"},
		{"oversized multi-shot prompt", allModels, `{"prompt":"` + long(4001) + `","durationSeconds":12}`, "prompt", "limit is 4000"},
		{"oversized Luma prompt", allModels, `{"prompt":"` + long(5001) + `","model":"luma.ray-v2:0"}`, "prompt", "limit is 5000"},
		{"prompt of wrong type", allModels, `{"prompt":42}`, "prompt", "must be a string"},
		{"fractional duration", allModels, `{"prompt":"x","durationSeconds":6.5}`, "durationSeconds", "must be an integer"},
		{"duration not a multiple of 6", allModels, `{"prompt":"x","durationSeconds":15}`, "durationSeconds", "multiple of 6 from 12 to 120"},
		{"duration too long", allModels, `{"prompt":"x","durationSeconds":126}`, "durationSeconds", "multiple of 6 from 12 to 120"},
		{"zero duration", allModels, `{"prompt":"x","durationSeconds":0}`, "durationSeconds", "got 0"},
		{"Nova 1.0 only makes 6 s", Policy{Default: NovaReelV10}, `{"prompt":"x","durationSeconds":12}`, "durationSeconds", "6-second videos only"},
		{"Nova 1.0 has no shots", Policy{Default: NovaReelV10}, `{"shots":[{"prompt":"a"},{"prompt":"b"}]}`, "shots", "multi-shot videos need amazon.nova-reel-v1:1"},
		{"Luma 6 s", allModels, `{"prompt":"x","model":"luma.ray-v2:0","durationSeconds":6}`, "durationSeconds", "must be 5 or 9"},
		{"Luma aspect ratio", allModels, `{"prompt":"x","model":"luma.ray-v2:0","aspectRatio":"2:1"}`, "aspectRatio", "must be one of 1:1, 16:9"},
		{"Luma resolution", allModels, `{"prompt":"x","model":"luma.ray-v2:0","resolution":"1080p"}`, "resolution", "must be one of 540p, 720p"},
		{"Luma seed", allModels, `{"prompt":"x","model":"luma.ray-v2:0","seed":1}`, "seed", "not supported by luma.ray-v2:0"},
		{"Luma image", allModels, `{"prompt":"x","model":"luma.ray-v2:0","image":{"s3Uri":"s3://bucket-name/inputs/k.png"}}`, "image.s3Uri", "takes keyframe images inline"},
		{"Nova with Luma options", allModels, `{"prompt":"x","loop":true}`, "loop", "not supported by amazon.nova-reel-v1:1"},
		{"negative seed", allModels, `{"prompt":"x","seed":-1}`, "seed", "from 0 to 2147483646"},
		{"seed too large", allModels, `{"prompt":"x","seed":2147483647}`, "seed", "from 0 to 2147483646"},
		{"seed beyond int64", allModels, `{"prompt":"x","seed":1e30}`, "seed", "must be an integer"},
		{"unknown model", allModels, `{"prompt":"x","model":"amazon.nova-reel-v9:9"}`, "model", "unknown model"},
		{"known model not allowed", Policy{Default: NovaReelV11}, `{"prompt":"x","model":"luma.ray-v2:0"}`, "model", "not allowed by ALLOWED_MODEL_IDS"},
		{"one shot", allModels, `{"shots":[{"prompt":"a"}]}`, "shots", "2 to 20 shots, got 1"},
		{"21 shots", allModels, `{"shots":[` + strings.TrimSuffix(strings.Repeat(`{"prompt":"a"},`, 21), ",") + `]}`, "shots", "got 21"},
		{"shot without prompt", allModels, `{"shots":[{"prompt":"a"},{"prompt":""}]}`, "shots[1].prompt", "is required"},
		{"shot prompt too long", allModels, `{"shots":[{"prompt":"a"},{"prompt":"` + long(513) + `"}]}`, "shots[1].prompt", "limit is 512"},
		{"shots and prompt", allModels, `{"prompt":"x","shots":[{"prompt":"a"},{"prompt":"b"}]}`, "prompt", "left out when shots are given"},
		{"shots with mismatched duration", allModels, `{"shots":[{"prompt":"a"},{"prompt":"b"}],"durationSeconds":18}`, "durationSeconds", "must be 12"},
		{"image on multi-shot automated", allModels, `{"prompt":"x","durationSeconds":12,"image":{"s3Uri":"s3://b-b/k.png"}}`, "image", "MULTI_SHOT_AUTOMATED takes text only"},
		{"image without source", allModels, `{"prompt":"x","image":{"format":"png"}}`, "image", `must give "s3Uri"`},
		{"image with both sources", allModels, `{"prompt":"x","image":{"s3Uri":"s3://b-b/k.png","bytes":"` + png720 + `"}}`, "image", "not both"},
		{"image URI not s3", allModels, `{"prompt":"x","image":{"s3Uri":"https://example.com/a.png"}}`, "image.s3Uri", "must start with s3://"},
		{"image URI without key", allModels, `{"prompt":"x","image":{"s3Uri":"s3://bucket-name/inputs/","format":"png"}}`, "image.s3Uri", "must name an object: s3://bucket-name/inputs/"},
		{"image URI bad bucket", allModels, `{"prompt":"x","image":{"s3Uri":"s3://Bad_Bucket/a.png"}}`, "image.s3Uri", "not a valid S3 bucket name"},
		{"image format unknown", allModels, `{"prompt":"x","image":{"s3Uri":"s3://bucket-name/a.gif","format":"gif"}}`, "image.format", `must be "png" or "jpeg"`},
		{"image format missing for S3 key without extension", allModels, `{"prompt":"x","image":{"s3Uri":"s3://bucket-name/frame"}}`, "image.format", "is required unless"},
		{"image bytes without format", allModels, `{"prompt":"x","image":{"bytes":"` + png720 + `"}}`, "image.format", "is required with bytes"},
		{"image bytes not base64", allModels, `{"prompt":"x","image":{"bytes":"%%%","format":"png"}}`, "image.bytes", "not valid standard base64"},
		{"image bytes data URI", allModels, `{"prompt":"x","image":{"bytes":"data:image/png;base64,AAAA","format":"png"}}`, "image.bytes", "without a"},
		{"image bytes not an image", allModels, `{"prompt":"x","image":{"bytes":"aGVsbG8=","format":"png"}}`, "image.bytes", "not a PNG or JPEG"},
		{"image bytes wrong size", allModels, `{"prompt":"x","image":{"bytes":"` + small + `","format":"png"}}`, "image.bytes", "is 640x360"},
		{"image bytes format mismatch", allModels, `{"prompt":"x","image":{"bytes":"` + png720 + `","format":"jpeg"}}`, "image.bytes", `holds a PNG image but format says "jpeg"`},
		{"image of wrong type", allModels, `{"prompt":"x","image":"s3://b/k.png"}`, "image", "must be an object"},
		{"loop of wrong type", allModels, `{"prompt":"x","model":"luma.ray-v2:0","loop":"yes"}`, "loop", "must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.body, tt.models)
			var invalid *InvalidJobError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse(%.80q) = %v, want *InvalidJobError", tt.body, err)
			}
			for _, p := range invalid.Problems {
				if p.Field == tt.field && strings.Contains(p.Rule, tt.rule) {
					return
				}
			}
			t.Errorf("problems %v: none for field %q containing %q", invalid.Problems, tt.field, tt.rule)
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse(`{"prompt":"","seed":-4,"durationSeconds":6,"loop":true}`, allModels)
	var invalid *InvalidJobError
	if !errors.As(err, &invalid) {
		t.Fatalf("got %v", err)
	}
	var fields []string
	for _, p := range invalid.Problems {
		fields = append(fields, p.Field)
	}
	if got, want := strings.Join(fields, ","), "loop,seed,prompt"; got != want {
		t.Errorf("fields %s, want %s", got, want)
	}
	msg := err.Error()
	for _, want := range []string{"invalid job:", "loop: is not supported", "seed: must be an integer from 0", "prompt: is required"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if invalid.ErrorType() != "InvalidJob" {
		t.Errorf("ErrorType = %s", invalid.ErrorType())
	}
}

func TestParseCountsPromptsAndShots(t *testing.T) {
	job, err := Parse(`{"shots":[{"prompt":"héllo"},{"prompt":"abc"},{"prompt":"x"}]}`, allModels)
	if err != nil {
		t.Fatal(err)
	}
	if job.PromptChars != 9 || job.Shots != 3 || job.VideoSeconds != 18 || job.HasImage {
		t.Errorf("got %+v", job)
	}
}

func TestModelPolicyDefaultIsAlwaysAllowed(t *testing.T) {
	m := Policy{Default: LumaRay2, Allowed: []string{NovaReelV11}}
	for _, model := range []string{LumaRay2, NovaReelV11} {
		job, err := Parse(fmt.Sprintf(`{"prompt":"x","model":%q}`, model), m)
		if err != nil || job.Model != model {
			t.Errorf("model %s: job %+v err %v", model, job, err)
		}
	}
	_, err := Parse(`{"prompt":"x","model":"amazon.nova-reel-v1:0"}`, m)
	if err == nil || !strings.Contains(err.Error(), "allows: amazon.nova-reel-v1:1, luma.ray-v2:0") {
		t.Errorf("got %v", err)
	}
}

// FuzzParse checks that no body makes Parse panic, that every rejection is
// an *InvalidJobError whose problems all name a field and a rule, and that
// every accepted job carries a JSON object modelInput for a known model.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"prompt":"a red fox"}`,
		`{"prompt":"x","durationSeconds":120,"seed":2147483646}`,
		`{"shots":[{"prompt":"a"},{"prompt":"b","image":{"s3Uri":"s3://bucket/a.png"}}]}`,
		`{"prompt":"x","model":"luma.ray-v2:0","aspectRatio":"9:21","resolution":"540p","loop":true,"durationSeconds":9}`,
		`{"prompt":"x","image":{"bytes":"iVBORw0KGgo=","format":"png"}}`,
		`{"prompt":"x","seed":-1e400}`,
		`{"shots":null}`,
		`{"image":{}}`,
		`[]`, `null`, `"x"`, `{`, ``, `{"prompt":"\ud800"}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		job, err := Parse(body, allModels)
		if err != nil {
			var invalid *InvalidJobError
			if !errors.As(err, &invalid) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if len(invalid.Problems) == 0 {
				t.Fatal("rejection without problems")
			}
			for _, p := range invalid.Problems {
				if p.Field == "" || p.Rule == "" {
					t.Fatalf("problem without field or rule: %+v", p)
				}
			}
			return
		}
		if !IsKnownModel(job.Model) {
			t.Fatalf("accepted job for unknown model %q", job.Model)
		}
		var obj map[string]any
		if err := json.Unmarshal(job.ModelInput, &obj); err != nil {
			t.Fatalf("modelInput is not a JSON object: %v", err)
		}
		if job.VideoSeconds <= 0 {
			t.Fatalf("accepted job with %d seconds", job.VideoSeconds)
		}
	})
}
