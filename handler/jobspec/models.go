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
	// TaskLumaTextVideo and TaskLumaImageVideo name Luma Ray2 requests
	// (which have no taskType) without and with keyframe images.
	TaskLumaTextVideo  = "LUMA_TEXT_VIDEO"
	TaskLumaImageVideo = "LUMA_IMAGE_VIDEO"
)

// MaxBodyBytes is the largest job body (the settings contract's
// MaxJobBodyBytes, the SQS maximum).
const MaxBodyBytes = config.MaxJobBodyBytes

// Policy is what a record is checked against: the configured default
// model, the models a record may ask for, and the pipeline's bucket, whose
// input prefix (config.InputPrefix) is the only place images referenced by
// S3 URI may come from.
type Policy struct {
	// Default is the model of records that name none.
	Default string
	// Allowed are the models a record may name (Default always is).
	Allowed []string
	// Bucket is the pipeline's bucket.
	Bucket string
}

// PolicyFor is the policy of a handler configuration.
func PolicyFor(c config.Config) Policy {
	return Policy{Default: c.DefaultModel, Allowed: c.AllowedModels, Bucket: c.OutputBucket}
}

// resolve picks the record's model: the default when requested is empty,
// else requested if the policy allows it.
func (m Policy) resolve(requested string, ps *problems) (string, bool) {
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
		ps.add("model", fmt.Sprintf("%q is not allowed by %s; this deployment allows: %s", requested, config.EnvAllowedModels, allowed))
	}
	return "", false
}

func (m Policy) allowedList() []string {
	out := slices.Clone(m.Allowed)
	if !slices.Contains(out, m.Default) {
		out = append(out, m.Default)
	}
	slices.Sort(out)
	return out
}
