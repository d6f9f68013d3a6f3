// Package topology_test checks the VideoPipeline component on Pulumi mocks:
// every resource, property, policy and dependency the deployment relies on,
// the settings validation, and the reproducible handler build.
package topology_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/infra"
)

const (
	testProject = "bedrock-video-pipeline"
	testStack   = "test"
	testAccount = "123456789012"
	// providerRegion is the region mocked resources report for the
	// provider (the function's region); it differs from the default
	// Bedrock region on purpose so tests can tell them apart.
	providerRegion = "eu-west-1"
)

// registered is one resource the program registered with the mock engine.
type registered struct {
	Type          string
	Name          string
	Custom        bool
	Inputs        resource.PropertyMap
	Parent        string
	Dependencies  []string
	DeleteTimeout string
}

// mocks is a Pulumi mock engine that records every registration and
// invents the outputs AWS would compute (ARNs, URLs, names, versions).
type mocks struct {
	mu        sync.Mutex
	resources []registered
	calls     []string
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := registered{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Dependencies = rpc.GetDependencies()
		if ct := rpc.GetCustomTimeouts(); ct != nil {
			r.DeleteTimeout = ct.GetDelete()
		}
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	id := args.Name + "-id"
	out := args.Inputs.Copy()
	set := func(k, v string) { out[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	phys := args.Name + "-1a2b3c"
	switch args.TypeToken {
	case "aws:s3/bucket:Bucket":
		id = phys
		set("bucket", phys)
		set("arn", "arn:aws:s3:::"+phys)
	case "aws:sqs/queue:Queue":
		id = "https://sqs." + providerRegion + ".amazonaws.com/" + testAccount + "/" + phys
		set("url", id)
		set("arn", "arn:aws:sqs:"+providerRegion+":"+testAccount+":"+phys)
	case "aws:iam/role:Role":
		id = phys
		set("name", phys)
		set("arn", "arn:aws:iam::"+testAccount+":role/"+phys)
	case "aws:cloudwatch/logGroup:LogGroup":
		name := "/aws/lambda/" + phys
		if p, ok := args.Inputs["namePrefix"]; ok && p.IsString() {
			name = p.StringValue() + "1a2b3c"
		}
		id = name
		set("name", name)
		set("arn", "arn:aws:logs:"+providerRegion+":"+testAccount+":log-group:"+name)
	case "aws:lambda/function:Function":
		id = phys
		set("name", phys)
		set("arn", "arn:aws:lambda:"+providerRegion+":"+testAccount+":function:"+phys)
		set("version", "1")
	case "aws:sns/topic:Topic":
		set("arn", "arn:aws:sns:"+providerRegion+":"+testAccount+":"+phys)
	case "aws:lambda/alias:Alias":
		fn := args.Inputs["functionName"].StringValue()
		name := args.Inputs["name"].StringValue()
		set("arn", "arn:aws:lambda:"+providerRegion+":"+testAccount+":function:"+fn+":"+name)
	}
	return id, out, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args.Token)
	m.mu.Unlock()
	switch args.Token {
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
		}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": testAccount, "id": testAccount,
			"arn": "arn:aws:iam::" + testAccount + ":user/test", "userId": "AIDTEST",
		}), nil
	}
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

// byType returns the registered resources of one type.
func (m *mocks) byType(typ string) []registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []registered
	for _, r := range m.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// one returns the single resource of a type, failing the test otherwise.
func (m *mocks) one(t *testing.T, typ string) registered {
	t.Helper()
	rs := m.byType(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d", typ, len(rs))
	}
	return rs[0]
}

// named returns the resource with the given logical name.
func (m *mocks) named(t *testing.T, name string) registered {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.resources {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no resource named %q", name)
	return registered{}
}

// outputs are the resolved outputs of the component.
type outputs struct {
	QueueURL, DeadLetterQueueURL, BucketName, FunctionName, FunctionAliasArn string
}

// deployment is the result of running the component on mocks.
type deployment struct {
	*mocks
	out outputs
}

var (
	artifactOnce sync.Once
	artifact     infra.Artifact
	artifactErr  error

	notifierOnce     sync.Once
	notifierArtifact infra.Artifact
	notifierErr      error
)

// testArtifact builds a throwaway handler once per test binary; the topology
// tests only need a real archive path, not the real handler.
func testArtifact(t *testing.T) *infra.Artifact {
	t.Helper()
	artifactOnce.Do(func() {
		dir, err := os.MkdirTemp("", "topology-artifact-")
		if err != nil {
			artifactErr = err
			return
		}
		if err := writeModule(dir, okMain); err != nil {
			artifactErr = err
			return
		}
		artifact, artifactErr = infra.BuildHandler(context.Background(), infra.BuildOptions{ModuleDir: dir, Package: "."})
	})
	if artifactErr != nil {
		t.Fatalf("building test handler: %v", artifactErr)
	}
	return &artifact
}

// testNotifier builds a second throwaway handler once per test binary, into
// a folder of its own, so the tests can tell which archive each function
// deploys.
func testNotifier(t *testing.T) *infra.Artifact {
	t.Helper()
	notifierOnce.Do(func() {
		dir, err := os.MkdirTemp("", "topology-notifier-")
		if err != nil {
			notifierErr = err
			return
		}
		if err := writeModule(dir, okMain); err != nil {
			notifierErr = err
			return
		}
		notifierArtifact, notifierErr = infra.BuildHandler(context.Background(), infra.BuildOptions{ModuleDir: dir, Package: "."})
	})
	if notifierErr != nil {
		t.Fatalf("building test notifier: %v", notifierErr)
	}
	return &notifierArtifact
}

// prebuilt returns args deploying the test archives with the given settings.
func prebuilt(t *testing.T, s infra.Settings) *infra.VideoPipelineArgs {
	t.Helper()
	return &infra.VideoPipelineArgs{Settings: s, Handler: testArtifact(t), Notifier: testNotifier(t)}
}

// deploy runs the component with the given settings on fresh mocks.
func deploy(t *testing.T, s infra.Settings) deployment {
	t.Helper()
	d, err := tryDeploy(t, prebuilt(t, s), nil)
	if err != nil {
		t.Fatalf("running program: %v", err)
	}
	return d
}

// tryDeploy runs the component and returns the program's error.
func tryDeploy(t *testing.T, args *infra.VideoPipelineArgs, config map[string]string) (deployment, error) {
	t.Helper()
	m := &mocks{}
	d := deployment{mocks: m}
	var wg sync.WaitGroup
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if config != nil {
			s, err := infra.SettingsFromConfig(ctx)
			if err != nil {
				return err
			}
			args.Settings = s
		}
		p, err := infra.NewVideoPipeline(ctx, "video", args)
		if err != nil {
			return err
		}
		wg.Add(1)
		pulumi.All(p.QueueURL, p.DeadLetterQueueURL, p.BucketName, p.FunctionName, p.FunctionAliasArn).ApplyT(func(v []any) error {
			defer wg.Done()
			d.out = outputs{v[0].(string), v[1].(string), v[2].(string), v[3].(string), v[4].(string)}
			return nil
		})
		return nil
	}, pulumi.WithMocks(testProject, testStack, m), func(info *pulumi.RunInfo) {
		info.Config = config
	})
	if err == nil {
		wg.Wait()
	}
	return d, err
}

const okMain = `package main

import "fmt"

func main() { fmt.Println("bootstrap") }
`

// writeModule writes a one-file main module into dir.
func writeModule(dir, mainSrc string) error {
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/bootstrap\n\ngo 1.22\n"), 0o644); err != nil {
		return fmt.Errorf("writing go.mod: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(mainSrc), 0o644); err != nil {
		return fmt.Errorf("writing main.go: %w", err)
	}
	return nil
}

// str returns a string input, failing the test if it is missing.
func str(t *testing.T, r registered, key string) string {
	t.Helper()
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsString() {
		t.Fatalf("%s %s: input %q is %v, want a string", r.Type, r.Name, key, v)
	}
	return v.StringValue()
}

// num returns a number input as an int, failing the test if it is missing.
func num(t *testing.T, r registered, key string) int {
	t.Helper()
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsNumber() {
		t.Fatalf("%s %s: input %q is %v, want a number", r.Type, r.Name, key, v)
	}
	return int(v.NumberValue())
}

// boolean returns a bool input, failing the test if it is missing.
func boolean(t *testing.T, r registered, key string) bool {
	t.Helper()
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsBool() {
		t.Fatalf("%s %s: input %q is %v, want a bool", r.Type, r.Name, key, v)
	}
	return v.BoolValue()
}

// obj returns an object input, failing the test if it is missing.
func obj(t *testing.T, r registered, key string) resource.PropertyMap {
	t.Helper()
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsObject() {
		t.Fatalf("%s %s: input %q is %v, want an object", r.Type, r.Name, key, v)
	}
	return v.ObjectValue()
}

// hasSuffixURN reports whether one of urns names the resource name.
func hasSuffixURN(urns []string, name string) bool {
	for _, u := range urns {
		if strings.HasSuffix(u, "::"+name) {
			return true
		}
	}
	return false
}

// runWithConfig runs SettingsFromConfig on mocks with the given stack
// configuration and hands the result to check.
func runWithConfig(config map[string]string, check func(infra.Settings)) error {
	return pulumi.RunErr(func(ctx *pulumi.Context) error {
		s, err := infra.SettingsFromConfig(ctx)
		if err != nil {
			return err
		}
		check(s)
		return nil
	}, pulumi.WithMocks(testProject, testStack, &mocks{}), func(info *pulumi.RunInfo) {
		info.Config = config
	})
}
