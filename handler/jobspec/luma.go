package jobspec

import (
	"fmt"
	"slices"
	"strings"
)

// lumaRequest is Luma Ray2's modelInput on Bedrock.
type lumaRequest struct {
	Prompt      string `json:"prompt"`
	AspectRatio string `json:"aspect_ratio"`
	Loop        bool   `json:"loop"`
	Duration    string `json:"duration"`
	Resolution  string `json:"resolution"`
}

// lumaJob validates b for Luma Ray2 and builds its request. Bedrock
// documents Ray2 as text-to-video with no seed, so image, shots and seed are
// rejected rather than silently dropped.
func lumaJob(b Body, ps *problems) Job {
	rejectFields(b, LumaRay2, []string{"shots", "image", "seed"}, ps)
	chars := checkPrompt("prompt", b.Prompt, LumaPromptMax, ps)

	seconds := LumaDefaultSeconds
	if b.DurationSeconds != nil {
		seconds = *b.DurationSeconds
		if !slices.Contains(lumaDurations, seconds) {
			ps.add("durationSeconds", fmt.Sprintf("must be 5 or 9 for %s, got %d", LumaRay2, seconds))
		}
	}
	aspect := b.AspectRatio
	if aspect == "" {
		aspect = LumaDefaultAspectRatio
	} else if !slices.Contains(lumaAspectRatios, aspect) {
		ps.add("aspectRatio", fmt.Sprintf("must be one of %s for %s, got %q", strings.Join(lumaAspectRatios, ", "), LumaRay2, aspect))
	}
	resolution := b.Resolution
	if resolution == "" {
		resolution = LumaDefaultResolution
	} else if !slices.Contains(lumaResolutions, resolution) {
		ps.add("resolution", fmt.Sprintf("must be one of %s for %s, got %q", strings.Join(lumaResolutions, ", "), LumaRay2, resolution))
	}
	loop := b.Loop != nil && *b.Loop

	return Job{
		Task:         TaskLumaTextVideo,
		VideoSeconds: seconds,
		PromptChars:  chars,
		ModelInput: marshal(lumaRequest{
			Prompt:      b.Prompt,
			AspectRatio: aspect,
			Loop:        loop,
			Duration:    fmt.Sprintf("%ds", seconds),
			Resolution:  resolution,
		}, ps),
	}
}
