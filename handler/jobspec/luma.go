package jobspec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// lumaRequest is Luma Ray2's modelInput on Bedrock ("Luma AI models"
// parameters page).
type lumaRequest struct {
	Prompt      string         `json:"prompt"`
	AspectRatio string         `json:"aspect_ratio"`
	Loop        bool           `json:"loop"`
	Duration    string         `json:"duration"`
	Resolution  string         `json:"resolution"`
	Keyframes   *lumaKeyframes `json:"keyframes,omitempty"`
}

// lumaKeyframes are the images a Luma video starts (frame0) and ends
// (frame1) with.
type lumaKeyframes struct {
	Frame0 *lumaFrame `json:"frame0,omitempty"`
	Frame1 *lumaFrame `json:"frame1,omitempty"`
}

type lumaFrame struct {
	Type   string          `json:"type"`
	Source lumaImageSource `json:"source"`
}

type lumaImageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
}

// lumaJob validates b for Luma Ray2 and builds its request, with the
// catalogue's limits of m. Bedrock documents no seed and no shots for Ray2,
// so those fields are rejected rather than silently dropped; image and
// endImage become keyframes frame0 and frame1.
func lumaJob(b Body, m videomodels.Model, ps *problems) Job {
	l := m.Limits
	rejectFields(b, m.ID, []string{"shots", "seed"}, ps)
	chars := checkPrompt("prompt", b.Prompt, l.PromptMaxChars, ps)

	seconds := l.DurationsSeconds[0]
	if b.DurationSeconds != nil {
		seconds = *b.DurationSeconds
		if !slices.Contains(l.DurationsSeconds, seconds) {
			ps.add("durationSeconds", fmt.Sprintf("must be %s for %s, got %d", joinInts(l.DurationsSeconds, " or "), m.ID, seconds))
		}
	}
	aspect := b.AspectRatio
	if aspect == "" {
		aspect = l.DefaultAspectRatio
	} else if !slices.Contains(l.AspectRatios, aspect) {
		ps.add("aspectRatio", fmt.Sprintf("must be one of %s for %s, got %q", strings.Join(l.AspectRatios, ", "), m.ID, aspect))
	}
	resolution := b.Resolution
	if resolution == "" {
		resolution = l.DefaultResolution
	} else if !slices.Contains(l.Resolutions, resolution) {
		ps.add("resolution", fmt.Sprintf("must be one of %s for %s, got %q", strings.Join(l.Resolutions, ", "), m.ID, resolution))
	}
	req := lumaRequest{
		Prompt:      b.Prompt,
		AspectRatio: aspect,
		Loop:        b.Loop != nil && *b.Loop,
		Duration:    fmt.Sprintf("%ds", seconds),
		Resolution:  resolution,
	}
	task := TaskLumaTextVideo
	if b.Image != nil || b.EndImage != nil {
		task = TaskLumaImageVideo
		req.Keyframes = &lumaKeyframes{
			Frame0: checkKeyframe("image", b.Image, *l.Images, ps),
			Frame1: checkKeyframe("endImage", b.EndImage, *l.Images, ps),
		}
	}
	return Job{
		Task:         task,
		VideoSeconds: seconds,
		PromptChars:  chars,
		HasImage:     req.Keyframes != nil,
		ModelInput:   marshal(req, ps),
	}
}

func joinInts(v []int, sep string) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, sep)
}
