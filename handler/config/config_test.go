package config

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/videomodels"
)

func TestDefaultsFollowTheCatalogue(t *testing.T) {
	c, err := FromEnviron(map[string]string{EnvOutputBucket: "my-videos"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		OutputBucket:        "my-videos",
		DefaultModel:        videomodels.LumaRay2,
		AllowedModels:       []string{videomodels.LumaRay2},
		BedrockRegion:       "us-west-2",
		ExecutionTimeout:    900 * time.Second,
		MaxConcurrency:      10,
		EventBus:            "default",
		MetricsNamespace:    "BedrockVideoPipeline",
		ConcurrentJobs:      3,
		CompletionCallbacks: true,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if d := Defaults("my-videos"); !reflect.DeepEqual(d, want) {
		t.Errorf("Defaults = %+v, want %+v", d, want)
	}
}

func TestRegionDefaultsToTheModelsRegion(t *testing.T) {
	c, err := FromEnviron(map[string]string{EnvOutputBucket: "b-b", EnvModelID: videomodels.NovaReelV11})
	if err != nil {
		t.Fatal(err)
	}
	if c.BedrockRegion != "us-east-1" {
		t.Errorf("region %s, want us-east-1 (the only region serving Nova Reel 1.1)", c.BedrockRegion)
	}
}

func TestAllSettings(t *testing.T) {
	c, err := FromEnv(func(k string) string {
		return map[string]string{
			EnvOutputBucket:        "my-videos",
			EnvModelID:             videomodels.NovaReelV10,
			EnvAllowedModels:       " amazon.nova-reel-v1:1, amazon.nova-reel-v1:1,,",
			EnvRegion:              "us-east-1",
			EnvExecutionTimeout:    "600",
			EnvMaxConcurrency:      "4",
			EnvConcurrentJobs:      "12",
			EnvCompletionCallbacks: "false",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		OutputBucket: "my-videos", DefaultModel: videomodels.NovaReelV10,
		AllowedModels: []string{videomodels.NovaReelV10, videomodels.NovaReelV11},
		BedrockRegion: "us-east-1", ExecutionTimeout: 600 * time.Second, MaxConcurrency: 4,
		EventBus: "default", MetricsNamespace: "BedrockVideoPipeline",
		ConcurrentJobs: 12, CompletionCallbacks: false,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

// TestEnvironRoundTrip proves the contract the deployment relies on: the
// environment Environ writes is read back by FromEnviron unchanged.
func TestEnvironRoundTrip(t *testing.T) {
	configs := []Config{
		Defaults("my-videos"),
		{OutputBucket: "a.b-c", DefaultModel: videomodels.NovaReelV11, AllowedModels: []string{videomodels.NovaReelV11},
			BedrockRegion: "us-east-1", ExecutionTimeout: time.Second, MaxConcurrency: 1, ConcurrentJobs: 1,
			EventBus: "video-events", MetricsNamespace: "Team/Video", CompletionCallbacks: false},
		{OutputBucket: "videos-123", DefaultModel: videomodels.NovaReelV10,
			AllowedModels: []string{videomodels.NovaReelV10, videomodels.NovaReelV11},
			BedrockRegion: "us-east-1", ExecutionTimeout: 450 * time.Second, MaxConcurrency: 100, ConcurrentJobs: 1000,
			EventBus: "default", MetricsNamespace: "BedrockVideoPipeline", CompletionCallbacks: true},
	}
	for _, c := range configs {
		env := c.Environ()
		if len(env) != len(Variables()) {
			t.Errorf("Environ wrote %d variables, want all %d: %v", len(env), len(Variables()), env)
		}
		got, err := FromEnviron(env)
		if err != nil {
			t.Errorf("%+v: %v", c, err)
			continue
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("round trip changed the configuration:\n wrote %+v\n  read %+v", c, got)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", c, err)
		}
	}
}

func TestValidateNamesTheVariable(t *testing.T) {
	c := Defaults("my-videos")
	c.BedrockRegion = "us-east-1"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "BEDROCK_MODEL_ID: luma.ray-v2:0 is served by Amazon Bedrock only in us-west-2") {
		t.Errorf("got %v", err)
	}
}

func TestBadSettings(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{}, []string{"OUTPUT_BUCKET_NAME is required"}},
		{map[string]string{EnvOutputBucket: "My_Bucket"}, []string{`OUTPUT_BUCKET_NAME="My_Bucket" is not a valid S3 bucket name`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvModelID: "amazon.titan-video"}, []string{`BEDROCK_MODEL_ID="amazon.titan-video" is not a model`, "supported: amazon.nova-reel-v1:0", "BEDROCK_REGION is required"}},
		{map[string]string{EnvOutputBucket: "b-b", EnvAllowedModels: "luma.ray-v2:0,stability.x"}, []string{`ALLOWED_MODEL_IDS lists "stability.x"`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvRegion: "virginia"}, []string{`BEDROCK_REGION="virginia"`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvRegion: "us-east-1"}, []string{"BEDROCK_MODEL_ID: luma.ray-v2:0 is served by Amazon Bedrock only in us-west-2", "use luma.ray-v2:0 in us-west-2"}},
		{map[string]string{EnvOutputBucket: "b-b", EnvAllowedModels: "amazon.nova-reel-v1:1"}, []string{`ALLOWED_MODEL_IDS: amazon.nova-reel-v1:1 is served by Amazon Bedrock only in us-east-1, but BEDROCK_REGION="us-west-2"`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvExecutionTimeout: "3600"}, []string{`DURABLE_EXECUTION_TIMEOUT_SECONDS="3600" must be a whole number of seconds from 1 to 900`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvExecutionTimeout: "15m"}, []string{`DURABLE_EXECUTION_TIMEOUT_SECONDS="15m"`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvMaxConcurrency: "0"}, []string{`MAX_CONCURRENT_RECORDS="0" must be a whole number from 1 to 100`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvConcurrentJobs: "0"}, []string{`BEDROCK_CONCURRENT_JOBS="0" must be a whole number from 1 to 1000: the account's quota`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvConcurrentJobs: "three"}, []string{`BEDROCK_CONCURRENT_JOBS="three"`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvCompletionCallbacks: "yes"}, []string{`COMPLETION_CALLBACKS="yes" must be true`, "or false (poll only)"}},
		{map[string]string{EnvOutputBucket: "b-b", EnvCompletionCallbacks: "0"}, []string{`COMPLETION_CALLBACKS="0"`}},
		{map[string]string{EnvModelID: "x", EnvExecutionTimeout: "0"}, []string{"OUTPUT_BUCKET_NAME is required", "BEDROCK_MODEL_ID", "DURABLE_EXECUTION_TIMEOUT_SECONDS"}},
	}
	for _, tt := range tests {
		_, err := FromEnviron(tt.env)
		if err == nil {
			t.Errorf("%v: no error", tt.env)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tt.env, err, w)
			}
		}
	}
}

func TestBodyLimitIsTheSQSMaximum(t *testing.T) {
	if MaxJobBodyBytes != 1_048_576 {
		t.Errorf("MaxJobBodyBytes = %d, want 1,048,576 (the SQS maximum message size)", MaxJobBodyBytes)
	}
}

// checkedTrees are the module's folders TestNoOtherFileSpellsTheNames
// searches: every Go file of the module goes through the constants of this
// package.
var checkedTrees = []string{"."}

// TestNoOtherFileSpellsTheNames keeps the contract in one place: outside
// this package no Go file of checkedTrees contains a variable's name.
func TestNoOtherFileSpellsTheNames(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..")
	here := filepath.Dir(self)
	for _, tree := range checkedTrees {
		checkTree(t, root, filepath.Join(root, tree), here)
	}
}

func checkTree(t *testing.T, root, tree, here string) {
	t.Helper()
	err := filepath.WalkDir(tree, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != tree && (strings.HasPrefix(name, ".") || name == "build" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || filepath.Dir(path) == here {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, name := range Variables() {
			if strings.Contains(string(src), `"`+name+`"`) {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s spells %q; use config.%s", rel, name, constName(name))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func constName(env string) string {
	for c, n := range map[string]string{
		"EnvOutputBucket": EnvOutputBucket, "EnvModelID": EnvModelID, "EnvAllowedModels": EnvAllowedModels,
		"EnvRegion": EnvRegion, "EnvExecutionTimeout": EnvExecutionTimeout, "EnvMaxConcurrency": EnvMaxConcurrency,
		"EnvEventBus": EnvEventBus, "EnvMetricsNamespace": EnvMetricsNamespace,
		"EnvConcurrentJobs": EnvConcurrentJobs, "EnvCompletionCallbacks": EnvCompletionCallbacks,
	} {
		if n == env {
			return c
		}
	}
	return "Env..."
}

func TestNameShapes(t *testing.T) {
	for _, tt := range []struct {
		name           string
		bucket, region bool
	}{
		{"video-pipeline.outputs-1", true, false},
		{"us-west-2", true, true},
		{"ap-southeast-1", true, true},
		{"us-gov-west-1", true, true},
		{"ab", false, false},                  // too short for a bucket
		{"Videos", false, false},              // upper case
		{"-videos", false, false},             // must start with a letter or digit
		{"arn:aws:s3:::videos", false, false}, // an ARN, not a name
		{"us-west", true, false},              // no number
		{"", false, false},
	} {
		if got := IsBucketName(tt.name); got != tt.bucket {
			t.Errorf("IsBucketName(%q) = %v, want %v", tt.name, got, tt.bucket)
		}
		if got := IsRegionName(tt.name); got != tt.region {
			t.Errorf("IsRegionName(%q) = %v, want %v", tt.name, got, tt.region)
		}
	}
}
