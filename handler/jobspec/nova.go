package jobspec

import (
	"fmt"
	"slices"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// novaRequest is Amazon Nova Reel's modelInput.
type novaRequest struct {
	TaskType                 string          `json:"taskType"`
	TextToVideoParams        *novaTextParams `json:"textToVideoParams,omitempty"`
	MultiShotAutomatedParams *novaTextParams `json:"multiShotAutomatedParams,omitempty"`
	MultiShotManualParams    *novaShots      `json:"multiShotManualParams,omitempty"`
	VideoGenerationConfig    novaConfig      `json:"videoGenerationConfig"`
}

type novaTextParams struct {
	Text   string      `json:"text"`
	Images []novaImage `json:"images,omitempty"`
}

type novaShots struct {
	Shots []novaShot `json:"shots"`
}

type novaShot struct {
	Text  string     `json:"text"`
	Image *novaImage `json:"image,omitempty"`
}

type novaImage struct {
	Format string          `json:"format"`
	Source novaImageSource `json:"source"`
}

type novaImageSource struct {
	Bytes      string          `json:"bytes,omitempty"`
	S3Location *novaS3Location `json:"s3Location,omitempty"`
}

type novaS3Location struct {
	URI string `json:"uri"`
}

type novaConfig struct {
	DurationSeconds int    `json:"durationSeconds,omitempty"`
	FPS             int    `json:"fps"`
	Dimension       string `json:"dimension"`
	Seed            *int64 `json:"seed,omitempty"`
}

// appendS3 appends the image's S3 URI to uris when it has one.
func (img novaImage) appendS3(uris []string) []string {
	if img.Source.S3Location != nil {
		return append(uris, img.Source.S3Location.URI)
	}
	return uris
}

// Nova Reel renders 1280x720 at 24 frames per second, nothing else.
const (
	novaFPS       = 24
	novaDimension = "1280x720"
)

// novaJob validates b for a Nova Reel model (1.0 or 1.1) and builds its
// request, with the catalogue's limits of m.
func novaJob(b Body, m videomodels.Model, p Policy, ps *problems) Job {
	rejectFields(b, m.ID, []string{"aspectRatio", "resolution", "loop", "endImage"}, ps)
	checkSeed(b.Seed, m.Limits.SeedMax, ps)
	cfg := novaConfig{FPS: novaFPS, Dimension: novaDimension, Seed: b.Seed}
	n := novaRules{Model: m, Policy: p}

	if b.Shots != nil {
		return n.manual(b, cfg, ps)
	}
	single := m.Limits.DurationsSeconds[0]
	seconds := single
	if b.DurationSeconds != nil {
		seconds = *b.DurationSeconds
	}
	multi := m.Limits.MultiShot
	switch {
	case seconds == single:
		return n.textVideo(b, cfg, ps)
	case multi != nil && slices.Contains(m.Limits.DurationsSeconds, seconds):
		return n.automated(b, seconds, cfg, ps)
	case multi == nil:
		ps.add("durationSeconds", fmt.Sprintf("must be %d for %s (it makes %d-second videos only), got %d", single, m.ID, single, seconds))
	default:
		ps.add("durationSeconds", fmt.Sprintf("must be %d, or a multiple of %d from %d to %d, for %s; got %d",
			single, multi.ShotSeconds, multi.MinSeconds, multi.MaxSeconds, m.ID, seconds))
	}
	return Job{}
}

// novaRules are what a Nova Reel request is checked against.
type novaRules struct {
	Model  videomodels.Model
	Policy Policy
}

func (n novaRules) textVideo(b Body, cfg novaConfig, ps *problems) Job {
	chars := checkPrompt("prompt", b.Prompt, n.Model.Limits.PromptMaxChars, ps)
	params := &novaTextParams{Text: b.Prompt}
	var inputs []string
	if b.Image != nil {
		if img, ok := checkNovaImage("image", b.Image, *n.Model.Limits.Images, n.Policy, ps); ok {
			params.Images = []novaImage{img}
			inputs = img.appendS3(inputs)
		}
	}
	seconds := n.Model.Limits.DurationsSeconds[0]
	cfg.DurationSeconds = seconds
	return Job{
		Task:         TaskTextVideo,
		VideoSeconds: seconds,
		PromptChars:  chars,
		HasImage:     b.Image != nil,
		ModelInput:   marshal(novaRequest{TaskType: TaskTextVideo, TextToVideoParams: params, VideoGenerationConfig: cfg}, ps),

		InputImages:        inputs,
		MaxInputImageBytes: n.Model.Limits.Images.MaxS3Bytes,
	}
}

func (n novaRules) automated(b Body, seconds int, cfg novaConfig, ps *problems) Job {
	chars := checkPrompt("prompt", b.Prompt, n.Model.Limits.MultiShot.AutomatedPromptMaxChars, ps)
	if b.Image != nil {
		ps.add("image", fmt.Sprintf("is not supported for %d-second videos (MULTI_SHOT_AUTOMATED takes text only); use durationSeconds %d, or shots with an image per shot",
			seconds, n.Model.Limits.DurationsSeconds[0]))
	}
	cfg.DurationSeconds = seconds
	return Job{
		Task:         TaskMultiShotAutomated,
		VideoSeconds: seconds,
		PromptChars:  chars,
		ModelInput: marshal(novaRequest{
			TaskType:                 TaskMultiShotAutomated,
			MultiShotAutomatedParams: &novaTextParams{Text: b.Prompt},
			VideoGenerationConfig:    cfg,
		}, ps),
	}
}

func (n novaRules) manual(b Body, cfg novaConfig, ps *problems) Job {
	m := n.Model
	multi := m.Limits.MultiShot
	if multi == nil {
		ps.add("shots", fmt.Sprintf("multi-shot videos need %s; %s makes single %d-second videos", NovaReelV11, m.ID, m.Limits.DurationsSeconds[0]))
		return Job{}
	}
	if b.Prompt != "" {
		ps.add("prompt", "must be left out when shots are given; each shot has its own prompt")
	}
	if b.Image != nil {
		ps.add("image", "must be left out when shots are given; put an image on the shot it starts")
	}
	count := len(b.Shots)
	if count < multi.MinShots || count > multi.MaxShots {
		ps.add("shots", fmt.Sprintf("must hold %d to %d shots, got %d", multi.MinShots, multi.MaxShots, count))
	}
	seconds := count * multi.ShotSeconds
	if b.DurationSeconds != nil && *b.DurationSeconds != seconds {
		ps.add("durationSeconds", fmt.Sprintf("must be %d (%d seconds per shot × %d shots) or left out, got %d", seconds, multi.ShotSeconds, count, *b.DurationSeconds))
	}
	shots := make([]novaShot, 0, count)
	chars, hasImage := 0, false
	var inputs []string
	for i, s := range b.Shots {
		field := fmt.Sprintf("shots[%d]", i)
		chars += checkPrompt(field+".prompt", s.Prompt, m.Limits.PromptMaxChars, ps)
		shot := novaShot{Text: s.Prompt}
		if s.Image != nil {
			hasImage = true
			if img, ok := checkNovaImage(field+".image", s.Image, *m.Limits.Images, n.Policy, ps); ok {
				shot.Image = &img
				inputs = img.appendS3(inputs)
			}
		}
		shots = append(shots, shot)
	}
	// Manual multi-shot requests carry no durationSeconds: the shots decide.
	return Job{
		Task:         TaskMultiShotManual,
		VideoSeconds: seconds,
		PromptChars:  chars,
		Shots:        count,
		HasImage:     hasImage,
		ModelInput: marshal(novaRequest{
			TaskType:              TaskMultiShotManual,
			MultiShotManualParams: &novaShots{Shots: shots},
			VideoGenerationConfig: cfg,
		}, ps),

		InputImages:        inputs,
		MaxInputImageBytes: m.Limits.Images.MaxS3Bytes,
	}
}

func checkSeed(seed *int64, maxSeed int64, ps *problems) {
	if seed != nil && (*seed < 0 || *seed > maxSeed) {
		ps.add("seed", fmt.Sprintf("must be an integer from 0 to %d, got %d", maxSeed, *seed))
	}
}
