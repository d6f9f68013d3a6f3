package jobspec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// Model identifiers the handler can drive through Bedrock asynchronous
// invocation.
const (
	// NovaReelV10 is Amazon Nova Reel 1.0: 6-second text/image-to-video.
	NovaReelV10 = videomodels.NovaReelV10
	// NovaReelV11 is Amazon Nova Reel 1.1: 6-second videos plus multi-shot
	// videos of up to two minutes.
	NovaReelV11 = videomodels.NovaReelV11
	// LumaRay2 is Luma AI Ray2: 5- or 9-second text-to-video.
	LumaRay2 = videomodels.LumaRay2
)

// KnownModels returns the supported model ids, sorted.
func KnownModels() []string { return videomodels.IDs() }

// IsKnownModel reports whether id is a supported model.
func IsKnownModel(id string) bool { return videomodels.Known(id) }

// Task types of Amazon Nova Reel requests (the taskType field).
const (
	TaskTextVideo          = "TEXT_VIDEO"
	TaskMultiShotAutomated = "MULTI_SHOT_AUTOMATED"
	TaskMultiShotManual    = "MULTI_SHOT_MANUAL"
	// TaskLumaTextVideo names Luma Ray2 requests, which have no taskType.
	TaskLumaTextVideo = "LUMA_TEXT_VIDEO"
)

// Documented limits of the supported models.
const (
	// NovaShotSeconds is the length of one Nova Reel shot; every Nova Reel
	// video is a whole number of shots.
	NovaShotSeconds = 6
	// NovaMultiShotMinSeconds and NovaMultiShotMaxSeconds bound
	// MULTI_SHOT_AUTOMATED videos (multiples of 6).
	NovaMultiShotMinSeconds = 12
	NovaMultiShotMaxSeconds = 120
	// NovaTextVideoPromptMax is the prompt limit of TEXT_VIDEO and of each
	// MULTI_SHOT_MANUAL shot, in characters.
	NovaTextVideoPromptMax = 512
	// NovaMultiShotPromptMax is the prompt limit of MULTI_SHOT_AUTOMATED.
	NovaMultiShotPromptMax = 4000
	// NovaManualMinShots and NovaManualMaxShots bound MULTI_SHOT_MANUAL.
	NovaManualMinShots = 2
	NovaManualMaxShots = 20
	// NovaImageWidth and NovaImageHeight are the only input image size
	// Nova Reel accepts (it is also the output size).
	NovaImageWidth  = 1280
	NovaImageHeight = 720
	// LumaPromptMax is Luma Ray2's prompt limit in characters.
	LumaPromptMax = 5000
	// SeedMax is the largest seed Nova Reel accepts (the smallest is 0).
	SeedMax = 2_147_483_646
	// MaxBodyBytes is the largest job body (1 MiB, the SQS maximum).
	MaxBodyBytes = config.MaxJobBodyBytes
)

// Luma Ray2 enumerations, as documented for Bedrock.
var (
	lumaAspectRatios = []string{"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"}
	lumaResolutions  = []string{"540p", "720p"}
	lumaDurations    = []int{5, 9}
)

// Defaults applied to Luma Ray2 requests that leave a field out.
const (
	LumaDefaultAspectRatio = "16:9"
	LumaDefaultResolution  = "720p"
	LumaDefaultSeconds     = 5
)

// Models is the model policy a record is checked against: the configured
// default (BEDROCK_MODEL_ID) and the ids a record may ask for
// (ALLOWED_MODEL_IDS).
type Models struct {
	Default string
	Allowed []string
}

// resolve picks the record's model: the default when requested is empty,
// else requested if the policy allows it.
func (m Models) resolve(requested string, ps *problems) (string, bool) {
	if requested == "" {
		return m.Default, true
	}
	if slices.Contains(m.Allowed, requested) || requested == m.Default {
		return requested, true
	}
	allowed := strings.Join(m.allowedList(), ", ")
	if !IsKnownModel(requested) {
		ps.add("model", fmt.Sprintf("unknown model %q; this deployment allows: %s", requested, allowed))
	} else {
		ps.add("model", fmt.Sprintf("%q is not allowed by ALLOWED_MODEL_IDS; this deployment allows: %s", requested, allowed))
	}
	return "", false
}

func (m Models) allowedList() []string {
	out := slices.Clone(m.Allowed)
	if !slices.Contains(out, m.Default) {
		out = append(out, m.Default)
	}
	slices.Sort(out)
	return out
}
