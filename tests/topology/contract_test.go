package topology_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/infra"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// functionEnv returns the environment variables the function was declared
// with, failing the test if one is not a plain string.
func functionEnv(t *testing.T, fn registered) map[string]string {
	t.Helper()
	vars := obj(t, fn, "environment")["variables"]
	if !vars.IsObject() {
		t.Fatalf("function environment variables are %v, want an object", vars)
	}
	env := map[string]string{}
	for k, v := range vars.ObjectValue() {
		if !v.IsString() {
			t.Fatalf("environment variable %s = %v, want a string", k, v)
		}
		env[string(k)] = v.StringValue()
	}
	return env
}

// TestFunctionEnvironmentIsReadBackByTheHandler deploys several settings and
// reads the function's environment with the handler's own configuration
// reader: it must accept it, find exactly the values the settings meant, and
// write the same environment back.
func TestFunctionEnvironmentIsReadBackByTheHandler(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*infra.Settings)
	}{
		{"defaults", func(*infra.Settings) {}},
		{"short execution", func(s *infra.Settings) {
			s.DurableExecutionTimeoutSeconds, s.FunctionTimeoutSeconds = 300, 300
		}},
		{"explicit allow-list", func(s *infra.Settings) { s.AllowedModelIDs = []string{" " + videomodels.LumaRay2} }},
		{"own event bus and namespace", func(s *infra.Settings) { s.EventBusName, s.MetricsNamespace = "video-events", "Team/Video" }},
		{"concurrent-job quota", func(s *infra.Settings) { s.BedrockConcurrentJobs = 20 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := infra.DefaultSettings()
			tc.mutate(&s)
			d := deploy(t, s)
			env := functionEnv(t, d.named(t, "video-handler"))

			if got, want := slices.Sorted(maps.Keys(env)), slices.Sorted(slices.Values(config.Variables())); !slices.Equal(got, want) {
				t.Errorf("environment sets %v, want every variable the handler reads: %v", got, want)
			}
			got, err := config.FromEnviron(env)
			if err != nil {
				t.Fatalf("the handler refuses the environment the deployment writes: %v", err)
			}
			want := config.Config{
				OutputBucket:     d.out.BucketName,
				DefaultModel:     s.BedrockModelID,
				AllowedModels:    s.ModelIDs(),
				BedrockRegion:    s.BedrockRegion,
				ExecutionTimeout: time.Duration(s.DurableExecutionTimeoutSeconds) * time.Second,
				MaxConcurrency:   config.DefaultMaxConcurrency,
				EventBus:         s.EventBusName,
				MetricsNamespace: s.MetricsNamespace,
				ConcurrentJobs:   s.BedrockConcurrentJobs,

				CompletionCallbacks: s.EventDrivenCompletion,
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("handler reads %+v\nwant          %+v", got, want)
			}
			if back := got.Environ(); !maps.Equal(back, env) {
				t.Errorf("environment does not survive a round trip:\nwritten %v\nre-read %v", env, back)
			}
		})
	}
}

// TestDefaultDeploymentIsTheHandlersDefaults ties the handler's tests to the
// deployment: the end-to-end and workflow tests run with config.Defaults,
// which must be exactly what the project defaults deploy.
func TestDefaultDeploymentIsTheHandlersDefaults(t *testing.T) {
	const bucket = "video-output-1a2b3c"
	if got, want := infra.DefaultSettings().HandlerConfig(bucket), config.Defaults(bucket); !reflect.DeepEqual(got, want) {
		t.Errorf("the default deployment configures the handler with %+v\nthe handler's defaults are      %+v", got, want)
	}
}

// TestInfraSpellsNoEnvironmentVariableName keeps the variable names in the
// handler's settings contract: no string literal of the deployment program
// may be one of them.
func TestInfraSpellsNoEnvironmentVariableName(t *testing.T) {
	files, err := filepath.Glob("../../infra/*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../main.go")
	names := config.Variables()
	checked := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatalf("parsing %s: %v", file, err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, name := range names {
				if strings.Contains(v, name) {
					t.Errorf("%s spells the handler's variable %s; build the environment through handler/config", file, name)
				}
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked only %d files; the glob no longer finds the program", checked)
	}
}

// TestBucketGrantsCoverTheHandlersKeys checks the role's bucket grants
// against the keys the handler and Bedrock really use: job.json,
// result.json, the job's output prefix (written by Bedrock, listed by the
// handler) and an input image under inputs/.
func TestBucketGrantsCoverTheHandlersKeys(t *testing.T) {
	d := deploy(t, infra.DefaultSettings())
	var doc policyDoc
	for _, rp := range d.byType(typeRolePolicy) {
		if rp.Name == "video-bucket-access" {
			doc = parsePolicy(t, str(t, rp, "policy"))
		}
	}
	if doc.Statement == nil {
		t.Fatal("no bucket access policy")
	}
	bucket := d.out.BucketName
	objectARN := func(key string) string { return "arn:aws:s3:::" + bucket + "/" + key }
	allows := func(action, resource string) bool {
		for _, st := range doc.Statement {
			if slices.Contains(st.Action, action) && slices.ContainsFunc(st.Resource, func(r string) bool { return iamLike(r, resource) }) {
				return true
			}
		}
		return false
	}
	listable := func(prefix string) bool {
		for _, st := range doc.Statement {
			if !slices.Contains(st.Action, "s3:ListBucket") {
				continue
			}
			patterns, _ := st.Condition["StringLike"]["s3:prefix"].([]any)
			for _, p := range patterns {
				if ps, ok := p.(string); ok && iamLike(ps, prefix) {
					return true
				}
			}
		}
		return false
	}

	const id = "0b7a1c2e-5f7d-4c52-9a3e-8d1f2a3b4c5d"
	output := strings.TrimPrefix(jobstore.OutputURI(bucket, id), "s3://"+bucket+"/") + "/"
	for _, key := range []string{jobstore.JobKey(id), jobstore.ResultKey(id), output + "abc123/output.mp4"} {
		for _, action := range []string{"s3:GetObject", "s3:PutObject"} {
			if !allows(action, objectARN(key)) {
				t.Errorf("role may not %s %s", action, key)
			}
		}
	}
	if !listable(output) {
		t.Errorf("role may not list the job's output prefix %s", output)
	}
	input := config.InputPrefix + "jobs/frame0.png"
	if !allows("s3:GetObject", objectARN(input)) {
		t.Errorf("role may not read the input image %s (Bedrock reads it with the role's identity)", input)
	}
	if allows("s3:PutObject", objectARN(input)) {
		t.Errorf("role may write %s; inputs/ is read-only for the function", input)
	}
	for _, key := range []string{"other/frame.png", "inputsx/frame.png", "frame.png"} {
		if allows("s3:GetObject", objectARN(key)) {
			t.Errorf("role may read %s, outside inputs/ and videos/", key)
		}
	}
}

// iamLike matches value against an IAM pattern where "*" stands for any run
// of characters (as in StringLike conditions and resource ARNs).
func iamLike(pattern, value string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == value
	}
	if !strings.HasPrefix(value, parts[0]) {
		return false
	}
	value = value[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(value, p)
		if i < 0 {
			return false
		}
		value = value[i+len(p):]
	}
	return strings.HasSuffix(value, parts[len(parts)-1])
}

func TestIAMLike(t *testing.T) {
	cases := []struct {
		pattern, value string
		want           bool
	}{
		{"videos/*", "videos/a/b.mp4", true},
		{"videos/*", "videos/", true},
		{"videos/*", "inputs/a", false},
		{"arn:aws:s3:::b/videos/*", "arn:aws:s3:::b/videos/x", true},
		{"arn:aws:s3:::b/videos/*", "arn:aws:s3:::bb/videos/x", false},
		{"a*c*e", "abcde", true},
		{"a*c*e", "abcd", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tc := range cases {
		if got := iamLike(tc.pattern, tc.value); got != tc.want {
			t.Errorf("iamLike(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}
