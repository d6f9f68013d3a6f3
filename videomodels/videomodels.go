// Package videomodels is the catalogue of the Amazon Bedrock video models
// the pipeline can drive: for each model its id, provider, lifecycle,
// regions, the request limits Bedrock enforces, and how long a generation
// usually takes. The deployment (package infra) and the handler read the
// same entries, so a model's end of life or region is decided in one place.
//
// Sources, checked 2026-11-30:
//   - Amazon Bedrock user guide, model cards "Amazon Nova Reel" and
//     "Luma AI Ray2", and "Model lifecycle (Legacy)" (the lifecycle page
//     for models launched before 2026-09-07): Nova Reel v1:0 and v1:1 are
//     Legacy with end of life 2026-09-30; Luma Ray2 is Active with no
//     end-of-life date. After the end-of-life date requests to the model
//     fail; nothing migrates by itself.
//   - Amazon Bedrock user guide, "Supported foundation models in Amazon
//     Bedrock" / regional availability table: Nova Reel v1:0 in us-east-1,
//     eu-west-1, ap-northeast-1; v1:1 in us-east-1; Luma Ray2 in us-west-2
//     only.
//   - Amazon Nova user guide, "Generating videos with Amazon Nova Reel" and
//     "Video generation access and usage": prompt limits, 6-second shots,
//     1280x720 at 24 fps, input image rules, generation times.
//   - Amazon Bedrock user guide, "Luma AI models"
//     (model-parameters-luma): prompt 1–5000 characters, aspect_ratio,
//     loop, duration "5s"/"9s", resolution "540p"/"720p", keyframes
//     frame0/frame1.
package videomodels

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Model ids, as Bedrock spells them.
const (
	// NovaReelV10 is Amazon Nova Reel 1.0: 6-second text/image-to-video.
	NovaReelV10 = "amazon.nova-reel-v1:0"
	// NovaReelV11 is Amazon Nova Reel 1.1: 6-second videos and multi-shot
	// videos of up to two minutes.
	NovaReelV11 = "amazon.nova-reel-v1:1"
	// LumaRay2 is Luma AI Ray2: 5- or 9-second text- or image-to-video.
	LumaRay2 = "luma.ray-v2:0"
)

// Lifecycle is a model's Bedrock lifecycle status.
type Lifecycle string

// Lifecycle statuses (Bedrock user guide, "Model lifecycle").
const (
	// Active models are served and have no announced end of life.
	Active Lifecycle = "Active"
	// Legacy models have an end-of-life date after which Bedrock answers
	// every call with an error.
	Legacy Lifecycle = "Legacy"
)

// Provider names.
const (
	ProviderAmazon = "Amazon"
	ProviderLuma   = "Luma AI"
)

// Model is one catalogue entry.
type Model struct {
	// ID is the Bedrock model id.
	ID string
	// Name is the model's display name.
	Name string
	// Provider is the company that offers the model on Bedrock.
	Provider string
	// Lifecycle is the model's Bedrock lifecycle status.
	Lifecycle Lifecycle
	// EndOfLife is the first day Bedrock no longer serves a Legacy model
	// (midnight UTC); zero when none is announced.
	EndOfLife time.Time
	// Regions are the AWS regions whose Bedrock serves the model.
	Regions []string
	// ThirdParty is set for models sold through AWS Marketplace: the first
	// invocation in an account must come from an identity allowed
	// aws-marketplace:Subscribe and aws-marketplace:ViewSubscriptions
	// (Bedrock user guide, "Access Amazon Bedrock foundation models").
	ThirdParty bool
	// Limits are the request rules Bedrock enforces.
	Limits Limits
	// Generation is how long a generation usually takes.
	Generation Generation
}

// Limits are the documented request rules of a model.
type Limits struct {
	// PromptMaxChars is the longest prompt of a single video (for Nova
	// Reel multi-shot videos see MultiShot), in characters.
	PromptMaxChars int
	// DurationsSeconds are the video lengths a request may ask for, in
	// ascending order; the first is the default.
	DurationsSeconds []int
	// Resolutions are the output resolutions, as documented.
	Resolutions []string
	// DefaultResolution is the resolution of requests that name none.
	DefaultResolution string
	// AspectRatios are the output aspect ratios, as documented; empty when
	// the model has a fixed frame.
	AspectRatios []string
	// DefaultAspectRatio is the aspect ratio of requests that name none.
	DefaultAspectRatio string
	// Loop reports whether the model can loop the video.
	Loop bool
	// SeedMax is the largest seed (the smallest is 0); zero when the
	// model takes no seed.
	SeedMax int64
	// MultiShot describes multi-shot videos; nil when the model makes
	// none.
	MultiShot *MultiShot
	// Images are the rules for input images; nil for text-only models.
	Images *ImageRules
}

// MultiShot are the rules of Nova Reel 1.1 multi-shot videos.
type MultiShot struct {
	// ShotSeconds is the length of one shot; multi-shot videos are a
	// whole number of shots.
	ShotSeconds int
	// MinSeconds and MaxSeconds bound an automated multi-shot video.
	MinSeconds, MaxSeconds int
	// AutomatedPromptMaxChars is the prompt limit of an automated
	// multi-shot video.
	AutomatedPromptMaxChars int
	// MinShots and MaxShots bound a manual multi-shot video; each shot's
	// prompt obeys Limits.PromptMaxChars.
	MinShots, MaxShots int
}

// ImageRules are the rules for the input images of a model.
type ImageRules struct {
	// Formats are the accepted formats, as Go's image package names them
	// ("png", "jpeg").
	Formats []string
	// Width and Height are the only accepted size; zero means any size.
	Width, Height int
	// Opaque requires every pixel to be fully opaque: an alpha channel
	// may be present but must not hold transparent or translucent pixels.
	Opaque bool
	// EightBitRGB requires 8 bits per colour channel.
	EightBitRGB bool
	// MaxS3Bytes caps an image referenced by S3 URI; zero when the model
	// takes no S3 images.
	MaxS3Bytes int64
	// Keyframes names the frames an image may anchor (Luma: "frame0"
	// starts the video, "frame1" ends it); empty for models that take the
	// image as the first frame only.
	Keyframes []string
}

// Generation is what the poll schedule assumes about generation time.
type Generation struct {
	// Anchors are typical (median) generation times at given video
	// lengths, in ascending length; times in between are interpolated
	// linearly, and lengths beyond the last anchor scale with length.
	Anchors []Anchor
	// Spread is the relative half-width of the window in which most jobs
	// of the shortest length finish.
	Spread float64
	// LongSpread is the spread of longer videos.
	LongSpread float64
}

// Anchor is a typical generation time for a video length.
type Anchor struct {
	VideoSeconds int
	Expected     time.Duration
}

// novaReelEndOfLife is the end of life of both Nova Reel versions (model
// card "Amazon Nova Reel": Legacy, end of life 2026-09-30).
var novaReelEndOfLife = time.Date(2026, time.September, 30, 0, 0, 0, 0, time.UTC)

// novaImages are Nova Reel's input image rules (Nova user guide, image-to-
// video: PNG or JPEG, 1280x720, 8 bits per colour channel, no transparent
// or translucent pixels in a PNG alpha channel, at most 25 MB by S3 URI).
var novaImages = ImageRules{
	Formats:     []string{"png", "jpeg"},
	Width:       1280,
	Height:      720,
	Opaque:      true,
	EightBitRGB: true,
	MaxS3Bytes:  25_000_000,
}

// novaGeneration: "about 90 seconds for a 6 second video and approximately
// 14-17 minutes for a 2 minute video" (Nova user guide, "Video generation
// access and usage"); 15.5 minutes is taken for 120 s.
var novaGeneration = Generation{
	Anchors:    []Anchor{{6, 90 * time.Second}, {120, 930 * time.Second}},
	Spread:     0.25,
	LongSpread: 0.15,
}

var catalogue = []Model{
	{
		ID: NovaReelV10, Name: "Amazon Nova Reel 1.0", Provider: ProviderAmazon,
		Lifecycle: Legacy, EndOfLife: novaReelEndOfLife,
		Regions: []string{"us-east-1", "eu-west-1", "ap-northeast-1"},
		Limits: Limits{
			PromptMaxChars:    512,
			DurationsSeconds:  []int{6},
			Resolutions:       []string{"1280x720"},
			DefaultResolution: "1280x720",
			SeedMax:           2_147_483_646,
			Images:            &novaImages,
		},
		Generation: novaGeneration,
	},
	{
		ID: NovaReelV11, Name: "Amazon Nova Reel 1.1", Provider: ProviderAmazon,
		Lifecycle: Legacy, EndOfLife: novaReelEndOfLife,
		Regions: []string{"us-east-1"},
		Limits: Limits{
			PromptMaxChars:    512,
			DurationsSeconds:  novaMultiShotDurations(),
			Resolutions:       []string{"1280x720"},
			DefaultResolution: "1280x720",
			SeedMax:           2_147_483_646,
			MultiShot: &MultiShot{
				ShotSeconds: 6, MinSeconds: 12, MaxSeconds: 120,
				AutomatedPromptMaxChars: 4000,
				MinShots:                2, MaxShots: 20,
			},
			Images: &novaImages,
		},
		Generation: novaGeneration,
	},
	{
		ID: LumaRay2, Name: "Luma AI Ray2", Provider: ProviderLuma,
		Lifecycle: Active, ThirdParty: true,
		Regions: []string{"us-west-2"},
		Limits: Limits{
			PromptMaxChars:     5000,
			DurationsSeconds:   []int{5, 9},
			Resolutions:        []string{"540p", "720p"},
			DefaultResolution:  "720p",
			AspectRatios:       []string{"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"},
			DefaultAspectRatio: "16:9",
			Loop:               true,
			// The Bedrock page documents base64 keyframe images and
			// states no size or format limit beyond the media type; the
			// job body limit (1 MiB) caps them.
			Images: &ImageRules{
				Formats:   []string{"jpeg", "png"},
				Keyframes: []string{"frame0", "frame1"},
			},
		},
		// Model card "Luma AI Ray2": 2–5 minutes for 5 seconds of video
		// (210 s taken); 9 seconds is assumed to scale with length.
		Generation: Generation{
			Anchors:    []Anchor{{5, 210 * time.Second}},
			Spread:     0.45,
			LongSpread: 0.45,
		},
	},
}

func novaMultiShotDurations() []int {
	d := []int{6}
	for s := 12; s <= 120; s += 6 {
		d = append(d, s)
	}
	return d
}

// All returns every model of the catalogue, sorted by id.
func All() []Model {
	out := slices.Clone(catalogue)
	slices.SortFunc(out, func(a, b Model) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// IDs returns every model id, sorted.
func IDs() []string {
	ids := make([]string, 0, len(catalogue))
	for _, m := range catalogue {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	return ids
}

// Lookup returns the model with id.
func Lookup(id string) (Model, bool) {
	for _, m := range catalogue {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

// Known reports whether id is in the catalogue.
func Known(id string) bool {
	_, ok := Lookup(id)
	return ok
}

// Default is the live model the pipeline uses unless told otherwise, and
// the replacement named for a model past its end of life: Luma Ray2, the
// only Bedrock video model with lifecycle Active.
func Default() Model {
	m, _ := Lookup(LumaRay2)
	return m
}

// DefaultRegion is the Bedrock region of the default model.
func DefaultRegion() string { return Default().Regions[0] }

// AvailableAt reports whether Bedrock still serves the model at t.
func (m Model) AvailableAt(t time.Time) bool {
	return m.EndOfLife.IsZero() || t.Before(m.EndOfLife)
}

// ServedIn reports whether Bedrock serves the model in region.
func (m Model) ServedIn(region string) bool { return slices.Contains(m.Regions, region) }

// Placement renders the model and where it is served, e.g.
// "luma.ray-v2:0 in us-west-2".
func (m Model) Placement() string { return m.ID + " in " + strings.Join(m.Regions, ", ") }

// Replacement is the advice given for a model that cannot be used: the
// default model and its region.
func Replacement() string { return "use " + Default().Placement() }

// ExpectedGeneration is the typical generation time of a videoSeconds-long
// video.
func (g Generation) ExpectedGeneration(videoSeconds int) time.Duration {
	a := g.Anchors
	if len(a) == 0 {
		return 0
	}
	switch {
	case videoSeconds <= a[0].VideoSeconds:
		return a[0].Expected
	case videoSeconds >= a[len(a)-1].VideoSeconds:
		last := a[len(a)-1]
		return scale(last.Expected, float64(videoSeconds)/float64(last.VideoSeconds))
	}
	for i := 1; i < len(a); i++ {
		if videoSeconds <= a[i].VideoSeconds {
			lo, hi := a[i-1], a[i]
			frac := float64(videoSeconds-lo.VideoSeconds) / float64(hi.VideoSeconds-lo.VideoSeconds)
			return lo.Expected + scale(hi.Expected-lo.Expected, frac)
		}
	}
	return a[len(a)-1].Expected
}

// SpreadFor is the spread of a videoSeconds-long video.
func (g Generation) SpreadFor(videoSeconds int) float64 {
	if len(g.Anchors) > 0 && videoSeconds > g.Anchors[0].VideoSeconds {
		return g.LongSpread
	}
	return g.Spread
}

func scale(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

// UnusableError explains why a model cannot be used in a region at a time:
// unknown, past its end of life, or not served there. Its message names the
// replacement.
type UnusableError struct {
	// ID and Region are what was asked for.
	ID, Region string
	// Reason is the rule that failed.
	Reason string
}

// Error renders the reason and the replacement.
func (e *UnusableError) Error() string { return e.Reason + "; " + Replacement() }

// Check returns nil when Bedrock serves model id in region at t, else an
// *UnusableError naming the replacement.
func Check(id, region string, at time.Time) error {
	m, ok := Lookup(id)
	switch {
	case !ok:
		return &UnusableError{ID: id, Region: region, Reason: fmt.Sprintf("unknown video model %q (known: %s)", id, strings.Join(IDs(), ", "))}
	case !m.AvailableAt(at):
		return &UnusableError{ID: id, Region: region, Reason: fmt.Sprintf("%s (%s) reached its end of life on Amazon Bedrock on %s and can no longer be invoked",
			id, m.Lifecycle, m.EndOfLife.Format(time.DateOnly))}
	case !m.ServedIn(region):
		return &UnusableError{ID: id, Region: region, Reason: fmt.Sprintf("%s is served by Amazon Bedrock only in %s, not in %s",
			id, strings.Join(m.Regions, ", "), region)}
	}
	return nil
}
