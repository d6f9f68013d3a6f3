package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(map[string]string{EnvOutputBucket: "my-videos"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		OutputBucket:     "my-videos",
		DefaultModel:     "amazon.nova-reel-v1:1",
		AllowedModels:    []string{"amazon.nova-reel-v1:1"},
		BedrockRegion:    "us-east-1",
		ExecutionTimeout: 900 * time.Second,
		MaxConcurrency:   10,
	}
	if c.OutputBucket != want.OutputBucket || c.DefaultModel != want.DefaultModel || !slices.Equal(c.AllowedModels, want.AllowedModels) ||
		c.BedrockRegion != want.BedrockRegion || c.ExecutionTimeout != want.ExecutionTimeout || c.MaxConcurrency != want.MaxConcurrency || c.ConcurrentJobs != 3 {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

func TestAllSettings(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		EnvOutputBucket:     "my-videos",
		EnvModelID:          "luma.ray-v2:0",
		EnvAllowedModels:    " amazon.nova-reel-v1:1, luma.ray-v2:0,,amazon.nova-reel-v1:1",
		EnvRegion:           "us-west-2",
		EnvExecutionTimeout: "600",
		EnvMaxConcurrency:   "4",
		EnvConcurrentJobs:   "12",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultModel != "luma.ray-v2:0" || !slices.Equal(c.AllowedModels, []string{"amazon.nova-reel-v1:1", "luma.ray-v2:0"}) ||
		c.BedrockRegion != "us-west-2" || c.ExecutionTimeout != 600*time.Second || c.MaxConcurrency != 4 || c.ConcurrentJobs != 12 {
		t.Errorf("got %+v", c)
	}
	if m := c.Models(); m.Default != "luma.ray-v2:0" || len(m.Allowed) != 2 {
		t.Errorf("models %+v", m)
	}
}

func TestBadSettings(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{}, []string{"OUTPUT_BUCKET_NAME is required"}},
		{map[string]string{EnvOutputBucket: "My_Bucket"}, []string{`OUTPUT_BUCKET_NAME="My_Bucket" is not a valid S3 bucket name`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvModelID: "amazon.titan-video"}, []string{`BEDROCK_MODEL_ID="amazon.titan-video" is not a model`, "supported: amazon.nova-reel-v1:0"}},
		{map[string]string{EnvOutputBucket: "b-b", EnvAllowedModels: "luma.ray-v2:0,stability.x"}, []string{`ALLOWED_MODEL_IDS lists "stability.x"`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvRegion: "virginia"}, []string{`BEDROCK_REGION="virginia"`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvExecutionTimeout: "3600"}, []string{`DURABLE_EXECUTION_TIMEOUT_SECONDS="3600" must be a whole number of seconds from 1 to 900`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvExecutionTimeout: "15m"}, []string{`DURABLE_EXECUTION_TIMEOUT_SECONDS="15m"`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvMaxConcurrency: "0"}, []string{`MAX_CONCURRENT_RECORDS="0" must be a whole number from 1 to 100`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvConcurrentJobs: "0"}, []string{`BEDROCK_CONCURRENT_JOBS="0" must be a whole number from 1 to 1000: the account's quota`}},
		{map[string]string{EnvOutputBucket: "b-b", EnvConcurrentJobs: "three"}, []string{`BEDROCK_CONCURRENT_JOBS="three"`}},
		{map[string]string{EnvModelID: "x", EnvExecutionTimeout: "0"}, []string{"OUTPUT_BUCKET_NAME is required", "BEDROCK_MODEL_ID", "DURABLE_EXECUTION_TIMEOUT_SECONDS"}},
	}
	for _, tt := range tests {
		_, err := FromEnv(env(tt.env))
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
