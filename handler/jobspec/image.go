package jobspec

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder
	_ "image/png"  // registers the PNG decoder
	"strings"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// Image formats, as the body's "format" field and Go's image package spell
// them.
const (
	FormatPNG  = "png"
	FormatJPEG = "jpeg"
)

// checkNovaImage validates a Nova Reel input image and converts it to Nova
// Reel's ImageSource: by S3 URI under the pipeline's input prefix (format
// from the key or the format field), or inline, decoded and checked as
// Bedrock checks it.
func checkNovaImage(field string, img *ImageBody, rules videomodels.ImageRules, p Policy, ps *problems) (novaImage, bool) {
	before := len(*ps)
	format := normalizeFormat(img.Format)
	if img.Format != "" && format == "" {
		ps.add(field+".format", fmt.Sprintf("must be %q or %q, got %q", FormatPNG, FormatJPEG, img.Format))
	}
	var src novaImageSource
	switch {
	case img.S3URI != "" && img.Bytes != "":
		ps.add(field, `must give either "s3Uri" or "bytes", not both`)
	case img.S3URI != "":
		checkInputURI(field+".s3Uri", img.S3URI, p, ps)
		if img.Format == "" {
			format = formatFromKey(img.S3URI)
			if format == "" {
				ps.add(field+".format", `is required unless the s3Uri ends in .png, .jpg or .jpeg`)
			}
		}
		src.S3Location = &novaS3Location{URI: img.S3URI}
	case img.Bytes != "":
		if img.Format == "" {
			ps.add(field+".format", fmt.Sprintf("is required with bytes (%q or %q)", FormatPNG, FormatJPEG))
		}
		if raw, kind, ok := decodeBytes(field+".bytes", img.Bytes, format, ps); ok {
			checkPixels(field+".bytes", raw, kind, rules, ps)
		}
		src.Bytes = img.Bytes
	default:
		ps.add(field, `must give "s3Uri" (s3://bucket/inputs/key) or "bytes" (base64) of a PNG or JPEG image`)
	}
	return novaImage{Format: format, Source: src}, len(*ps) == before
}

// checkKeyframe validates a Luma Ray2 keyframe image and converts it to a
// frame of the request; nil when img is nil or invalid. Bedrock documents
// Luma keyframes as base64 sources only.
func checkKeyframe(field string, img *ImageBody, rules videomodels.ImageRules, ps *problems) *lumaFrame {
	if img == nil {
		return nil
	}
	before := len(*ps)
	format := normalizeFormat(img.Format)
	switch {
	case img.S3URI != "":
		ps.add(field+".s3Uri", fmt.Sprintf(`is not supported by %s, which takes keyframe images inline; give "bytes" (base64) and "format"`, LumaRay2))
	case img.Bytes == "":
		ps.add(field, `must give "bytes" (base64) and "format" of a PNG or JPEG image`)
	case img.Format == "":
		ps.add(field+".format", fmt.Sprintf("is required with bytes (%q or %q)", FormatPNG, FormatJPEG))
	case format == "":
		ps.add(field+".format", fmt.Sprintf("must be %q or %q, got %q", FormatPNG, FormatJPEG, img.Format))
	default:
		if raw, kind, ok := decodeBytes(field+".bytes", img.Bytes, format, ps); ok {
			checkPixels(field+".bytes", raw, kind, rules, ps)
		}
	}
	if len(*ps) != before {
		return nil
	}
	return &lumaFrame{Type: "image", Source: lumaImageSource{Type: "base64", MediaType: "image/" + format, Data: img.Bytes}}
}

func normalizeFormat(f string) string {
	switch strings.ToLower(f) {
	case "png":
		return FormatPNG
	case "jpeg", "jpg":
		return FormatJPEG
	}
	return ""
}

func formatFromKey(uri string) string {
	lower := strings.ToLower(uri)
	switch {
	case strings.HasSuffix(lower, ".png"):
		return FormatPNG
	case strings.HasSuffix(lower, ".jpg"), strings.HasSuffix(lower, ".jpeg"):
		return FormatJPEG
	}
	return ""
}

// checkInputURI requires s3://<the pipeline's bucket>/<InputPrefix><key>:
// Bedrock reads an s3Location with the caller's identity, and the
// function's role may read images there and nowhere else.
func checkInputURI(field, uri string, p Policy, ps *problems) {
	where := fmt.Sprintf("s3://%s/%s", p.Bucket, config.InputPrefix)
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		ps.add(field, fmt.Sprintf("must start with s3://, got %q; put the image under %s", truncate(uri, 40), where))
		return
	}
	bucket, key, _ := strings.Cut(rest, "/")
	switch {
	case !config.IsBucketName(bucket):
		ps.add(field, fmt.Sprintf("names bucket %q, which is not a valid S3 bucket name", truncate(bucket, 70)))
	case bucket != p.Bucket || !strings.HasPrefix(key, config.InputPrefix):
		ps.add(field, fmt.Sprintf("is %s, but this pipeline reads input images only from %s (Bedrock reads them with the function's role, which may read nothing else); copy the image there, e.g. aws s3 cp frame.png %sframe.png",
			truncate(uri, 120), where, where))
	case strings.TrimPrefix(key, config.InputPrefix) == "":
		ps.add(field, "must name an object: "+where+"<name>.png")
	}
}

// decodeBytes decodes base64 image bytes and checks that they hold a PNG
// or JPEG image of the declared format.
func decodeBytes(field, data, format string, ps *problems) (raw []byte, kind string, ok bool) {
	if strings.HasPrefix(data, "data:") {
		ps.add(field, `must be plain base64, without a "data:...;base64," prefix`)
		return nil, "", false
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		ps.add(field, "is not valid standard base64: "+err.Error())
		return nil, "", false
	}
	_, kind, err = image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || (kind != FormatPNG && kind != FormatJPEG) {
		ps.add(field, "is not a PNG or JPEG image")
		return nil, "", false
	}
	if format != "" && kind != format {
		ps.add(field, fmt.Sprintf("holds a %s image but format says %q", strings.ToUpper(kind), format))
		return nil, "", false
	}
	return raw, kind, true
}

// checkPixels applies the model's image rules to a decoded PNG or JPEG:
// its size, 8-bit RGB colour, and fully opaque pixels. Only images that
// can hold transparency are decoded in full.
func checkPixels(field string, raw []byte, kind string, rules videomodels.ImageRules, ps *problems) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		ps.add(field, "is not a PNG or JPEG image")
		return
	}
	if rules.Width != 0 && (cfg.Width != rules.Width || cfg.Height != rules.Height) {
		ps.add(field, fmt.Sprintf("is %dx%d; this model needs a %dx%d image", cfg.Width, cfg.Height, rules.Width, rules.Height))
	}
	if rules.EightBitRGB {
		switch cfg.ColorModel {
		case color.GrayModel, color.Gray16Model:
			ps.add(field, "is greyscale; this model needs an RGB colour image with 8 bits per channel")
			return
		case color.CMYKModel:
			ps.add(field, "is CMYK; this model needs an RGB colour image with 8 bits per channel")
			return
		case color.RGBA64Model, color.NRGBA64Model:
			ps.add(field, "has 16 bits per channel; this model needs 8 bits per channel")
			return
		}
	}
	if !rules.Opaque || kind != FormatPNG {
		return // JPEG has no alpha channel
	}
	if cfg.ColorModel == color.RGBAModel {
		return // 8-bit truecolour without an alpha channel
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		ps.add(field, "is a damaged PNG image: "+err.Error())
		return
	}
	if n, x, y := seeThrough(img); n > 0 {
		ps.add(field, fmt.Sprintf("has %d transparent or translucent pixels (the first at %d,%d); this model needs every pixel fully opaque", n, x, y))
	}
}

// seeThrough counts the pixels of img that are not fully opaque and
// returns the first one's position.
func seeThrough(img image.Image) (n, firstX, firstY int) {
	b := img.Bounds()
	if nrgba, ok := img.(*image.NRGBA); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := nrgba.Pix[(y-b.Min.Y)*nrgba.Stride:]
			for x := 0; x < b.Dx(); x++ {
				if row[4*x+3] != 0xff {
					if n == 0 {
						firstX, firstY = b.Min.X+x, y
					}
					n++
				}
			}
		}
		return n, firstX, firstY
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				if n == 0 {
					firstX, firstY = x, y
				}
				n++
			}
		}
	}
	return n, firstX, firstY
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
