package topology_test

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	handlerconfig "github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/infra"
	"github.com/bedrockvideo/pipeline/videomodels"
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
		"bedrockRegion": "us-east-1", "bedrockModelId": "amazon.nova-reel-v1:1", "allowedModelIds": `["luma.ray-v2:0"]`,
		"architecture": "x86_64", "memorySizeMb": "1024", "functionTimeoutSeconds": "61",
		"durableExecutionTimeoutSeconds": "899", "durableRetentionDays": "15", "logRetentionDays": "30",
		"outputExpirationDays": "8", "forceDestroy": "true", "maxReceiveCount": "4", "bedrockConcurrentJobs": "5",
		"queueVisibilityTimeoutSeconds": "1000", "batchSize": "2", "maximumBatchingWindowSeconds": "1",
		"minimumPollers": "3", "maximumPollers": "6",
		"eventBusName": "video-events", "metricsNamespace": "Team/Video", "alarmEmail": "ops@example.com",
		"eventDrivenCompletion": "false",
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
	d, err := tryDeploy(t, prebuilt(t, infra.Settings{}), cfg)
	if err != nil {
		t.Fatalf("dev stack does not deploy: %v", err)
	}
	if !boolean(t, d.one(t, typeBucket), "forceDestroy") {
		t.Error("the dev stack should let pulumi destroy remove a bucket with videos")
	}
	assertDeploysLiveModel(t, d)
	// One region: the function sits next to Bedrock and the bucket.
	if got, want := cfg["aws:region"], cfg[testProject+":bedrockRegion"]; got != want {
		t.Errorf("dev stack aws:region = %q, bedrockRegion = %q; want one region", got, want)
	}
}

// TestProjectDefaultsDeployLiveModel runs the whole program on the defaults
// of Pulumi.yaml alone, as `pulumi up` on a fresh stack would.
func TestProjectDefaultsDeployLiveModel(t *testing.T) {
	d, err := tryDeploy(t, prebuilt(t, infra.Settings{}), projectDefaults(t, loadProject(t)))
	if err != nil {
		t.Fatalf("project defaults do not deploy: %v", err)
	}
	assertDeploysLiveModel(t, d)
}

// assertDeploysLiveModel checks that a deployment uses the catalogue's live
// model in a region that serves it, for the bucket, the role and the
// function's environment alike.
func assertDeploysLiveModel(t *testing.T, d deployment) {
	t.Helper()
	live := videomodels.Default()
	if live.Lifecycle != videomodels.Active || !live.EndOfLife.IsZero() {
		t.Fatalf("the catalogue's default %s is %s (end of life %v), want an Active model", live.ID, live.Lifecycle, live.EndOfLife)
	}
	c, err := handlerconfig.FromEnviron(functionEnv(t, d.named(t, "video-handler")))
	if err != nil {
		t.Fatalf("the handler refuses the environment: %v", err)
	}
	if c.DefaultModel != live.ID || !slices.Equal(c.AllowedModels, []string{live.ID}) {
		t.Errorf("function uses model %s (allowed %v), want the live model %s", c.DefaultModel, c.AllowedModels, live.ID)
	}
	if err := videomodels.Check(c.DefaultModel, c.BedrockRegion, time.Now()); err != nil {
		t.Errorf("deployed model and region are not usable: %v", err)
	}
	if got := str(t, d.one(t, typeBucket), "region"); got != c.BedrockRegion || !live.ServedIn(got) {
		t.Errorf("bucket region = %q, want %s (where Bedrock serves %s)", got, c.BedrockRegion, live.ID)
	}
	var invoke []string
	for _, rp := range d.byType(typeRolePolicy) {
		if rp.Name == "video-bedrock-access" {
			invoke = parsePolicy(t, str(t, rp, "policy")).statement(t, "StartAsyncInvokeOnAllowedModels").Resource
		}
	}
	if want := "arn:aws:bedrock:" + live.Regions[0] + "::foundation-model/" + live.ID; !slices.Contains(invoke, want) {
		t.Errorf("role may invoke %v, want %s", invoke, want)
	}
}

// TestEndOfLifeModelStopsThePreview sets a retired model on top of the
// project defaults: the program must stop before registering anything, with
// a message naming the setting, the end of life and the replacement.
func TestEndOfLifeModelStopsThePreview(t *testing.T) {
	cases := []struct {
		name   string
		config map[string]string
		want   []string
	}{
		{"nova reel 1.1 as the default model", map[string]string{
			"bedrockModelId": videomodels.NovaReelV11, "bedrockRegion": "us-east-1",
		}, []string{"bedrockModelId: amazon.nova-reel-v1:1 (Legacy) reached its end of life on Amazon Bedrock on 2026-09-30"}},
		{"nova reel 1.0 in the allow-list", map[string]string{
			"allowedModelIds": `["luma.ray-v2:0","amazon.nova-reel-v1:0"]`,
		}, []string{"allowedModelIds: amazon.nova-reel-v1:0 (Legacy) reached its end of life"}},
		{"live model in a region that does not serve it", map[string]string{
			"bedrockRegion": "us-east-1",
		}, []string{"bedrockModelId: luma.ray-v2:0 is served by Amazon Bedrock only in us-west-2, not in us-east-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := projectDefaults(t, loadProject(t))
			for k, v := range tc.config {
				cfg[testProject+":"+k] = v
			}
			d, err := tryDeploy(t, prebuilt(t, infra.Settings{}), cfg)
			if err == nil {
				t.Fatal("the program accepted a model Bedrock cannot serve")
			}
			for _, frag := range append(tc.want, "use luma.ray-v2:0 in us-west-2") {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not mention %q", err, frag)
				}
			}
			if n := len(d.resources); n != 0 {
				t.Errorf("%d resources registered before validation failed", n)
			}
		})
	}
}
