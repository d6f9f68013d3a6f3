package config

import (
	"strings"
	"testing"
)

func TestObservabilityDefaults(t *testing.T) {
	c, err := FromEnviron(map[string]string{EnvOutputBucket: "my-videos"})
	if err != nil {
		t.Fatal(err)
	}
	if c.EventBus != "default" || c.MetricsNamespace != "BedrockVideoPipeline" {
		t.Errorf("got bus %q namespace %q", c.EventBus, c.MetricsNamespace)
	}
}

func TestObservabilitySettings(t *testing.T) {
	c, err := FromEnviron(map[string]string{
		EnvOutputBucket: "my-videos", EnvEventBus: "video-events", EnvMetricsNamespace: "Team/Video Pipeline",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.EventBus != "video-events" || c.MetricsNamespace != "Team/Video Pipeline" {
		t.Errorf("got %+v", c)
	}
}

func TestBadObservabilitySettings(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"bus ARN", EnvEventBus, "arn:aws:events:us-east-1:123456789012:event-bus/x", `EVENT_BUS_NAME: "arn:aws:events`},
		{"bus too long", EnvEventBus, strings.Repeat("b", 257), "is not an event bus name"},
		{"reserved namespace", EnvMetricsNamespace, "AWS/Lambda", "reserved for AWS services"},
		{"namespace characters", EnvMetricsNamespace, "video$metrics", "may contain only"},
		{"namespace length", EnvMetricsNamespace, strings.Repeat("n", 256), "longer than 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnviron(map[string]string{EnvOutputBucket: "my-videos", tt.key: tt.value})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
