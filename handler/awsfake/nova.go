package awsfake

import (
	"fmt"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// checkNovaInput validates an Amazon Nova Reel modelInput as the Nova user
// guide ("Video generation input parameters") documents it, with the
// catalogue's limits of m: taskType TEXT_VIDEO (prompt ≤ 512, at most one
// image), MULTI_SHOT_AUTOMATED (prompt ≤ 4000, 12–120 s in steps of 6) or
// MULTI_SHOT_MANUAL (2–20 shots), both multi-shot tasks on Nova Reel 1.1
// only; videoGenerationConfig with fps 24 and dimension "1280x720". It
// returns Bedrock's kind of message for the first broken rule, or "".
func checkNovaInput(in map[string]any, m videomodels.Model) string {
	bad := func(path, rule string) string {
		return fmt.Sprintf("Malformed input request: #/%s: %s, please reformat your input and try again.", path, rule)
	}
	task, _ := in["taskType"].(string)
	params := map[string]string{"TEXT_VIDEO": "textToVideoParams", "MULTI_SHOT_AUTOMATED": "multiShotAutomatedParams", "MULTI_SHOT_MANUAL": "multiShotManualParams"}
	paramsKey, known := params[task]
	if !known || (task != "TEXT_VIDEO" && m.Limits.MultiShot == nil) {
		return bad("taskType", fmt.Sprintf("%v is not a valid enum value for %s", in["taskType"], m.ID))
	}
	if extra := extraneous(in, "taskType", paramsKey, "videoGenerationConfig"); extra != "" {
		return fmt.Sprintf("Malformed input request: extraneous key [%s] is not permitted, please reformat your input and try again.", extra)
	}
	p, ok := in[paramsKey].(map[string]any)
	if !ok {
		return bad(paramsKey, "expected type: JSONObject")
	}
	cfg, ok := in["videoGenerationConfig"].(map[string]any)
	if !ok {
		return "Malformed input request: #: required key [videoGenerationConfig] not found, please reformat your input and try again."
	}
	if cfg["fps"] != float64(24) || cfg["dimension"] != "1280x720" {
		return bad("videoGenerationConfig", "fps must be 24 and dimension \"1280x720\"")
	}
	if seed, present := cfg["seed"]; present {
		if s, ok := seed.(float64); !ok || s < 0 || s > float64(m.Limits.SeedMax) || s != float64(int64(s)) {
			return bad("videoGenerationConfig/seed", fmt.Sprintf("expected an integer from 0 to %d", m.Limits.SeedMax))
		}
	}
	duration, hasDuration := cfg["durationSeconds"].(float64)
	text := func(path string, v any, max int) string {
		s, ok := v.(string)
		if !ok || utf8.RuneCountInString(s) < 1 || utf8.RuneCountInString(s) > max {
			return bad(path, fmt.Sprintf("expected a string of 1 to %d characters", max))
		}
		return ""
	}
	switch task {
	case "TEXT_VIDEO":
		if !hasDuration || int(duration) != m.Limits.DurationsSeconds[0] {
			return bad("videoGenerationConfig/durationSeconds", fmt.Sprintf("must be %d for TEXT_VIDEO", m.Limits.DurationsSeconds[0]))
		}
		if problem := text(paramsKey+"/text", p["text"], m.Limits.PromptMaxChars); problem != "" {
			return problem
		}
		if imgs, present := p["images"]; present {
			list, ok := imgs.([]any)
			if !ok || len(list) > 1 {
				return bad(paramsKey+"/images", "expected at most one image")
			}
			for _, img := range list {
				if problem := checkNovaImage(paramsKey+"/images/0", img, bad); problem != "" {
					return problem
				}
			}
		}
	case "MULTI_SHOT_AUTOMATED":
		ms := m.Limits.MultiShot
		d := int(duration)
		if !hasDuration || d < ms.MinSeconds || d > ms.MaxSeconds || d%ms.ShotSeconds != 0 {
			return bad("videoGenerationConfig/durationSeconds", fmt.Sprintf("must be a multiple of %d from %d to %d", ms.ShotSeconds, ms.MinSeconds, ms.MaxSeconds))
		}
		return text(paramsKey+"/text", p["text"], ms.AutomatedPromptMaxChars)
	case "MULTI_SHOT_MANUAL":
		ms := m.Limits.MultiShot
		if hasDuration {
			return bad("videoGenerationConfig", "extraneous key [durationSeconds] is not permitted")
		}
		shots, ok := p["shots"].([]any)
		if !ok || len(shots) < ms.MinShots || len(shots) > ms.MaxShots {
			return bad(paramsKey+"/shots", fmt.Sprintf("expected %d to %d shots", ms.MinShots, ms.MaxShots))
		}
		for i, s := range shots {
			shot, _ := s.(map[string]any)
			path := fmt.Sprintf("%s/shots/%d", paramsKey, i)
			if problem := text(path+"/text", shot["text"], m.Limits.PromptMaxChars); problem != "" {
				return problem
			}
			if img, present := shot["image"]; present {
				if problem := checkNovaImage(path+"/image", img, bad); problem != "" {
					return problem
				}
			}
		}
	}
	return ""
}

// checkNovaImage validates one ImageSource: format png or jpeg, and a source
// with exactly one of bytes or s3Location {uri}.
func checkNovaImage(path string, v any, bad func(path, rule string) string) string {
	img, ok := v.(map[string]any)
	if !ok || !slices.Contains([]any{"png", "jpeg"}, img["format"]) {
		return bad(path+"/format", fmt.Sprintf("%v is not a valid enum value", img["format"]))
	}
	src, ok := img["source"].(map[string]any)
	if !ok || len(src) != 1 {
		return bad(path+"/source", "expected exactly one of bytes or s3Location")
	}
	if loc, present := src["s3Location"]; present {
		if l, ok := loc.(map[string]any); !ok || l["uri"] == nil {
			return bad(path+"/source/s3Location", "required key [uri] not found")
		}
	} else if _, ok := src["bytes"].(string); !ok {
		return bad(path+"/source", "expected exactly one of bytes or s3Location")
	}
	return ""
}

// extraneous returns the first key of in, in sorted order, that is not
// allowed, or "".
func extraneous(in map[string]any, allowed ...string) string {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return k
		}
	}
	return ""
}
