package topology_test

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bedrockvideo/pipeline/infra"
)

func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	proj, err := workspace.LoadProject("../../Pulumi.yaml")
	if err != nil {
		t.Fatalf("loading Pulumi.yaml: %v", err)
	}
	return proj
}

// projectDefaults renders the defaults declared in Pulumi.yaml the way the
// Pulumi CLI hands them to the program (strings; arrays as JSON).
func projectDefaults(t *testing.T, proj *workspace.Project) map[string]string {
	t.Helper()
	out := map[string]string{}
	for key, decl := range proj.Config {
		var v string
		switch d := decl.Default.(type) {
		case string:
			v = d
		case []any:
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			v = string(b)
		default:
			v = fmt.Sprint(d)
		}
		out[string(proj.Name)+":"+key] = v
	}
	return out
}

func TestProjectFileDeclaresEverySetting(t *testing.T) {
	proj := loadProject(t)
	if proj.Name != testProject {
		t.Errorf("project name = %q, want %q", proj.Name, testProject)
	}
	if proj.Runtime.Name() != "go" {
		t.Errorf("runtime = %q, want go", proj.Runtime.Name())
	}
	if proj.Description == nil || *proj.Description == "" {
		t.Error("project has no description")
	}
	if proj.Backend == nil || proj.Backend.URL != "file://~" {
		t.Errorf("backend = %+v, want the local file backend", proj.Backend)
	}
	if err := proj.Validate(); err != nil {
		t.Errorf("Pulumi.yaml does not validate: %v", err)
	}
	for key, decl := range proj.Config {
		if decl.Type == nil || decl.Description == "" || decl.Default == nil {
			t.Errorf("setting %s lacks a type, description or default: %+v", key, decl)
		}
	}

	// The declared defaults are exactly the program's defaults.
	var got infra.Settings
	if err := runWithConfig(projectDefaults(t, proj), func(s infra.Settings) { got = s }); err != nil {
		t.Fatalf("reading declared defaults: %v", err)
	}
	want := infra.DefaultSettings()
	want.AllowedModelIDs = []string{} // declared as [], same meaning as nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pulumi.yaml defaults give %+v\nprogram defaults are      %+v", got, want)
	}

	// Every declared setting is read by the program: changing it alone
	// changes the settings.
	changed := map[string]string{
		"bedrockRegion": "us-west-2", "bedrockModelId": "luma.ray-v2:0", "allowedModelIds": `["luma.ray-v2:0"]`,
		"architecture": "x86_64", "memorySizeMb": "1024", "functionTimeoutSeconds": "61",
		"durableExecutionTimeoutSeconds": "899", "durableRetentionDays": "15", "logRetentionDays": "30",
		"outputExpirationDays": "8", "forceDestroy": "true", "maxReceiveCount": "4",
		"queueVisibilityTimeoutSeconds": "1000", "batchSize": "2", "maximumBatchingWindowSeconds": "1",
		"minimumPollers": "3", "maximumPollers": "6",
		"eventBusName": "video-events", "metricsNamespace": "Team/Video", "alarmEmail": "ops@example.com",
	}
	var declared []string
	for key := range proj.Config {
		declared = append(declared, key)
	}
	var known []string
	for key := range changed {
		known = append(known, key)
	}
	if !slices.Equal(sorted(declared), sorted(known)) {
		t.Errorf("Pulumi.yaml declares %v, want %v", sorted(declared), sorted(known))
	}
	for key, value := range changed {
		cfg := projectDefaults(t, proj)
		cfg[testProject+":"+key] = value
		var s infra.Settings
		if err := runWithConfig(cfg, func(v infra.Settings) { s = v }); err != nil {
			t.Errorf("%s=%s: %v", key, value, err)
			continue
		}
		if reflect.DeepEqual(s, got) {
			t.Errorf("setting %s=%s has no effect on the program", key, value)
		}
	}
}

// TestDevStackDeploys loads Pulumi.dev.yaml on top of the project defaults,
// as `pulumi up` would, and runs the whole program with it.
func TestDevStackDeploys(t *testing.T) {
	proj := loadProject(t)
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	stack, err := workspace.LoadProjectStack(sink, proj, "../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatalf("loading Pulumi.dev.yaml: %v", err)
	}
	values, err := stack.Config.Decrypt(config.NopDecrypter)
	if err != nil {
		t.Fatalf("reading dev config: %v", err)
	}
	cfg := projectDefaults(t, proj)
	for k, v := range values {
		cfg[k.String()] = v
	}
	if cfg["aws:region"] == "" {
		t.Error("the dev stack does not set aws:region")
	}
	d, err := tryDeploy(t, &infra.VideoPipelineArgs{Handler: testArtifact(t)}, cfg)
	if err != nil {
		t.Fatalf("dev stack does not deploy: %v", err)
	}
	if !boolean(t, d.one(t, typeBucket), "forceDestroy") {
		t.Error("the dev stack should let pulumi destroy remove a bucket with videos")
	}
}
