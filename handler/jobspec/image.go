package jobspec

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder for image.DecodeConfig
	_ "image/png"  // registers the PNG decoder for image.DecodeConfig
	"regexp"
	"strings"
)

// Image formats Nova Reel accepts, as its "format" field spells them.
const (
	FormatPNG  = "png"
	FormatJPEG = "jpeg"
)

// bucketName is the S3 general purpose bucket naming rule (3–63 characters
// of lowercase letters, digits, dots and hyphens, starting and ending with
// a letter or digit).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// checkImage validates an input image and converts it to Nova Reel's
// ImageSource.
func checkImage(field string, img *ImageBody, ps *problems) (novaImage, bool) {
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
		checkS3URI(field+".s3Uri", img.S3URI, ps)
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
		checkImageBytes(field+".bytes", img.Bytes, format, ps)
		src.Bytes = img.Bytes
	default:
		ps.add(field, `must give "s3Uri" (s3://bucket/key) or "bytes" (base64) of a PNG or JPEG image`)
	}
	return novaImage{Format: format, Source: src}, len(*ps) == before
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

// checkS3URI requires s3://<bucket>/<key> with a valid bucket name.
func checkS3URI(field, uri string, ps *problems) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		ps.add(field, fmt.Sprintf("must start with s3://, got %q", truncate(uri, 40)))
		return
	}
	bucket, key, _ := strings.Cut(rest, "/")
	switch {
	case !bucketName.MatchString(bucket):
		ps.add(field, fmt.Sprintf("names bucket %q, which is not a valid S3 bucket name", truncate(bucket, 70)))
	case key == "":
		ps.add(field, "must name an object: s3://bucket/key")
	}
}

// checkImageBytes decodes base64 image bytes and checks that they are the
// declared format and 1280x720, the only size Nova Reel accepts.
func checkImageBytes(field, data, format string, ps *problems) {
	if strings.HasPrefix(data, "data:") {
		ps.add(field, `must be plain base64, without a "data:...;base64," prefix`)
		return
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		ps.add(field, "is not valid standard base64: "+err.Error())
		return
	}
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		ps.add(field, "is not a PNG or JPEG image")
		return
	}
	if format != "" && kind != format {
		ps.add(field, fmt.Sprintf("holds a %s image but format says %q", strings.ToUpper(kind), format))
	}
	if cfg.Width != NovaImageWidth || cfg.Height != NovaImageHeight {
		ps.add(field, fmt.Sprintf("is %dx%d; Nova Reel needs a %dx%d image", cfg.Width, cfg.Height, NovaImageWidth, NovaImageHeight))
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
