package awsfake

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// TestEveryRequestKindPassesTheFake sends one request of every kind jobspec
// builds to the Bedrock fake, which checks the documented schemas: the
// handler's requests and the fake's rules must agree.
func TestEveryRequestKindPassesTheFake(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{R: 1, G: 2, B: 3, A: 255}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	frame := base64.StdEncoding.EncodeToString(buf.Bytes())
	tests := []struct {
		model, region, body string
	}{
		{videomodels.NovaReelV11, "us-east-1", `{"prompt":"a"}`},
		{videomodels.NovaReelV11, "us-east-1", `{"prompt":"a","seed":9,"image":{"bytes":"` + frame + `","format":"png"}}`},
		{videomodels.NovaReelV10, "eu-west-1", `{"prompt":"a","image":{"s3Uri":"s3://b-b/inputs/x.jpeg"}}`},
		{videomodels.NovaReelV11, "us-east-1", `{"prompt":"a","durationSeconds":120}`},
		{videomodels.NovaReelV11, "us-east-1", `{"shots":[{"prompt":"a"},{"prompt":"b","image":{"s3Uri":"s3://b-b/inputs/y.png"}}]}`},
		{videomodels.LumaRay2, "us-west-2", `{"prompt":"a"}`},
		{videomodels.LumaRay2, "us-west-2", `{"prompt":"a","durationSeconds":9,"resolution":"540p","aspectRatio":"9:21","loop":true,"image":{"bytes":"` + frame + `","format":"png"},"endImage":{"bytes":"` + frame + `","format":"png"}}`},
	}
	for _, tt := range tests {
		job, err := jobspec.Parse(tt.body, jobspec.Policy{Default: tt.model, Bucket: "b-b"})
		if err != nil {
			t.Fatalf("%s %.60s: %v", tt.model, tt.body, err)
		}
		b := NewBedrock(t)
		b.Region = tt.region
		b.SetClock(ClockFrom(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)))
		if _, err := bedrockClient(b).StartAsyncInvoke(context.Background(), startInput(job.Model, string(job.ModelInput))); err != nil {
			t.Errorf("%s task %s refused by the fake: %v", job.Model, job.Task, err)
		}
	}
}
