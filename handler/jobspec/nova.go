package jobspec

import "fmt"

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

// Nova Reel renders 1280x720 at 24 frames per second, nothing else.
const (
	novaFPS       = 24
	novaDimension = "1280x720"
)

// novaJob validates b for Nova Reel model (1.0 or 1.1) and builds its
// request.
func novaJob(b Body, model string, ps *problems) Job {
	rejectFields(b, model, []string{"aspectRatio", "resolution", "loop"}, ps)
	checkSeed(b.Seed, ps)
	cfg := novaConfig{FPS: novaFPS, Dimension: novaDimension, Seed: b.Seed}

	if b.Shots != nil {
		return novaManual(b, model, cfg, ps)
	}
	seconds := NovaShotSeconds
	if b.DurationSeconds != nil {
		seconds = *b.DurationSeconds
	}
	switch {
	case seconds == NovaShotSeconds:
		return novaTextVideo(b, cfg, ps)
	case model == NovaReelV11 && seconds >= NovaMultiShotMinSeconds && seconds <= NovaMultiShotMaxSeconds && seconds%NovaShotSeconds == 0:
		return novaAutomated(b, seconds, cfg, ps)
	case model == NovaReelV10:
		ps.add("durationSeconds", fmt.Sprintf("must be %d for %s (it makes 6-second videos only), got %d", NovaShotSeconds, model, seconds))
	default:
		ps.add("durationSeconds", fmt.Sprintf("must be 6, or a multiple of 6 from %d to %d, for %s; got %d",
			NovaMultiShotMinSeconds, NovaMultiShotMaxSeconds, model, seconds))
	}
	return Job{}
}

func novaTextVideo(b Body, cfg novaConfig, ps *problems) Job {
	chars := checkPrompt("prompt", b.Prompt, NovaTextVideoPromptMax, ps)
	params := &novaTextParams{Text: b.Prompt}
	if b.Image != nil {
		if img, ok := checkImage("image", b.Image, ps); ok {
			params.Images = []novaImage{img}
		}
	}
	cfg.DurationSeconds = NovaShotSeconds
	return Job{
		Task:         TaskTextVideo,
		VideoSeconds: NovaShotSeconds,
		PromptChars:  chars,
		HasImage:     b.Image != nil,
		ModelInput:   marshal(novaRequest{TaskType: TaskTextVideo, TextToVideoParams: params, VideoGenerationConfig: cfg}, ps),
	}
}

func novaAutomated(b Body, seconds int, cfg novaConfig, ps *problems) Job {
	chars := checkPrompt("prompt", b.Prompt, NovaMultiShotPromptMax, ps)
	if b.Image != nil {
		ps.add("image", fmt.Sprintf("is not supported for %d-second videos (MULTI_SHOT_AUTOMATED takes text only); use durationSeconds 6, or shots with an image per shot", seconds))
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

func novaManual(b Body, model string, cfg novaConfig, ps *problems) Job {
	if model != NovaReelV11 {
		ps.add("shots", fmt.Sprintf("multi-shot videos need %s; %s makes single 6-second videos", NovaReelV11, model))
		return Job{}
	}
	if b.Prompt != "" {
		ps.add("prompt", "must be left out when shots are given; each shot has its own prompt")
	}
	if b.Image != nil {
		ps.add("image", "must be left out when shots are given; put an image on the shot it starts")
	}
	n := len(b.Shots)
	if n < NovaManualMinShots || n > NovaManualMaxShots {
		ps.add("shots", fmt.Sprintf("must hold %d to %d shots, got %d", NovaManualMinShots, NovaManualMaxShots, n))
	}
	seconds := n * NovaShotSeconds
	if b.DurationSeconds != nil && *b.DurationSeconds != seconds {
		ps.add("durationSeconds", fmt.Sprintf("must be %d (6 seconds per shot × %d shots) or left out, got %d", seconds, n, *b.DurationSeconds))
	}
	shots := make([]novaShot, 0, n)
	chars, hasImage := 0, false
	for i, s := range b.Shots {
		field := fmt.Sprintf("shots[%d]", i)
		chars += checkPrompt(field+".prompt", s.Prompt, NovaTextVideoPromptMax, ps)
		shot := novaShot{Text: s.Prompt}
		if s.Image != nil {
			hasImage = true
			if img, ok := checkImage(field+".image", s.Image, ps); ok {
				shot.Image = &img
			}
		}
		shots = append(shots, shot)
	}
	// Manual multi-shot requests carry no durationSeconds: the shots decide.
	return Job{
		Task:         TaskMultiShotManual,
		VideoSeconds: seconds,
		PromptChars:  chars,
		Shots:        n,
		HasImage:     hasImage,
		ModelInput: marshal(novaRequest{
			TaskType:              TaskMultiShotManual,
			MultiShotManualParams: &novaShots{Shots: shots},
			VideoGenerationConfig: cfg,
		}, ps),
	}
}

func checkSeed(seed *int64, ps *problems) {
	if seed != nil && (*seed < 0 || *seed > SeedMax) {
		ps.add("seed", fmt.Sprintf("must be an integer from 0 to %d, got %d", SeedMax, *seed))
	}
}
