package awsfake

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	brtypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/bedrockvideo/pipeline/videomodels"
)

func startInput(model, input string) *bedrockruntime.StartAsyncInvokeInput {
	var doc map[string]any
	if err := json.Unmarshal([]byte(input), &doc); err != nil {
		panic(err)
	}
	return &bedrockruntime.StartAsyncInvokeInput{
		ModelId:    aws.String(model),
		ModelInput: document.NewLazyDocument(doc),
		OutputDataConfig: &brtypes.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig{
			Value: brtypes.AsyncInvokeS3OutputDataConfig{S3Uri: aws.String("s3://b-b/videos/m")},
		},
	}
}

func bedrockClient(b *Bedrock) *bedrockruntime.Client {
	return bedrockruntime.NewFromConfig(ClientConfig(b.URL()), func(o *bedrockruntime.Options) { o.Retryer = aws.NopRetryer{} })
}

func pngBase64(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestBedrockAppliesTheCatalogue(t *testing.T) {
	text := `{"prompt":"x"}`
	nova := `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"x"},"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720"}}`
	tests := []struct {
		name, region, model, input string
		at                         time.Time
		code, message              string // "" when accepted
	}{
		{"live model in its region", "us-west-2", videomodels.LumaRay2, text, time.Now(), "", ""},
		{"live model elsewhere", "us-east-1", videomodels.LumaRay2, text, time.Now(), "ValidationException", "The provided model identifier is invalid."},
		{"nova before its end of life", "us-east-1", videomodels.NovaReelV11, nova, time.Date(2026, 9, 29, 12, 0, 0, 0, time.UTC), "", ""},
		{"nova on its end-of-life day", "us-east-1", videomodels.NovaReelV11, nova, time.Date(2026, 9, 30, 0, 0, 1, 0, time.UTC), "ResourceNotFoundException", EndOfLifeMessage},
		{"nova 1.0 later", "eu-west-1", videomodels.NovaReelV10, nova, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), "ResourceNotFoundException", "reached the end of its life"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBedrock(t)
			b.Region = tt.region
			b.SetClock(ClockFrom(tt.at))
			_, err := bedrockClient(b).StartAsyncInvoke(context.Background(), startInput(tt.model, tt.input))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.code || !strings.Contains(apiErr.ErrorMessage(), tt.message) {
				t.Errorf("got %v, want %s %q", err, tt.code, tt.message)
			}
			if len(b.Jobs()) != 0 {
				t.Error("a refused request created a job")
			}
		})
	}
}

func TestBedrockValidatesLumaRequests(t *testing.T) {
	img := pngBase64(t)
	frame := func(mediaType, data string) string {
		return fmt.Sprintf(`{"type":"image","source":{"type":"base64","media_type":%q,"data":%q}}`, mediaType, data)
	}
	tests := []struct {
		name, input, problem string // problem "" when accepted
	}{
		{"documented example", `{"prompt":"p","aspect_ratio":"16:9","loop":false,"duration":"5s","resolution":"720p"}`, ""},
		{"prompt only", `{"prompt":"p"}`, ""},
		{"start and end frames", `{"prompt":"p","keyframes":{"frame0":` + frame("image/png", img) + `,"frame1":` + frame("image/png", img) + `}}`, ""},
		{"no prompt", `{"duration":"5s"}`, "required key [prompt] not found"},
		{"empty prompt", `{"prompt":""}`, "#/prompt: expected length between 1 and 5000"},
		{"long prompt", `{"prompt":"` + strings.Repeat("é", 5001) + `"}`, "#/prompt: expected length"},
		{"unknown field", `{"prompt":"p","seed":4}`, "extraneous key [seed] is not permitted"},
		{"duration as a number", `{"prompt":"p","duration":5}`, "#/duration: 5 is not a valid enum value"},
		{"6 seconds", `{"prompt":"p","duration":"6s"}`, "#/duration"},
		{"1080p", `{"prompt":"p","resolution":"1080p"}`, "#/resolution"},
		{"2:1", `{"prompt":"p","aspect_ratio":"2:1"}`, "#/aspect_ratio"},
		{"loop as a string", `{"prompt":"p","loop":"true"}`, "#/loop: expected type: Boolean"},
		{"frame2", `{"prompt":"p","keyframes":{"frame2":` + frame("image/png", img) + `}}`, "extraneous key [frame2]"},
		{"empty keyframes", `{"prompt":"p","keyframes":{}}`, "#/keyframes"},
		{"url source", `{"prompt":"p","keyframes":{"frame0":{"type":"image","source":{"type":"url","url":"https://x/y.png"}}}}`, "#/keyframes/frame0/source"},
		{"gif", `{"prompt":"p","keyframes":{"frame0":` + frame("image/gif", img) + `}}`, "#/keyframes/frame0/source/media_type"},
		{"not base64", `{"prompt":"p","keyframes":{"frame0":` + frame("image/png", "!!!") + `}}`, "#/keyframes/frame0/source/data"},
		{"media type lies", `{"prompt":"p","keyframes":{"frame1":` + frame("image/jpeg", img) + `}}`, "could not be read as image/jpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBedrock(t)
			_, err := bedrockClient(b).StartAsyncInvoke(context.Background(), startInput(videomodels.LumaRay2, tt.input))
			expectValidation(t, err, tt.problem)
		})
	}
}

func TestLumaOutputIsNotNovasLayout(t *testing.T) {
	b := NewBedrock(t)
	s := NewS3(t, "b-b")
	b.WriteOutputTo(s)
	out, err := bedrockClient(b).StartAsyncInvoke(context.Background(), startInput(videomodels.LumaRay2, `{"prompt":"p"}`))
	if err != nil {
		t.Fatal(err)
	}
	b.Complete(aws.ToString(out.InvocationArn))
	keys := s.Keys("b-b", "videos/m/")
	id := b.Jobs()[0].ID
	if len(keys) != 1 || keys[0] == "videos/m/"+id+"/output.mp4" || !strings.HasSuffix(keys[0], ".mp4") {
		t.Errorf("Luma output keys %v: want one .mp4 that is not <id>/output.mp4", keys)
	}
}

func TestS3ListObjectsV2(t *testing.T) {
	ctx := context.Background()
	s := NewS3(t, "b-b")
	s.MaxListKeys = 2
	for _, k := range []string{"videos/a/1", "videos/a/2", "videos/a/3", "videos/b/1", "inputs/x.png"} {
		s.Put("b-b", k, []byte(k), "")
	}
	client := s3.NewFromConfig(ClientConfig(s.URL()), func(o *s3.Options) { o.UsePathStyle = true })
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String("b-b"), Prefix: aws.String("videos/a/")})
	var keys []string
	var n int
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
			if aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) || aws.ToString(o.ETag) == "" || o.LastModified == nil {
				t.Errorf("object %+v lacks size, ETag or date", o)
			}
		}
	}
	if got := strings.Join(keys, ","); got != "videos/a/1,videos/a/2,videos/a/3" || n != 2 {
		t.Errorf("listed %s in %d pages, want the three keys under videos/a/ in 2 pages", got, n)
	}

	_, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b-b"), ContinuationToken: aws.String("forged")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidArgument" {
		t.Errorf("forged continuation token: %v", err)
	}
	_, err = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nope")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NoSuchBucket" {
		t.Errorf("missing bucket: %v", err)
	}
	s.DenyList("b-b", "videos/")
	_, err = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b-b"), Prefix: aws.String("videos/a/")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Errorf("listing without permission: %v", err)
	}
}

func TestBedrockValidatesNovaReelRequests(t *testing.T) {
	cfg6 := `"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720"}`
	tests := []struct {
		name, model, input, problem string // problem "" when accepted
	}{
		{"text video", videomodels.NovaReelV11, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p"},` + cfg6 + `}`, ""},
		{"image by S3 URI", videomodels.NovaReelV10, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p","images":[{"format":"png","source":{"s3Location":{"uri":"s3://b-b/inputs/a.png"}}}]},` + cfg6 + `}`, ""},
		{"automated", videomodels.NovaReelV11, `{"taskType":"MULTI_SHOT_AUTOMATED","multiShotAutomatedParams":{"text":"p"},"videoGenerationConfig":{"durationSeconds":18,"fps":24,"dimension":"1280x720","seed":3}}`, ""},
		{"manual", videomodels.NovaReelV11, `{"taskType":"MULTI_SHOT_MANUAL","multiShotManualParams":{"shots":[{"text":"a"},{"text":"b"}]},"videoGenerationConfig":{"fps":24,"dimension":"1280x720"}}`, ""},
		{"multi-shot on 1.0", videomodels.NovaReelV10, `{"taskType":"MULTI_SHOT_AUTOMATED","multiShotAutomatedParams":{"text":"p"},"videoGenerationConfig":{"durationSeconds":18,"fps":24,"dimension":"1280x720"}}`, "#/taskType"},
		{"7 seconds", videomodels.NovaReelV11, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p"},"videoGenerationConfig":{"durationSeconds":7,"fps":24,"dimension":"1280x720"}}`, "durationSeconds: must be 6"},
		{"30 fps", videomodels.NovaReelV11, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p"},"videoGenerationConfig":{"durationSeconds":6,"fps":30,"dimension":"1280x720"}}`, "fps must be 24"},
		{"long prompt", videomodels.NovaReelV11, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"` + strings.Repeat("x", 513) + `"},` + cfg6 + `}`, "1 to 512 characters"},
		{"two images", videomodels.NovaReelV11, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p","images":[{"format":"png","source":{"bytes":"AA=="}},{"format":"png","source":{"bytes":"AA=="}}]},` + cfg6 + `}`, "at most one image"},
		{"gif", videomodels.NovaReelV11, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p","images":[{"format":"gif","source":{"bytes":"AA=="}}]},` + cfg6 + `}`, "format: gif is not a valid enum value"},
		{"one shot", videomodels.NovaReelV11, `{"taskType":"MULTI_SHOT_MANUAL","multiShotManualParams":{"shots":[{"text":"a"}]},"videoGenerationConfig":{"fps":24,"dimension":"1280x720"}}`, "expected 2 to 20 shots"},
		{"unknown key", videomodels.NovaReelV11, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p"},` + cfg6 + `,"loop":true}`, "extraneous key [loop]"},
		{"seed too large", videomodels.NovaReelV11, `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"p"},"videoGenerationConfig":{"durationSeconds":6,"fps":24,"dimension":"1280x720","seed":2147483647}}`, "videoGenerationConfig/seed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBedrock(t)
			b.Region = "us-east-1"
			b.SetClock(ClockFrom(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)))
			_, err := bedrockClient(b).StartAsyncInvoke(context.Background(), startInput(tt.model, tt.input))
			expectValidation(t, err, tt.problem)
		})
	}
}

// expectValidation checks a StartAsyncInvoke answer: accepted when problem
// is empty, else a ValidationException whose message contains problem.
func expectValidation(t *testing.T, err error, problem string) {
	t.Helper()
	if problem == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var invalid *brtypes.ValidationException
	if !errors.As(err, &invalid) || !strings.Contains(invalid.ErrorMessage(), problem) {
		t.Errorf("got %v, want ValidationException with %q", err, problem)
	}
}
