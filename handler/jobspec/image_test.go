package jobspec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bedrockvideo/pipeline/handler/config"
)

func encodePNG(t testing.TB, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// opaque returns a w×h RGBA image of one opaque colour.
func opaque(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{R: 10, G: 120, B: 60, A: 255}), image.Point{}, draw.Src)
	return img
}

// noisyPNG returns an opaque 1280×720 PNG whose first rows are random
// noise, so that its base64 encoding is close to size bytes.
func noisyPNG(t testing.TB, size int) string {
	t.Helper()
	img := opaque(1280, 720)
	r := rand.New(rand.NewPCG(1, 2))
	rows := size * 3 / 4 / (1280 * 3)
	for y := 0; y < rows && y < 720; y++ {
		for x := 0; x < 1280; x++ {
			img.Set(x, y, color.RGBA{R: uint8(r.Uint32()), G: uint8(r.Uint32()), B: uint8(r.Uint32()), A: 255})
		}
	}
	return encodePNG(t, img)
}

func TestImageRules(t *testing.T) {
	ok720 := encodePNG(t, opaque(1280, 720))
	translucent := opaque(1280, 720)
	translucent.Set(5, 7, color.NRGBA{R: 1, G: 2, B: 3, A: 128})
	grey := func() string {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 1280, 720)), nil); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(buf.Bytes())
	}()
	deep := image.NewRGBA64(image.Rect(0, 0, 1280, 720))
	draw.Draw(deep, deep.Bounds(), image.NewUniform(color.RGBA64{R: 1000, G: 2000, B: 3000, A: 0xffff}), image.Point{}, draw.Src)
	paletted := image.NewPaletted(image.Rect(0, 0, 1280, 720), color.Palette{color.NRGBA{A: 255}, color.NRGBA{R: 255}})
	paletted.SetColorIndex(3, 3, 1)
	policy := Policy{Default: NovaReelV11, Allowed: []string{LumaRay2}, Bucket: "pipeline-bucket"}

	tests := []struct {
		name, body   string
		field, rule  string // "" when accepted
		inputContain string // for accepted jobs: a fragment of modelInput
	}{
		{name: "Nova image from inputs/", body: `{"prompt":"p","image":{"s3Uri":"s3://pipeline-bucket/inputs/a/b.jpg"}}`,
			inputContain: `"images":[{"format":"jpeg","source":{"s3Location":{"uri":"s3://pipeline-bucket/inputs/a/b.jpg"}}}]`},
		{name: "Nova image from another bucket", body: `{"prompt":"p","image":{"s3Uri":"s3://someone-else/inputs/b.png"}}`,
			field: "image.s3Uri", rule: "reads input images only from s3://pipeline-bucket/inputs/"},
		{name: "Nova image from the output prefix", body: `{"prompt":"p","image":{"s3Uri":"s3://pipeline-bucket/videos/m/b.png"}}`,
			field: "image.s3Uri", rule: "copy the image there, e.g. aws s3 cp frame.png s3://pipeline-bucket/inputs/frame.png"},
		{name: "shot image from another bucket", body: `{"shots":[{"prompt":"a"},{"prompt":"b","image":{"s3Uri":"s3://other-bucket/inputs/x.png"}}]}`,
			field: "shots[1].image.s3Uri", rule: "only from s3://pipeline-bucket/inputs/"},
		{name: "Nova inline opaque PNG", body: `{"prompt":"p","image":{"bytes":"` + ok720 + `","format":"png"}}`, inputContain: `"format":"png","source":{"bytes":`},
		{name: "Nova translucent pixel", body: `{"prompt":"p","image":{"bytes":"` + encodePNG(t, translucent) + `","format":"png"}}`,
			field: "image.bytes", rule: "has 1 transparent or translucent pixels (the first at 5,7)"},
		{name: "Nova transparent palette entry", body: `{"prompt":"p","image":{"bytes":"` + encodePNG(t, paletted) + `","format":"png"}}`,
			field: "image.bytes", rule: "transparent or translucent"},
		{name: "Nova greyscale JPEG", body: `{"prompt":"p","image":{"bytes":"` + grey + `","format":"jpeg"}}`, field: "image.bytes", rule: "is greyscale"},
		{name: "Nova 16-bit PNG", body: `{"prompt":"p","image":{"bytes":"` + encodePNG(t, deep) + `","format":"png"}}`, field: "image.bytes", rule: "16 bits per channel"},
		{name: "Nova end image", body: `{"prompt":"p","endImage":{"bytes":"` + ok720 + `","format":"png"}}`, field: "endImage", rule: "is not supported by amazon.nova-reel-v1:1"},
		{name: "Luma start frame", body: `{"model":"luma.ray-v2:0","prompt":"p","image":{"bytes":"` + ok720 + `","format":"png"}}`,
			inputContain: `"keyframes":{"frame0":{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + ok720 + `"}}}`},
		{name: "Luma start and end frames, any size", body: `{"model":"luma.ray-v2:0","prompt":"p","image":{"bytes":"` + encodePNG(t, opaque(64, 48)) + `","format":"png"},"endImage":{"bytes":"` + jpegBase64(t, 300, 200) + `","format":"jpg"}}`,
			inputContain: `"frame1":{"type":"image","source":{"type":"base64","media_type":"image/jpeg"`},
		{name: "Luma end frame only", body: `{"model":"luma.ray-v2:0","prompt":"p","endImage":{"bytes":"` + ok720 + `","format":"png"}}`, inputContain: `"keyframes":{"frame1":`},
		{name: "Luma keyframe by S3 URI", body: `{"model":"luma.ray-v2:0","prompt":"p","image":{"s3Uri":"s3://pipeline-bucket/inputs/a.png"}}`,
			field: "image.s3Uri", rule: "takes keyframe images inline"},
		{name: "Luma keyframe without format", body: `{"model":"luma.ray-v2:0","prompt":"p","endImage":{"bytes":"` + ok720 + `"}}`, field: "endImage.format", rule: "is required with bytes"},
		{name: "Luma keyframe format lies", body: `{"model":"luma.ray-v2:0","prompt":"p","image":{"bytes":"` + ok720 + `","format":"jpeg"}}`, field: "image.bytes", rule: `holds a PNG image but format says "jpeg"`},
		{name: "Luma keyframe not an image", body: `{"model":"luma.ray-v2:0","prompt":"p","image":{"bytes":"aGVsbG8=","format":"png"}}`, field: "image.bytes", rule: "is not a PNG or JPEG image"},
		{name: "Luma translucent keyframe is Luma's business", body: `{"model":"luma.ray-v2:0","prompt":"p","image":{"bytes":"` + encodePNG(t, translucent) + `","format":"png"}}`, inputContain: `"frame0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := Parse(tt.body, policy)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !strings.Contains(string(job.ModelInput), tt.inputContain) || !job.HasImage {
					t.Errorf("modelInput %.300s… lacks %.120q (HasImage %v)", job.ModelInput, tt.inputContain, job.HasImage)
				}
				return
			}
			var invalid *InvalidJobError
			if !errors.As(err, &invalid) {
				t.Fatalf("got %v, want *InvalidJobError", err)
			}
			for _, p := range invalid.Problems {
				if p.Field == tt.field && strings.Contains(p.Rule, tt.rule) {
					return
				}
			}
			t.Errorf("problems %v: none for %q containing %q", invalid.Problems, tt.field, tt.rule)
		})
	}
}

func TestLumaImageTask(t *testing.T) {
	job, err := Parse(`{"model":"luma.ray-v2:0","prompt":"p","durationSeconds":9,"loop":true,"image":{"bytes":"`+encodePNG(t, opaque(16, 16))+`","format":"png"}}`,
		Policy{Default: LumaRay2})
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	if err := json.Unmarshal(job.ModelInput, &req); err != nil {
		t.Fatal(err)
	}
	if job.Task != TaskLumaImageVideo || req["duration"] != "9s" || req["loop"] != true || req["aspect_ratio"] != "16:9" || req["resolution"] != "720p" {
		t.Errorf("task %s, request %v", job.Task, req)
	}
}

// TestBodySizeLimit: a body of 900 KiB (an inline image) is accepted; one
// byte over the SQS maximum is refused before anything else is read.
func TestBodySizeLimit(t *testing.T) {
	policy := Policy{Default: NovaReelV11}
	img := noisyPNG(t, 900<<10)
	body := `{"prompt":"p","image":{"bytes":"` + img + `","format":"png"}}`
	if n := len(body); n < 880<<10 || n > config.MaxJobBodyBytes {
		t.Fatalf("test body is %d bytes, want about 900 KiB", n)
	}
	if _, err := Parse(body, policy); err != nil {
		t.Errorf("900 KiB body refused: %v", err)
	}
	over := `{"prompt":"` + strings.Repeat("a", config.MaxJobBodyBytes-12) + `"}`
	if len(over) != config.MaxJobBodyBytes+1 {
		t.Fatalf("over-limit body is %d bytes", len(over))
	}
	if _, err := Parse(over, policy); err == nil || !strings.Contains(err.Error(), "is 1048577 bytes; the largest SQS message is 1048576 bytes") {
		t.Errorf("got %v", err)
	}
}

// BenchmarkParseInlineImage measures validating a Nova Reel job with an
// inline 1280×720 PNG that has an alpha channel, so every pixel is
// decoded and checked (here one is translucent and the job is refused).
func BenchmarkParseInlineImage(b *testing.B) {
	img := image.NewNRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.NRGBA{R: 9, G: 9, B: 9, A: 255}), image.Point{}, draw.Src)
	img.SetNRGBA(1279, 719, color.NRGBA{A: 254})
	body := `{"prompt":"p","image":{"bytes":"` + encodePNG(b, img) + `","format":"png"}}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body, Policy{Default: NovaReelV11}); err == nil {
			b.Fatal("translucent image accepted")
		}
	}
}
