package awsfake

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder for image.DecodeConfig
	_ "image/png"  // registers the PNG decoder for image.DecodeConfig
	"slices"
	"unicode/utf8"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// lumaMediaTypes are the keyframe media types the fake accepts, with the
// format Go's image package reports for each.
var lumaMediaTypes = map[string]string{"image/jpeg": "jpeg", "image/png": "png"}

// checkLumaInput validates a Luma Ray2 modelInput as Bedrock's Luma AI
// parameters page documents it: prompt (1–5000 characters, required),
// aspect_ratio, loop, duration, resolution (enums from the catalogue), and
// keyframes frame0/frame1, each {"type": "image", "source": {"type":
// "base64", "media_type": ..., "data": ...}}. It returns Bedrock's kind of
// message for the first broken rule, or "".
func checkLumaInput(in map[string]any) string {
	limits := videomodels.Default().Limits
	bad := func(path, rule string) string {
		return fmt.Sprintf("Malformed input request: #/%s: %s, please reformat your input and try again.", path, rule)
	}
	if extra := extraneous(in, "prompt", "aspect_ratio", "loop", "duration", "resolution", "keyframes"); extra != "" {
		return fmt.Sprintf("Malformed input request: extraneous key [%s] is not permitted, please reformat your input and try again.", extra)
	}
	prompt, ok := in["prompt"].(string)
	switch {
	case in["prompt"] == nil:
		return "Malformed input request: #: required key [prompt] not found, please reformat your input and try again."
	case !ok:
		return bad("prompt", "expected type: String")
	case utf8.RuneCountInString(prompt) < 1 || utf8.RuneCountInString(prompt) > limits.PromptMaxChars:
		return bad("prompt", fmt.Sprintf("expected length between 1 and %d", limits.PromptMaxChars))
	}
	durations := make([]string, 0, len(limits.DurationsSeconds))
	for _, d := range limits.DurationsSeconds {
		durations = append(durations, fmt.Sprintf("%ds", d))
	}
	for field, allowed := range map[string][]string{"aspect_ratio": limits.AspectRatios, "duration": durations, "resolution": limits.Resolutions} {
		v, present := in[field]
		if !present {
			continue
		}
		if s, ok := v.(string); !ok || !slices.Contains(allowed, s) {
			return bad(field, fmt.Sprintf("%v is not a valid enum value", v))
		}
	}
	if v, present := in["loop"]; present {
		if _, ok := v.(bool); !ok {
			return bad("loop", "expected type: Boolean")
		}
	}
	if v, present := in["keyframes"]; present {
		return checkKeyframes(v, bad)
	}
	return ""
}

func checkKeyframes(v any, bad func(path, rule string) string) string {
	frames, ok := v.(map[string]any)
	if !ok || len(frames) == 0 {
		return bad("keyframes", "expected an object with frame0 and/or frame1")
	}
	for k := range frames {
		if k != "frame0" && k != "frame1" {
			return bad("keyframes", fmt.Sprintf("extraneous key [%s] is not permitted", k))
		}
	}
	for _, name := range []string{"frame0", "frame1"} {
		f, present := frames[name]
		if !present {
			continue
		}
		path := "keyframes/" + name
		frame, ok := f.(map[string]any)
		if !ok || frame["type"] != "image" || len(frame) != 2 {
			return bad(path, `expected {"type": "image", "source": {...}}`)
		}
		src, ok := frame["source"].(map[string]any)
		if !ok || src["type"] != "base64" || len(src) != 3 {
			return bad(path+"/source", `expected {"type": "base64", "media_type": ..., "data": ...}`)
		}
		mediaType, _ := src["media_type"].(string)
		format, known := lumaMediaTypes[mediaType]
		if !known {
			return bad(path+"/source/media_type", fmt.Sprintf("%v is not a valid enum value", src["media_type"]))
		}
		data, _ := src["data"].(string)
		raw, err := base64.StdEncoding.DecodeString(data)
		if data == "" || err != nil {
			return bad(path+"/source/data", "expected standard base64")
		}
		if _, kind, err := image.DecodeConfig(bytes.NewReader(raw)); err != nil || kind != format {
			return fmt.Sprintf("The image in %s could not be read as %s.", path, mediaType)
		}
	}
	return ""
}
