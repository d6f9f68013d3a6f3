package infra

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	handlerconfig "github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// Architecture values accepted by the architecture setting.
const (
	// ArchARM64 builds and runs the handler on Graviton (GOARCH=arm64).
	ArchARM64 = "arm64"
	// ArchX8664 builds and runs the handler on x86-64 (GOARCH=amd64).
	ArchX8664 = "x86_64"
)

// Limits shared by validation, derivation and documentation.
const (
	// MaxDurableExecutionTimeoutSeconds is the longest durable execution an
	// SQS event source mapping can wait for: the mapping invokes the function
	// synchronously and waits for the whole execution, and a synchronous
	// invocation of a durable function is capped at 15 minutes (Lambda
	// developer guide, "Invoking Lambda durable functions"). The handler's
	// settings contract owns the limit.
	MaxDurableExecutionTimeoutSeconds = int(handlerconfig.MaxExecutionTimeout / time.Second)
	// MaxFunctionTimeoutSeconds is Lambda's per-invocation limit.
	MaxFunctionTimeoutSeconds = 900
	// MaxQueueVisibilityTimeoutSeconds is SQS's limit (12 hours).
	MaxQueueVisibilityTimeoutSeconds = 43200
)

// logRetentionDays are the only values CloudWatch Logs accepts for a log
// group's retention.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// Settings are the project settings of the pipeline (the `config:` block of
// Pulumi.yaml). Field comments give the Pulumi config key, the default and
// the allowed range; Validate enforces the ranges.
type Settings struct {
	// BedrockRegion (bedrockRegion, default: the region of the catalogue's
	// live model, us-west-2) is where Bedrock is called and where the output
	// bucket lives.
	BedrockRegion string
	// BedrockModelID (bedrockModelId, default: the catalogue's live model,
	// luma.ray-v2:0) is the model the handler uses when a job names none.
	BedrockModelID string
	// AllowedModelIDs (allowedModelIds, default empty = just BedrockModelID)
	// are the models a job may ask for; the role may invoke each of them.
	AllowedModelIDs []string
	// Architecture (architecture, default arm64) is arm64 or x86_64.
	Architecture string
	// MemorySizeMB (memorySizeMb, default 256) is the function memory, 128–10240.
	MemorySizeMB int
	// FunctionTimeoutSeconds (functionTimeoutSeconds, default 900) is the
	// per-invocation timeout, from DurableExecutionTimeoutSeconds to 900 (see
	// Validate).
	FunctionTimeoutSeconds int
	// DurableExecutionTimeoutSeconds (durableExecutionTimeoutSeconds,
	// default 900) bounds a whole durable execution, 1–900.
	DurableExecutionTimeoutSeconds int
	// DurableRetentionDays (durableRetentionDays, default 14) is how long
	// Lambda keeps a finished execution's history, 1–90.
	DurableRetentionDays int
	// LogRetentionDays (logRetentionDays, default 14) must be a value
	// CloudWatch Logs accepts.
	LogRetentionDays int
	// OutputExpirationDays (outputExpirationDays, default 7) is the lifecycle
	// expiry of everything under videos/, 1–3650.
	OutputExpirationDays int
	// ForceDestroy (forceDestroy, default false) lets `pulumi destroy` delete
	// a bucket that still holds videos.
	ForceDestroy bool
	// MaxReceiveCount (maxReceiveCount, default 100) is how many times a
	// message is received before it moves to the dead-letter queue,
	// 1–1000. A record with an outcome in result.json is not redelivered,
	// so receives are spent only by jobs that outlive an execution,
	// records waiting for Bedrock capacity, and crashes: 100 receives of
	// one visibility timeout each (900 s by default) are 25 hours of
	// waiting, inside the job queue's 4-day message retention. See
	// README, "Deliveries, capacity and the dead-letter queue".
	MaxReceiveCount int
	// BedrockConcurrentJobs (bedrockConcurrentJobs, default 3) is the
	// account's quota of concurrent asynchronous Bedrock jobs for the
	// model, 1–1000; the handler starts a job only while fewer are
	// running.
	BedrockConcurrentJobs int
	// QueueVisibilityTimeoutSeconds (queueVisibilityTimeoutSeconds, default 0)
	// is the queue's visibility timeout. 0 derives it (see
	// EffectiveVisibilityTimeoutSeconds); any other value must be at least
	// the derived floor and at most 43200.
	QueueVisibilityTimeoutSeconds int
	// BatchSize (batchSize, default 1) is the event source batch size, 1–10.
	BatchSize int
	// MaximumBatchingWindowSeconds (maximumBatchingWindowSeconds, default 0)
	// is how long the mapping gathers a batch, 0–300.
	MaximumBatchingWindowSeconds int
	// MinimumPollers (minimumPollers, default 2) is the provisioned-mode
	// minimum, 2–200; these pollers are billed while the mapping exists.
	MinimumPollers int
	// MaximumPollers (maximumPollers, default 5) is the provisioned-mode
	// maximum, minimumPollers–2000.
	MaximumPollers int
	// EventBusName (eventBusName, default "default") is the EventBridge
	// bus, in the function's region, that receives a completion event per
	// finished job; the role may put events on this bus only. A bus other
	// than the default one must already exist.
	EventBusName string
	// MetricsNamespace (metricsNamespace, default BedrockVideoPipeline) is
	// the CloudWatch namespace of the handler's metrics.
	MetricsNamespace string
	// AlarmEmail (alarmEmail, default "") subscribes this address to the
	// alarm topic when set (the recipient confirms by email).
	AlarmEmail string
	// EventDrivenCompletion (eventDrivenCompletion, default true) deploys
	// the notifier function and the bucket notification that completes
	// each job's durable callback when its video lands, and tells the
	// handler to wait on that callback with polling as the fallback;
	// false deploys neither and the handler polls only.
	EventDrivenCompletion bool
}

// DefaultSettings returns the settings used for every key the stack leaves
// unset. They match the defaults declared in Pulumi.yaml. The model and the
// Bedrock region come from the model catalogue (videomodels.Default).
func DefaultSettings() Settings {
	return Settings{
		BedrockRegion:                  videomodels.DefaultRegion(),
		BedrockModelID:                 videomodels.Default().ID,
		Architecture:                   ArchARM64,
		MemorySizeMB:                   256,
		FunctionTimeoutSeconds:         MaxFunctionTimeoutSeconds,
		DurableExecutionTimeoutSeconds: int(handlerconfig.DefaultExecutionTimeout / time.Second),
		DurableRetentionDays:           14,
		LogRetentionDays:               14,
		OutputExpirationDays:           7,
		ForceDestroy:                   false,
		MaxReceiveCount:                100,
		BedrockConcurrentJobs:          handlerconfig.DefaultConcurrentJobs,
		QueueVisibilityTimeoutSeconds:  0,
		BatchSize:                      1,
		MaximumBatchingWindowSeconds:   0,
		MinimumPollers:                 2,
		MaximumPollers:                 5,
		EventBusName:                   handlerconfig.DefaultEventBus,
		MetricsNamespace:               handlerconfig.DefaultMetricsNamespace,
		EventDrivenCompletion:          true,
	}
}

// SettingsFromConfig reads the project settings of the running stack,
// falling back to DefaultSettings for every key that is not set. It reports
// a value that cannot be parsed, naming its key; it does not validate
// ranges (call Validate, which NewVideoPipeline also does).
func SettingsFromConfig(ctx *pulumi.Context) (Settings, error) {
	cfg := config.New(ctx, "")
	s := DefaultSettings()
	var errs []error

	str := func(key string, dst *string) {
		if v, err := cfg.Try(key); err == nil {
			*dst = strings.TrimSpace(v)
		}
	}
	integer := func(key string, dst *int) {
		v, err := cfg.TryInt(key)
		switch {
		case err == nil:
			*dst = v
		case !errors.Is(err, config.ErrMissingVar):
			errs = append(errs, fmt.Errorf("%s must be an integer: %w", key, err))
		}
	}
	boolean := func(key string, dst *bool) {
		v, err := cfg.TryBool(key)
		switch {
		case err == nil:
			*dst = v
		case !errors.Is(err, config.ErrMissingVar):
			errs = append(errs, fmt.Errorf("%s must be true or false: %w", key, err))
		}
	}

	str("bedrockRegion", &s.BedrockRegion)
	str("bedrockModelId", &s.BedrockModelID)
	str("architecture", &s.Architecture)
	integer("memorySizeMb", &s.MemorySizeMB)
	integer("functionTimeoutSeconds", &s.FunctionTimeoutSeconds)
	integer("durableExecutionTimeoutSeconds", &s.DurableExecutionTimeoutSeconds)
	integer("durableRetentionDays", &s.DurableRetentionDays)
	integer("logRetentionDays", &s.LogRetentionDays)
	integer("outputExpirationDays", &s.OutputExpirationDays)
	boolean("forceDestroy", &s.ForceDestroy)
	integer("maxReceiveCount", &s.MaxReceiveCount)
	integer("bedrockConcurrentJobs", &s.BedrockConcurrentJobs)
	integer("queueVisibilityTimeoutSeconds", &s.QueueVisibilityTimeoutSeconds)
	integer("batchSize", &s.BatchSize)
	integer("maximumBatchingWindowSeconds", &s.MaximumBatchingWindowSeconds)
	integer("minimumPollers", &s.MinimumPollers)
	integer("maximumPollers", &s.MaximumPollers)
	str("eventBusName", &s.EventBusName)
	str("metricsNamespace", &s.MetricsNamespace)
	str("alarmEmail", &s.AlarmEmail)
	boolean("eventDrivenCompletion", &s.EventDrivenCompletion)

	var models []string
	if err := cfg.TryObject("allowedModelIds", &models); err == nil {
		s.AllowedModelIDs = models
	} else if !errors.Is(err, config.ErrMissingVar) {
		errs = append(errs, fmt.Errorf("allowedModelIds must be a list of model ids: %w", err))
	}

	if err := errors.Join(errs...); err != nil {
		return Settings{}, fmt.Errorf("reading pipeline settings: %w", err)
	}
	return s, nil
}

// ModelIDs returns the models the function may invoke: AllowedModelIDs, or
// just BedrockModelID when the allow-list is empty. The result is sorted and
// free of duplicates so that generated policies are stable.
func (s Settings) ModelIDs() []string {
	ids := s.AllowedModelIDs
	if len(ids) == 0 {
		ids = []string{s.BedrockModelID}
	}
	out := slices.Clone(ids)
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// GOARCH returns the Go architecture matching Architecture.
func (s Settings) GOARCH() string {
	if s.Architecture == ArchX8664 {
		return "amd64"
	}
	return "arm64"
}

// VisibilityTimeoutFloorSeconds is the smallest visibility timeout that is
// safe for the queue: it covers a whole durable execution (the mapping keeps
// the message in flight until the execution ends) and the function timeout
// (Lambda refuses an event source mapping whose function timeout exceeds the
// queue's visibility timeout: Lambda developer guide, "Creating and
// configuring an Amazon SQS event source mapping").
//
// It is deliberately not six times the function timeout, the figure that
// guide recommends so that retries of a throttled invocation happen while
// the message is still in flight: with a 900 s function timeout that is 90
// minutes, and every redelivery — a job that outlives one execution, a
// record reported as failed — would wait that long. A redelivery while an
// execution still runs is harmless here: the new execution re-attaches to
// the job through job.json and starts no second Bedrock job.
func (s Settings) VisibilityTimeoutFloorSeconds() int {
	return max(s.DurableExecutionTimeoutSeconds, s.FunctionTimeoutSeconds)
}

// EffectiveVisibilityTimeoutSeconds is the visibility timeout given to the
// queue: QueueVisibilityTimeoutSeconds when set (Validate rejects a value
// below the floor), otherwise VisibilityTimeoutFloorSeconds.
func (s Settings) EffectiveVisibilityTimeoutSeconds() int {
	if s.QueueVisibilityTimeoutSeconds == 0 {
		return s.VisibilityTimeoutFloorSeconds()
	}
	return s.QueueVisibilityTimeoutSeconds
}

// Validate checks every setting against its allowed range, and the models
// against the catalogue as of now; see ValidateAt.
func (s Settings) Validate() error { return s.ValidateAt(time.Now()) }

// ValidateAt checks every setting against its allowed range and returns one
// error listing every problem found, each naming the setting and its rule.
// Every model (bedrockModelId and allowedModelIds) must be in the catalogue,
// not past its end of life at now, and served by Bedrock in bedrockRegion;
// the error then names the catalogue's replacement and the settings to
// change, so `pulumi preview` stops before deploying a pipeline whose every
// job would fail.
func (s Settings) ValidateAt(now time.Time) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	between := func(key string, v, lo, hi int, why string) {
		if v < lo || v > hi {
			if why != "" {
				why = " (" + why + ")"
			}
			bad("%s must be between %d and %d%s, got %d", key, lo, hi, why, v)
		}
	}

	if !handlerconfig.IsRegionName(s.BedrockRegion) {
		bad("bedrockRegion must be an AWS region name such as %s, got %q", videomodels.DefaultRegion(), s.BedrockRegion)
	}
	live := videomodels.Default()
	fix := fmt.Sprintf("pulumi config set bedrockModelId %s && pulumi config set bedrockRegion %s", live.ID, live.Regions[0])
	if err := videomodels.Check(s.BedrockModelID, s.BedrockRegion, now); err != nil {
		bad("bedrockModelId: %w (%s)", err, fix)
	}
	for _, id := range s.AllowedModelIDs {
		if id = strings.TrimSpace(id); id == s.BedrockModelID {
			continue // reported above
		}
		if err := videomodels.Check(id, s.BedrockRegion, now); err != nil {
			bad("allowedModelIds: %w (remove %s from allowedModelIds)", err, id)
		}
	}
	if len(s.AllowedModelIDs) > 0 && !slices.Contains(s.ModelIDs(), s.BedrockModelID) {
		bad("allowedModelIds must include bedrockModelId %q (or be empty to allow just that model), got [%s]",
			s.BedrockModelID, strings.Join(s.AllowedModelIDs, ", "))
	}

	if s.Architecture != ArchARM64 && s.Architecture != ArchX8664 {
		bad("architecture must be %q or %q, got %q", ArchARM64, ArchX8664, s.Architecture)
	}
	between("memorySizeMb", s.MemorySizeMB, 128, 10240, "")
	between("functionTimeoutSeconds", s.FunctionTimeoutSeconds, 1, MaxFunctionTimeoutSeconds, "")
	between("durableExecutionTimeoutSeconds", s.DurableExecutionTimeoutSeconds, 1, MaxDurableExecutionTimeoutSeconds,
		"an event source mapping waits for the whole execution")
	// The Lambda guide ("Invoking Lambda durable functions") limits a
	// synchronous invocation of a durable function — what the event source
	// mapping makes — to 15 minutes "or less if the function timeout or
	// execution timeout is lower". Under that reading a function timeout
	// below the execution timeout would cut every execution short, so it is
	// refused rather than left to fail at run time.
	if s.FunctionTimeoutSeconds < s.DurableExecutionTimeoutSeconds {
		bad("functionTimeoutSeconds must be at least durableExecutionTimeoutSeconds=%d, got %d "+
			"(the event source mapping invokes the function synchronously, and such an invocation of a durable "+
			"function ends at the lower of the two timeouts)", s.DurableExecutionTimeoutSeconds, s.FunctionTimeoutSeconds)
	}
	between("durableRetentionDays", s.DurableRetentionDays, 1, 90, "")
	if !slices.Contains(logRetentionDays, s.LogRetentionDays) {
		bad("logRetentionDays must be one of %v (values CloudWatch Logs accepts), got %d", logRetentionDays, s.LogRetentionDays)
	}
	between("outputExpirationDays", s.OutputExpirationDays, 1, 3650, "")
	between("maxReceiveCount", s.MaxReceiveCount, 1, 1000, "")
	between("bedrockConcurrentJobs", s.BedrockConcurrentJobs, 1, handlerconfig.MaxConcurrentJobs, "the account's concurrent asynchronous job quota for the model, from the Service Quotas console")
	if v := s.QueueVisibilityTimeoutSeconds; v != 0 {
		floor := s.VisibilityTimeoutFloorSeconds()
		between("queueVisibilityTimeoutSeconds", v, floor, MaxQueueVisibilityTimeoutSeconds, fmt.Sprintf(
			"0 derives it; otherwise at least durableExecutionTimeoutSeconds=%d and functionTimeoutSeconds=%d",
			s.DurableExecutionTimeoutSeconds, s.FunctionTimeoutSeconds))
	}
	between("batchSize", s.BatchSize, 1, 10, "")
	between("maximumBatchingWindowSeconds", s.MaximumBatchingWindowSeconds, 0, 300, "")
	between("minimumPollers", s.MinimumPollers, 2, 200, "provisioned mode for SQS needs at least 2")
	between("maximumPollers", s.MaximumPollers, max(s.MinimumPollers, 2), 2000, "at least minimumPollers")

	if err := handlerconfig.CheckEventBusName(s.EventBusName); err != nil {
		bad("eventBusName: %v", err)
	}
	if err := handlerconfig.CheckMetricsNamespace(s.MetricsNamespace); err != nil {
		bad("metricsNamespace: %v", err)
	}
	if s.AlarmEmail != "" && !emailPattern.MatchString(s.AlarmEmail) {
		bad("alarmEmail must be an email address such as ops@example.com (or empty for no subscription), got %q", s.AlarmEmail)
	}

	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid pipeline settings: %w", err)
	}
	return nil
}
