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
	// EnvConcurrentJobs is the account's quota of concurrent asynchronous
	// Bedrock jobs per model, 1–1000 (default 3); the admission check
	// starts a job only while fewer of the model's jobs are InProgress.
	EnvConcurrentJobs = "BEDROCK_CONCURRENT_JOBS"
)

// Defaults.
const (
	DefaultRegion           = "us-east-1"
	DefaultExecutionTimeout = 900 * time.Second
	MaxExecutionTimeout     = 900 * time.Second
	DefaultMaxConcurrency   = 10
	MaxMaxConcurrency       = 100
	// DefaultConcurrentJobs is a conservative reading of the account's
	// concurrent-job quota; set BEDROCK_CONCURRENT_JOBS to the value the
	// Service Quotas console shows for the model.
	DefaultConcurrentJobs = 3
	MaxConcurrentJobs     = 1000
)

var (
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
)

// Config is the handler's validated configuration.
type Config struct {
	OutputBucket     string
	DefaultModel     string
	AllowedModels    []string
	BedrockRegion    string
	ExecutionTimeout time.Duration
	MaxConcurrency   int
	// ConcurrentJobs is the account's concurrent-job quota per model, used
	// to pace starts (see package admission).
	ConcurrentJobs int
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
		ConcurrentJobs:   DefaultConcurrentJobs,
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
	if v := get(EnvConcurrentJobs); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxConcurrentJobs {
			bad("%s=%q must be a whole number from 1 to %d: the account's quota of concurrent asynchronous jobs for the model (Service Quotas console, Amazon Bedrock)", EnvConcurrentJobs, v, MaxConcurrentJobs)
		} else {
			c.ConcurrentJobs = n
		}
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("handler configuration: %w", errors.Join(errs...))
	}
	return c, nil
}
