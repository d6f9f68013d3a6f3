// Package config is the settings contract between the deployment and the
// video handler: it owns the name, default and limit of every environment
// variable the function reads, reads them (FromEnv, FromEnviron) with a
// message naming the variable and the rule for every bad one, and writes
// them (Config.Environ) so the deployment builds the function's
// environment from typed values and never spells a name itself. It also
// owns the bucket layout both sides rely on and the job body limit.
package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// Environment variables the handler reads. No other file spells them.
const (
	// EnvOutputBucket (required) names the pipeline's bucket: job.json,
	// result.json and the videos go under OutputPrefix, input images are
	// read from under InputPrefix.
	EnvOutputBucket = "OUTPUT_BUCKET_NAME"
	// EnvModelID is the model of jobs that name none (default: the
	// catalogue's live model, videomodels.Default).
	EnvModelID = "BEDROCK_MODEL_ID"
	// EnvAllowedModels is a comma-separated list of models a job may name
	// (default: only BEDROCK_MODEL_ID, which is always allowed).
	EnvAllowedModels = "ALLOWED_MODEL_IDS"
	// EnvRegion is where Bedrock is called and the bucket lives (default:
	// the first region that serves BEDROCK_MODEL_ID).
	EnvRegion = "BEDROCK_REGION"
	// EnvExecutionTimeout is the durable execution timeout in seconds the
	// function is configured with, MinExecutionTimeout–MaxExecutionTimeout
	// (default DefaultExecutionTimeout).
	EnvExecutionTimeout = "DURABLE_EXECUTION_TIMEOUT_SECONDS"
	// EnvMaxConcurrency bounds how many records of a batch are processed
	// at once, 1–MaxMaxConcurrency (default DefaultMaxConcurrency).
	EnvMaxConcurrency = "MAX_CONCURRENT_RECORDS"
	// EnvEventBus names the EventBridge event bus, in the function's
	// region, that receives one completion event per finished job
	// (default DefaultEventBus, the account's default bus).
	EnvEventBus = "EVENT_BUS_NAME"
	// EnvMetricsNamespace is the CloudWatch namespace of the metrics the
	// handler writes into its logs in embedded metric format (default
	// DefaultMetricsNamespace).
	EnvMetricsNamespace = "METRICS_NAMESPACE"
	// EnvConcurrentJobs is the account's quota of concurrent asynchronous
	// Bedrock jobs per model, 1–MaxConcurrentJobs (default
	// DefaultConcurrentJobs); the admission check starts a job only while
	// fewer of the model's jobs are InProgress.
	EnvConcurrentJobs = "BEDROCK_CONCURRENT_JOBS"
	// EnvCompletionCallbacks turns event-driven completion on or off:
	// "true" (default) makes the workflow wait for each started job on a
	// durable callback that the notifier completes when the video lands
	// in the bucket, polling only as a sparse fallback; "false" makes it
	// poll Bedrock on the dense schedule and write no callback.json.
	EnvCompletionCallbacks = "COMPLETION_CALLBACKS"
)

// Variables lists every environment variable the handler reads, in the
// order Environ documents them.
func Variables() []string {
	return []string{EnvOutputBucket, EnvModelID, EnvAllowedModels, EnvRegion, EnvExecutionTimeout, EnvMaxConcurrency, EnvConcurrentJobs,
		EnvEventBus, EnvMetricsNamespace, EnvCompletionCallbacks}
}

// Defaults and limits of the settings.
const (
	// MinExecutionTimeout and MaxExecutionTimeout bound the durable
	// execution timeout. An SQS event source mapping invokes a durable
	// function synchronously and waits for the whole execution, which
	// Lambda limits to 15 minutes (Lambda developer guide, "Invoking
	// durable functions" and "Event source mappings with durable
	// functions").
	MinExecutionTimeout     = 1 * time.Second
	MaxExecutionTimeout     = 900 * time.Second
	DefaultExecutionTimeout = 900 * time.Second
	// DefaultMaxConcurrency and MaxMaxConcurrency bound the records of a
	// batch processed at once (SQS batches hold at most 10 records for a
	// standard queue with a batching window of 0).
	DefaultMaxConcurrency = 10
	MaxMaxConcurrency     = 100
	// DefaultEventBus is the account's default event bus.
	DefaultEventBus = "default"
	// DefaultMetricsNamespace is the namespace of the handler's metrics
	// when none is set.
	DefaultMetricsNamespace = "BedrockVideoPipeline"
	// MaxMetricsNamespaceLength is CloudWatch's limit on a namespace
	// (Amazon CloudWatch API reference, PutMetricData: Namespace, 1–255
	// characters).
	MaxMetricsNamespaceLength = 255
	// DefaultConcurrentJobs is the concurrent-job quota assumed when
	// BEDROCK_CONCURRENT_JOBS is unset. Bedrock's quota of concurrent
	// asynchronous invocations is set per model and account, and can be
	// raised; 3 is a low reading, so a larger real quota is merely used
	// less eagerly (Bedrock's ServiceQuotaExceededException remains the
	// authority). Set it to the value the Service Quotas console shows.
	DefaultConcurrentJobs = 3
	MaxConcurrentJobs     = 1000
)

// MaxJobBodyBytes is the largest job body: 1 MiB, the largest message SQS
// accepts (Amazon SQS API reference, SendMessage: "The maximum size is 1 MiB
// or 1,048,576 bytes"; queue attribute MaximumMessageSize 1,024–1,048,576,
// default 262,144 in pulumi-aws). The deployment sets the queues'
// maxMessageSize to it; the handler refuses longer bodies.
const MaxJobBodyBytes = 1 << 20

// Bucket layout shared by the deployment (its IAM grants) and the handler.
const (
	// OutputPrefix holds everything the handler and Bedrock write:
	// videos/<messageId>/job.json, result.json and Bedrock's output. The
	// function may read, write and list it.
	OutputPrefix = "videos/"
	// InputPrefix is where jobs put the images they reference by S3 URI
	// (s3://<bucket>/inputs/...). Bedrock reads an s3Location with the
	// caller's identity, so the function may read this prefix and nothing
	// else outside OutputPrefix.
	InputPrefix = "inputs/"
)

var (
	// bucketPattern is the shape of a general purpose bucket name (Amazon
	// S3 user guide, "General purpose bucket naming rules": 3–63
	// lowercase letters, digits, dots and hyphens, starting and ending
	// with a letter or digit).
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// regionPattern is the shape of an AWS region name such as us-west-2.
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	// busPattern is an event bus name as PutEventsRequestEntry takes it
	// (Amazon EventBridge API reference: 1–256 characters of
	// [.\-_A-Za-z0-9]).
	busPattern = regexp.MustCompile(`^[.\-_A-Za-z0-9]{1,256}$`)
	// namespacePattern is the characters CloudWatch allows in a namespace
	// (Amazon CloudWatch user guide, "Metrics concepts", Namespaces:
	// alphanumerics, period, hyphen, underscore, forward slash, hash,
	// colon and space).
	namespacePattern = regexp.MustCompile(`^[0-9A-Za-z._/#: -]+$`)
)

// Config is the handler's validated configuration.
type Config struct {
	// OutputBucket is the pipeline's bucket (EnvOutputBucket).
	OutputBucket string
	// DefaultModel is the model of jobs that name none (EnvModelID).
	DefaultModel string
	// AllowedModels are the models a job may name, sorted; FromEnv always
	// includes DefaultModel (EnvAllowedModels).
	AllowedModels []string
	// BedrockRegion is where Bedrock is called and the bucket lives
	// (EnvRegion).
	BedrockRegion string
	// ExecutionTimeout is the durable execution timeout
	// (EnvExecutionTimeout).
	ExecutionTimeout time.Duration
	// MaxConcurrency bounds the records processed at once
	// (EnvMaxConcurrency).
	MaxConcurrency int
	// EventBus is the event bus of completion events (EnvEventBus).
	EventBus string
	// MetricsNamespace is the CloudWatch namespace of the handler's
	// metrics (EnvMetricsNamespace).
	MetricsNamespace string
	// ConcurrentJobs is the account's concurrent-job quota per model; the
	// start step admits a job only while fewer of the model's jobs are
	// InProgress (EnvConcurrentJobs; see package admission).
	ConcurrentJobs int
	// CompletionCallbacks makes the workflow wait for each job on a
	// durable callback completed by the notifier, with polling as the
	// fallback; false is pure polling (EnvCompletionCallbacks).
	CompletionCallbacks bool
}

// Defaults returns the configuration an environment holding only
// OUTPUT_BUCKET_NAME=bucket gives: the catalogue's live model in its
// region, the longest execution timeout, 10 records at once, event-driven
// completion on.
func Defaults(bucket string) Config {
	m := videomodels.Default()
	return Config{
		OutputBucket:        bucket,
		DefaultModel:        m.ID,
		AllowedModels:       []string{m.ID},
		BedrockRegion:       m.Regions[0],
		ExecutionTimeout:    DefaultExecutionTimeout,
		MaxConcurrency:      DefaultMaxConcurrency,
		EventBus:            DefaultEventBus,
		MetricsNamespace:    DefaultMetricsNamespace,
		ConcurrentJobs:      DefaultConcurrentJobs,
		CompletionCallbacks: true,
	}
}

// ModelIDs returns the models the function may invoke: AllowedModels and
// DefaultModel, sorted and without duplicates.
func (c Config) ModelIDs() []string {
	ids := slices.Clone(c.AllowedModels)
	if c.DefaultModel != "" {
		ids = append(ids, c.DefaultModel)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Environ renders c as the function's environment: every variable of
// Variables, so the deployed function never depends on a default that
// might change. FromEnviron(c.Environ()) returns c for any valid c whose
// AllowedModels equals c.ModelIDs().
func (c Config) Environ() map[string]string {
	return map[string]string{
		EnvOutputBucket:        c.OutputBucket,
		EnvModelID:             c.DefaultModel,
		EnvAllowedModels:       strings.Join(c.ModelIDs(), ","),
		EnvRegion:              c.BedrockRegion,
		EnvExecutionTimeout:    strconv.FormatInt(int64(c.ExecutionTimeout/time.Second), 10),
		EnvMaxConcurrency:      strconv.Itoa(c.MaxConcurrency),
		EnvEventBus:            c.EventBus,
		EnvMetricsNamespace:    c.MetricsNamespace,
		EnvConcurrentJobs:      strconv.Itoa(c.ConcurrentJobs),
		EnvCompletionCallbacks: strconv.FormatBool(c.CompletionCallbacks),
	}
}

// Validate reports what FromEnviron would refuse in c.Environ().
func (c Config) Validate() error {
	_, err := FromEnviron(c.Environ())
	return err
}

// FromEnviron reads the configuration from an environment map.
func FromEnviron(env map[string]string) (Config, error) {
	return FromEnv(func(name string) string { return env[name] })
}

// FromEnv reads the configuration through getenv (os.Getenv in
// production). It reports every bad setting at once, each naming the
// variable and the rule.
//
// Models must be in the catalogue and served in the Bedrock region. A
// model past its end of life is accepted here: Bedrock's own answer at run
// time marks each job FAILED with error type ModelEndOfLife, which keeps
// the reason next to every job instead of failing the function's start.
func FromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	known := strings.Join(videomodels.IDs(), ", ")

	c := Config{
		OutputBucket:        get(EnvOutputBucket),
		DefaultModel:        get(EnvModelID),
		BedrockRegion:       get(EnvRegion),
		ExecutionTimeout:    DefaultExecutionTimeout,
		MaxConcurrency:      DefaultMaxConcurrency,
		EventBus:            get(EnvEventBus),
		MetricsNamespace:    get(EnvMetricsNamespace),
		ConcurrentJobs:      DefaultConcurrentJobs,
		CompletionCallbacks: true,
	}
	switch {
	case c.OutputBucket == "":
		bad("%s is required: the S3 bucket that receives the videos", EnvOutputBucket)
	case !bucketPattern.MatchString(c.OutputBucket):
		bad("%s=%q is not a valid S3 bucket name (3–63 lowercase letters, digits, dots and hyphens)", EnvOutputBucket, c.OutputBucket)
	}
	defaultKnown := true
	if c.DefaultModel == "" {
		c.DefaultModel = videomodels.Default().ID
	} else if !videomodels.Known(c.DefaultModel) {
		defaultKnown = false
		bad("%s=%q is not a model this handler supports; supported: %s", EnvModelID, c.DefaultModel, known)
	}
	for _, id := range strings.Split(get(EnvAllowedModels), ",") {
		id = strings.TrimSpace(id)
		switch {
		case id == "" || slices.Contains(c.AllowedModels, id):
		case !videomodels.Known(id):
			bad("%s lists %q, which is not a model this handler supports; supported: %s", EnvAllowedModels, id, known)
		default:
			c.AllowedModels = append(c.AllowedModels, id)
		}
	}
	if defaultKnown {
		c.AllowedModels = c.ModelIDs()
	} else {
		slices.Sort(c.AllowedModels)
	}

	switch {
	case c.BedrockRegion == "" && defaultKnown:
		m, _ := videomodels.Lookup(c.DefaultModel)
		c.BedrockRegion = m.Regions[0]
	case c.BedrockRegion == "":
		bad("%s is required when %s is not a known model", EnvRegion, EnvModelID)
	case !regionPattern.MatchString(c.BedrockRegion):
		bad("%s=%q is not an AWS region name such as us-west-2", EnvRegion, c.BedrockRegion)
	}
	if regionPattern.MatchString(c.BedrockRegion) {
		for _, id := range c.AllowedModels {
			m, _ := videomodels.Lookup(id)
			if !m.ServedIn(c.BedrockRegion) {
				name := EnvAllowedModels
				if id == c.DefaultModel {
					name = EnvModelID
				}
				bad("%s: %s is served by Amazon Bedrock only in %s, but %s=%q; %s",
					name, id, strings.Join(m.Regions, ", "), EnvRegion, c.BedrockRegion, videomodels.Replacement())
			}
		}
	}
	if v := get(EnvExecutionTimeout); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || time.Duration(n)*time.Second < MinExecutionTimeout || time.Duration(n)*time.Second > MaxExecutionTimeout {
			bad("%s=%q must be a whole number of seconds from %d to %d (an SQS event source waits for the whole execution, at most 15 minutes)",
				EnvExecutionTimeout, v, int(MinExecutionTimeout/time.Second), int(MaxExecutionTimeout/time.Second))
		} else {
			c.ExecutionTimeout = time.Duration(n) * time.Second
		}
	}
	if v := get(EnvMaxConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxMaxConcurrency {
			bad("%s=%q must be a whole number from 1 to %d", EnvMaxConcurrency, v, MaxMaxConcurrency)
		} else {
			c.MaxConcurrency = n
		}
	}
	if c.EventBus == "" {
		c.EventBus = DefaultEventBus
	} else if err := CheckEventBusName(c.EventBus); err != nil {
		bad("%s: %v", EnvEventBus, err)
	}
	if c.MetricsNamespace == "" {
		c.MetricsNamespace = DefaultMetricsNamespace
	} else if err := CheckMetricsNamespace(c.MetricsNamespace); err != nil {
		bad("%s: %v", EnvMetricsNamespace, err)
	}
	if v := get(EnvConcurrentJobs); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxConcurrentJobs {
			bad("%s=%q must be a whole number from 1 to %d: the account's quota of concurrent asynchronous Bedrock jobs for the model (Service Quotas console)",
				EnvConcurrentJobs, v, MaxConcurrentJobs)
		} else {
			c.ConcurrentJobs = n
		}
	}
	switch v := get(EnvCompletionCallbacks); v {
	case "", "true":
	case "false":
		c.CompletionCallbacks = false
	default:
		bad("%s=%q must be true (wait for the S3 event, poll as a fallback) or false (poll only)", EnvCompletionCallbacks, v)
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("handler configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// IsBucketName reports whether name has the shape of an S3 general purpose
// bucket name. Callers word their own error, naming their field.
func IsBucketName(name string) bool { return bucketPattern.MatchString(name) }

// IsRegionName reports whether name has the shape of an AWS region name
// such as us-west-2 (whether the region exists is AWS's to say). Callers
// word their own error, naming their field.
func IsRegionName(name string) bool { return regionPattern.MatchString(name) }

// CheckEventBusName reports why name cannot name the event bus of
// completion events: 1–256 letters, digits, '.', '-' and '_' (a name, not
// an ARN).
func CheckEventBusName(name string) error {
	if !busPattern.MatchString(name) {
		return fmt.Errorf("%q is not an event bus name (1–256 letters, digits, '.', '-', '_'; a name, not an ARN)", name)
	}
	return nil
}

// CheckMetricsNamespace reports why ns cannot be a CloudWatch namespace for
// the handler's metrics: at most 255 characters of letters, digits, space
// and ._/#:-, and not starting with "AWS/", which CloudWatch reserves for
// AWS services (Amazon CloudWatch user guide, "Metrics concepts").
func CheckMetricsNamespace(ns string) error {
	switch {
	case strings.TrimSpace(ns) == "":
		return fmt.Errorf("namespace %q must contain a non-blank character", ns)
	case len(ns) > MaxMetricsNamespaceLength:
		return fmt.Errorf("namespace %q is longer than %d characters", ns, MaxMetricsNamespaceLength)
	case !namespacePattern.MatchString(ns):
		return fmt.Errorf("namespace %q may contain only letters, digits, spaces and . _ / # : -", ns)
	case strings.HasPrefix(ns, "AWS/"):
		return fmt.Errorf("namespace %q starts with AWS/, which is reserved for AWS services", ns)
	}
	return nil
}
