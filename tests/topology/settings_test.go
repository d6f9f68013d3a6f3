package topology_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/infra"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// today is the date the catalogue facts were checked; table tests validate
// as of this day so that they do not depend on the clock.
var today = time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)

func TestValidateRejectsOutOfRangeSettings(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*infra.Settings)
		want   []string // every fragment must appear in the error
	}{
		{"execution timeout above 900", func(s *infra.Settings) { s.DurableExecutionTimeoutSeconds = 1200 },
			[]string{"durableExecutionTimeoutSeconds must be between 1 and 900", "an event source mapping waits for the whole execution", "got 1200"}},
		{"execution timeout zero", func(s *infra.Settings) { s.DurableExecutionTimeoutSeconds = 0 },
			[]string{"durableExecutionTimeoutSeconds must be between 1 and 900", "got 0"}},
		{"one poller", func(s *infra.Settings) { s.MinimumPollers = 1 },
			[]string{"minimumPollers must be between 2 and 200", "got 1"}},
		{"too many minimum pollers", func(s *infra.Settings) { s.MinimumPollers, s.MaximumPollers = 201, 300 },
			[]string{"minimumPollers must be between 2 and 200", "got 201"}},
		{"maximum below minimum", func(s *infra.Settings) { s.MinimumPollers, s.MaximumPollers = 10, 5 },
			[]string{"maximumPollers must be between 10 and 2000", "got 5"}},
		{"maximum above 2000", func(s *infra.Settings) { s.MaximumPollers = 2001 },
			[]string{"maximumPollers must be between 2 and 2000", "got 2001"}},
		{"batch size zero", func(s *infra.Settings) { s.BatchSize = 0 },
			[]string{"batchSize must be between 1 and 10", "got 0"}},
		{"batch size eleven", func(s *infra.Settings) { s.BatchSize = 11 },
			[]string{"batchSize must be between 1 and 10", "got 11"}},
		{"batching window", func(s *infra.Settings) { s.MaximumBatchingWindowSeconds = 301 },
			[]string{"maximumBatchingWindowSeconds must be between 0 and 300", "got 301"}},
		{"unknown architecture", func(s *infra.Settings) { s.Architecture = "amd64" },
			[]string{"architecture must be \"arm64\" or \"x86_64\"", "got \"amd64\""}},
		{"unknown model", func(s *infra.Settings) { s.BedrockModelID = "amazon.titan-video" },
			[]string{"bedrockModelId: unknown video model \"amazon.titan-video\"", "amazon.nova-reel-v1:0, amazon.nova-reel-v1:1, luma.ray-v2:0",
				"use luma.ray-v2:0 in us-west-2"}},
		{"unknown allowed model", func(s *infra.Settings) { s.AllowedModelIDs = []string{videomodels.LumaRay2, "x.y"} },
			[]string{"allowedModelIds: unknown video model \"x.y\""}},
		{"allow-list without the default model", func(s *infra.Settings) {
			s.BedrockModelID, s.AllowedModelIDs = "x.y", []string{videomodels.LumaRay2}
		}, []string{"allowedModelIds must include bedrockModelId \"x.y\""}},
		// Both Nova Reel versions reached end of life on 2026-09-30.
		{"end-of-life default model", func(s *infra.Settings) {
			s.BedrockModelID, s.BedrockRegion = videomodels.NovaReelV11, "us-east-1"
		}, []string{"bedrockModelId: amazon.nova-reel-v1:1 (Legacy) reached its end of life on Amazon Bedrock on 2026-09-30",
			"use luma.ray-v2:0 in us-west-2", "pulumi config set bedrockModelId luma.ray-v2:0 && pulumi config set bedrockRegion us-west-2"}},
		{"end-of-life allowed model", func(s *infra.Settings) {
			s.AllowedModelIDs = []string{videomodels.LumaRay2, videomodels.NovaReelV10}
		}, []string{"allowedModelIds: amazon.nova-reel-v1:0 (Legacy) reached its end of life", "use luma.ray-v2:0 in us-west-2"}},
		{"luma outside us-west-2", func(s *infra.Settings) { s.BedrockRegion = "us-east-1" },
			[]string{"bedrockModelId: luma.ray-v2:0 is served by Amazon Bedrock only in us-west-2, not in us-east-1",
				"use luma.ray-v2:0 in us-west-2"}},
		{"bad region", func(s *infra.Settings) { s.BedrockRegion = "virginia" },
			[]string{"bedrockRegion must be an AWS region name", "got \"virginia\""}},
		{"memory too small", func(s *infra.Settings) { s.MemorySizeMB = 64 },
			[]string{"memorySizeMb must be between 128 and 10240", "got 64"}},
		{"function timeout too long", func(s *infra.Settings) { s.FunctionTimeoutSeconds = 901 },
			[]string{"functionTimeoutSeconds must be between 1 and 900", "got 901"}},
		{"durable retention too long", func(s *infra.Settings) { s.DurableRetentionDays = 91 },
			[]string{"durableRetentionDays must be between 1 and 90", "got 91"}},
		{"log retention not offered", func(s *infra.Settings) { s.LogRetentionDays = 10 },
			[]string{"logRetentionDays must be one of [1 3 5 7 14", "got 10"}},
		{"expiry zero", func(s *infra.Settings) { s.OutputExpirationDays = 0 },
			[]string{"outputExpirationDays must be between 1 and 3650", "got 0"}},
		{"receive count zero", func(s *infra.Settings) { s.MaxReceiveCount = 0 },
			[]string{"maxReceiveCount must be between 1 and 1000", "got 0"}},
		{"concurrent jobs zero", func(s *infra.Settings) { s.BedrockConcurrentJobs = 0 },
			[]string{"bedrockConcurrentJobs must be between 1 and 1000", "concurrent asynchronous job quota", "got 0"}},
		{"visibility below the execution", func(s *infra.Settings) { s.QueueVisibilityTimeoutSeconds = 600 },
			[]string{"queueVisibilityTimeoutSeconds must be between 900 and 43200", "durableExecutionTimeoutSeconds=900", "got 600"}},
		{"visibility below the function timeout", func(s *infra.Settings) {
			s.DurableExecutionTimeoutSeconds, s.QueueVisibilityTimeoutSeconds = 300, 600
		}, []string{"queueVisibilityTimeoutSeconds must be between 900 and 43200", "functionTimeoutSeconds=900", "got 600"}},
		// The stricter reading of the Lambda guide: a synchronous invocation
		// of a durable function ends at the lower of the two timeouts.
		{"function timeout below the execution timeout", func(s *infra.Settings) { s.FunctionTimeoutSeconds = 60 },
			[]string{"functionTimeoutSeconds must be at least durableExecutionTimeoutSeconds=900, got 60",
				"invokes the function synchronously"}},
		{"function timeout one second short", func(s *infra.Settings) {
			s.FunctionTimeoutSeconds, s.DurableExecutionTimeoutSeconds = 299, 300
		}, []string{"functionTimeoutSeconds must be at least durableExecutionTimeoutSeconds=300, got 299"}},
		{"visibility above 12 hours", func(s *infra.Settings) { s.QueueVisibilityTimeoutSeconds = 43201 },
			[]string{"queueVisibilityTimeoutSeconds must be between 900 and 43200", "got 43201"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := infra.DefaultSettings()
			tc.mutate(&s)
			err := s.ValidateAt(today)
			if err == nil {
				t.Fatalf("Validate accepted %+v", s)
			}
			for _, frag := range tc.want {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not mention %q", err, frag)
				}
			}
		})
	}
}

// TestValidateFollowsTheEndOfLifeDate checks the lifecycle against the clock:
// Nova Reel 1.1 was deployable the day before its end of life, not on the
// day, and Validate (the real clock) refuses it today.
func TestValidateFollowsTheEndOfLifeDate(t *testing.T) {
	s := infra.DefaultSettings()
	s.BedrockModelID, s.BedrockRegion = videomodels.NovaReelV11, "us-east-1"
	if err := s.ValidateAt(time.Date(2026, time.September, 29, 23, 59, 0, 0, time.UTC)); err != nil {
		t.Errorf("Nova Reel 1.1 refused before its end of life: %v", err)
	}
	if err := s.ValidateAt(time.Date(2026, time.September, 30, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("Nova Reel 1.1 accepted on its end-of-life day")
	}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "end of life") {
		t.Errorf("Validate = %v, want the end of life", err)
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	s := infra.DefaultSettings()
	s.BatchSize, s.MinimumPollers, s.DurableExecutionTimeoutSeconds = 0, 1, 901
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate accepted three bad settings")
	}
	for _, key := range []string{"batchSize", "minimumPollers", "durableExecutionTimeoutSeconds"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not mention %s", err, key)
		}
	}
}

func TestValidateAcceptsBoundaries(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*infra.Settings)
	}{
		{"defaults", func(*infra.Settings) {}},
		{"allow-list", func(s *infra.Settings) { s.AllowedModelIDs = []string{videomodels.LumaRay2} }},
		{"lowest values", func(s *infra.Settings) {
			s.DurableExecutionTimeoutSeconds, s.FunctionTimeoutSeconds, s.BatchSize = 1, 1, 1
			s.MinimumPollers, s.MaximumPollers, s.MemorySizeMB = 2, 2, 128
			s.DurableRetentionDays, s.LogRetentionDays, s.OutputExpirationDays, s.MaxReceiveCount = 1, 1, 1, 1
			s.BedrockConcurrentJobs = 1
		}},
		{"highest values", func(s *infra.Settings) {
			s.DurableExecutionTimeoutSeconds, s.FunctionTimeoutSeconds, s.BatchSize = 900, 900, 10
			s.MinimumPollers, s.MaximumPollers, s.MemorySizeMB = 200, 2000, 10240
			s.DurableRetentionDays, s.LogRetentionDays, s.OutputExpirationDays, s.MaxReceiveCount = 90, 3653, 3650, 1000
			s.BedrockConcurrentJobs = 1000
			s.MaximumBatchingWindowSeconds, s.QueueVisibilityTimeoutSeconds = 300, 43200
		}},
		{"visibility exactly the floor", func(s *infra.Settings) { s.QueueVisibilityTimeoutSeconds = 900 }},
		{"function timeout equal to a short execution", func(s *infra.Settings) {
			s.FunctionTimeoutSeconds, s.DurableExecutionTimeoutSeconds, s.QueueVisibilityTimeoutSeconds = 120, 120, 120
		}},
		{"function timeout above the execution timeout", func(s *infra.Settings) { s.DurableExecutionTimeoutSeconds = 60 }},
		{"x86_64", func(s *infra.Settings) { s.Architecture = infra.ArchX8664 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := infra.DefaultSettings()
			tc.mutate(&s)
			if err := s.ValidateAt(today); err != nil {
				t.Errorf("Validate rejected valid settings: %v", err)
			}
		})
	}
}

func TestInvalidSettingsStopTheProgramBeforeAnyResource(t *testing.T) {
	s := infra.DefaultSettings()
	s.DurableExecutionTimeoutSeconds = 1200
	d, err := tryDeploy(t, prebuilt(t, s), nil)
	if err == nil || !strings.Contains(err.Error(), "durableExecutionTimeoutSeconds must be between 1 and 900") {
		t.Fatalf("program error = %v, want the execution timeout range", err)
	}
	if n := len(d.resources); n != 0 {
		t.Errorf("%d resources registered before validation failed", n)
	}
}

func TestSettingsFromConfig(t *testing.T) {
	ns := testProject + ":"
	cases := []struct {
		name    string
		config  map[string]string
		want    func(*infra.Settings)
		wantErr string
	}{
		{name: "empty config gives defaults", config: map[string]string{}, want: func(*infra.Settings) {}},
		{name: "every key", config: map[string]string{
			ns + "bedrockRegion": "us-west-2", ns + "bedrockModelId": "luma.ray-v2:0",
			ns + "allowedModelIds": `["luma.ray-v2:0"]`, ns + "architecture": "x86_64",
			ns + "memorySizeMb": "512", ns + "functionTimeoutSeconds": "90",
			ns + "durableExecutionTimeoutSeconds": "600", ns + "durableRetentionDays": "3",
			ns + "logRetentionDays": "30", ns + "outputExpirationDays": "2", ns + "forceDestroy": "true",
			ns + "maxReceiveCount": "4", ns + "bedrockConcurrentJobs": "6", ns + "queueVisibilityTimeoutSeconds": "1200",
			ns + "batchSize": "2", ns + "maximumBatchingWindowSeconds": "1",
			ns + "minimumPollers": "3", ns + "maximumPollers": "7",
			ns + "eventBusName": "video-events", ns + "metricsNamespace": "Team/Video", ns + "alarmEmail": "ops@example.com",
			ns + "eventDrivenCompletion": "false",
		}, want: func(s *infra.Settings) {
			*s = infra.Settings{
				BedrockRegion: "us-west-2", BedrockModelID: "luma.ray-v2:0", AllowedModelIDs: []string{"luma.ray-v2:0"},
				Architecture: "x86_64", MemorySizeMB: 512, FunctionTimeoutSeconds: 90,
				DurableExecutionTimeoutSeconds: 600, DurableRetentionDays: 3, LogRetentionDays: 30,
				OutputExpirationDays: 2, ForceDestroy: true, MaxReceiveCount: 4, BedrockConcurrentJobs: 6, QueueVisibilityTimeoutSeconds: 1200,
				BatchSize: 2, MaximumBatchingWindowSeconds: 1, MinimumPollers: 3, MaximumPollers: 7,
				EventBusName: "video-events", MetricsNamespace: "Team/Video", AlarmEmail: "ops@example.com",
			}
		}},
		{name: "empty allow-list", config: map[string]string{ns + "allowedModelIds": "[]"}, want: func(s *infra.Settings) {
			s.AllowedModelIDs = []string{}
		}},
		{name: "not an integer", config: map[string]string{ns + "batchSize": "ten"}, wantErr: "batchSize must be an integer"},
		{name: "not a boolean", config: map[string]string{ns + "forceDestroy": "maybe"}, wantErr: "forceDestroy must be true or false"},
		{name: "not a list", config: map[string]string{ns + "allowedModelIds": "luma.ray-v2:0"}, wantErr: "allowedModelIds must be a list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got infra.Settings
			err := runWithConfig(tc.config, func(s infra.Settings) { got = s })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SettingsFromConfig: %v", err)
			}
			want := infra.DefaultSettings()
			tc.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("settings = %+v\nwant       %+v", got, want)
			}
		})
	}
}

func TestModelIDsAndDerivedValues(t *testing.T) {
	s := infra.DefaultSettings()
	if got := s.ModelIDs(); !reflect.DeepEqual(got, []string{videomodels.LumaRay2}) {
		t.Errorf("ModelIDs with empty allow-list = %v, want just the default model", got)
	}
	s.AllowedModelIDs = []string{" amazon.nova-reel-v1:1", "amazon.nova-reel-v1:0", "amazon.nova-reel-v1:1"}
	if got := s.ModelIDs(); !reflect.DeepEqual(got, []string{videomodels.NovaReelV10, videomodels.NovaReelV11}) {
		t.Errorf("ModelIDs = %v, want sorted, trimmed, without duplicates", got)
	}
	for _, tc := range []struct {
		arch, goarch string
	}{{"arm64", "arm64"}, {"x86_64", "amd64"}} {
		s.Architecture = tc.arch
		if got := s.GOARCH(); got != tc.goarch {
			t.Errorf("GOARCH(%s) = %s, want %s", tc.arch, got, tc.goarch)
		}
	}
}
