// Package config reads the video handler's settings from its environment
// and rejects bad ones with a message that names the variable and the rule.
package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/handler/jobspec"
)

// Environment variables the handler reads.
const (
	// EnvOutputBucket (required) names the bucket that receives job.json,
	// result.json and the videos, under videos/<messageId>/.
	EnvOutputBucket = "OUTPUT_BUCKET_NAME"
	// EnvModelID is the model of jobs that name none (default
	// amazon.nova-reel-v1:1).
	EnvModelID = "BEDROCK_MODEL_ID"
	// EnvAllowedModels is a comma-separated list of models a job may name
	// (default: only BEDROCK_MODEL_ID, which is always allowed).
	EnvAllowedModels = "ALLOWED_MODEL_IDS"
	// EnvRegion is where Bedrock is called and the bucket lives (default
	// us-east-1).
	EnvRegion = "BEDROCK_REGION"
	// EnvExecutionTimeout is the durable execution timeout in seconds the
	// function is configured with, 1–900 (default 900, the limit for an
	// SQS event source, which waits for the whole execution).
	EnvExecutionTimeout = "DURABLE_EXECUTION_TIMEOUT_SECONDS"
	// EnvMaxConcurrency bounds how many records of a batch are processed
	// at once, 1–100 (default 10).
	EnvMaxConcurrency = "MAX_CONCURRENT_RECORDS"
	// EnvEventBus names the EventBridge event bus, in the function's
	// region, that receives one completion event per finished job
	// (default: the account's default bus).
	EnvEventBus = "EVENT_BUS_NAME"
	// EnvMetricsNamespace is the CloudWatch namespace of the metrics the
	// handler writes into its logs in embedded metric format (default
	// BedrockVideoPipeline).
	EnvMetricsNamespace = "METRICS_NAMESPACE"
	// EnvFunctionName is set by Lambda to the function's name; metrics
	// carry it as their FunctionName dimension so stacks sharing a
	// namespace stay apart.
	EnvFunctionName = "AWS_LAMBDA_FUNCTION_NAME"
	// EnvFunctionRegion is set by Lambda to the function's region, where
	// the event bus is.
	EnvFunctionRegion = "AWS_REGION"
)

// Defaults.
const (
	DefaultRegion           = "us-east-1"
	DefaultExecutionTimeout = 900 * time.Second
	MaxExecutionTimeout     = 900 * time.Second
	DefaultMaxConcurrency   = 10
	MaxMaxConcurrency       = 100
	DefaultEventBus         = "default"
	DefaultMetricsNamespace = "BedrockVideoPipeline"
	// MaxMetricsNamespaceLength is CloudWatch's limit on a namespace
	// (Amazon CloudWatch API reference, PutMetricData: Namespace, 1–255
	// characters).
	MaxMetricsNamespaceLength = 255
)

var (
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
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
	OutputBucket     string
	DefaultModel     string
	AllowedModels    []string
	BedrockRegion    string
	ExecutionTimeout time.Duration
	MaxConcurrency   int
	// EventBus is the event bus of completion events.
	EventBus string
	// EventsRegion is the region of EventBus: the function's own region,
	// BedrockRegion when AWS_REGION is unset (outside Lambda).
	EventsRegion string
	// MetricsNamespace is the CloudWatch namespace of the handler's
	// metrics.
	MetricsNamespace string
	// FunctionName is the metrics' FunctionName dimension ("local" outside
	// Lambda).
	FunctionName string
}

// Models is the model policy records are checked against.
func (c Config) Models() jobspec.Models {
	return jobspec.Models{Default: c.DefaultModel, Allowed: c.AllowedModels}
}

// FromEnv reads the configuration through getenv (os.Getenv in
// production). It reports every bad setting at once.
func FromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	c := Config{
		OutputBucket:     get(EnvOutputBucket),
		DefaultModel:     get(EnvModelID),
		BedrockRegion:    get(EnvRegion),
		ExecutionTimeout: DefaultExecutionTimeout,
		MaxConcurrency:   DefaultMaxConcurrency,
		EventBus:         get(EnvEventBus),
		EventsRegion:     get(EnvFunctionRegion),
		MetricsNamespace: get(EnvMetricsNamespace),
		FunctionName:     get(EnvFunctionName),
	}
	switch {
	case c.OutputBucket == "":
		bad("%s is required: the S3 bucket that receives the videos", EnvOutputBucket)
	case !bucketPattern.MatchString(c.OutputBucket):
		bad("%s=%q is not a valid S3 bucket name (3–63 lowercase letters, digits, dots and hyphens)", EnvOutputBucket, c.OutputBucket)
	}
	if c.DefaultModel == "" {
		c.DefaultModel = jobspec.DefaultModel
	} else if !jobspec.IsKnownModel(c.DefaultModel) {
		bad("%s=%q is not a model this handler supports; supported: %s", EnvModelID, c.DefaultModel, strings.Join(jobspec.KnownModels(), ", "))
	}
	for _, id := range strings.Split(get(EnvAllowedModels), ",") {
		id = strings.TrimSpace(id)
		switch {
		case id == "" || slices.Contains(c.AllowedModels, id):
		case !jobspec.IsKnownModel(id):
			bad("%s lists %q, which is not a model this handler supports; supported: %s", EnvAllowedModels, id, strings.Join(jobspec.KnownModels(), ", "))
		default:
			c.AllowedModels = append(c.AllowedModels, id)
		}
	}
	if !slices.Contains(c.AllowedModels, c.DefaultModel) {
		c.AllowedModels = append(c.AllowedModels, c.DefaultModel)
	}
	if c.BedrockRegion == "" {
		c.BedrockRegion = DefaultRegion
	} else if !regionPattern.MatchString(c.BedrockRegion) {
		bad("%s=%q is not an AWS region name such as us-east-1", EnvRegion, c.BedrockRegion)
	}
	if v := get(EnvExecutionTimeout); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || time.Duration(n)*time.Second > MaxExecutionTimeout {
			bad("%s=%q must be a whole number of seconds from 1 to 900 (an SQS event source waits for the whole execution, at most 15 minutes)", EnvExecutionTimeout, v)
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
	if c.EventsRegion == "" {
		c.EventsRegion = c.BedrockRegion
	} else if !regionPattern.MatchString(c.EventsRegion) {
		bad("%s=%q is not an AWS region name such as us-east-1", EnvFunctionRegion, c.EventsRegion)
	}
	if c.MetricsNamespace == "" {
		c.MetricsNamespace = DefaultMetricsNamespace
	} else if err := CheckMetricsNamespace(c.MetricsNamespace); err != nil {
		bad("%s: %v", EnvMetricsNamespace, err)
	}
	if c.FunctionName == "" {
		c.FunctionName = "local"
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("handler configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

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
