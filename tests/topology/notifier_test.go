package topology_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/infra"
)

const (
	typePermission   = "aws:lambda/permission:Permission"
	typeNotification = "aws:s3/bucketNotification:BucketNotification"
)

// Names and ARNs the mocks give the deployment's resources.
const (
	durableFunctionArn = "arn:aws:lambda:" + providerRegion + ":" + testAccount + ":function:video-handler-1a2b3c"
	notifierRoleName   = "video-notifier-role-1a2b3c"
)

func TestNotifierFunction(t *testing.T) {
	for _, arch := range []string{infra.ArchARM64, infra.ArchX8664} {
		t.Run(arch, func(t *testing.T) {
			s := infra.DefaultSettings()
			s.Architecture, s.LogRetentionDays = arch, 30
			d := deploy(t, s)
			fn := d.named(t, "video-notifier")

			// S3 notifies only functions of the bucket's region; the
			// durable function stays in the provider's.
			if got := str(t, fn, "region"); got != s.BedrockRegion || got == providerRegion {
				t.Errorf("notifier region = %q, want the bucket's %s", got, s.BedrockRegion)
			}
			if got := str(t, d.one(t, typeBucket), "region"); got != str(t, fn, "region") {
				t.Errorf("bucket in %s, notifier in %s: S3 cannot notify across regions", got, str(t, fn, "region"))
			}
			for key, want := range map[string]string{"runtime": "provided.al2023", "handler": "bootstrap"} {
				if got := str(t, fn, key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if archs := fn.Inputs["architectures"].ArrayValue(); len(archs) != 1 || archs[0].StringValue() != arch {
				t.Errorf("architectures = %v, want [%s] like the durable function", archs, arch)
			}
			if _, ok := fn.Inputs["durableConfig"]; ok {
				t.Errorf("the notifier is a plain function, but has a durableConfig")
			}
			code := fn.Inputs["code"]
			if !code.IsArchive() || code.ArchiveValue().Path != testNotifier(t).ZipPath {
				t.Errorf("code = %v, want the notifier archive %s", code, testNotifier(t).ZipPath)
			}
			if got := str(t, fn, "sourceCodeHash"); got != testNotifier(t).Base64SHA256 {
				t.Errorf("sourceCodeHash = %q, want %q", got, testNotifier(t).Base64SHA256)
			}
			if got := str(t, fn, "role"); got != "arn:aws:iam::"+testAccount+":role/"+notifierRoleName {
				t.Errorf("role = %q, want the notifier's own role", got)
			}
			if got := num(t, fn, "timeout"); got < 3 || got > 60 {
				t.Errorf("timeout = %d s; two API calls need seconds, not minutes", got)
			}

			// The environment is the notifier's settings contract, read
			// back by the notifier: the bucket, and the durable function
			// whose region the callback API is called in.
			c, err := config.NotifierFromEnviron(functionEnv(t, fn))
			if err != nil {
				t.Fatalf("the notifier refuses its environment: %v", err)
			}
			if c.OutputBucket != d.out.BucketName || c.DurableFunctionARN != durableFunctionArn {
				t.Errorf("notifier reads %+v, want bucket %s and function %s", c, d.out.BucketName, durableFunctionArn)
			}
			if c.FunctionRegion() != providerRegion {
				t.Errorf("notifier calls the callback API in %q, want the durable function's region %s", c.FunctionRegion(), providerRegion)
			}

			lg := d.named(t, "video-notifier-logs")
			if got := str(t, lg, "region"); got != s.BedrockRegion {
				t.Errorf("notifier log group in %q, want the notifier's region %s", got, s.BedrockRegion)
			}
			if got := num(t, lg, "retentionInDays"); got != 30 {
				t.Errorf("notifier log retention = %d, want 30", got)
			}
			logging := obj(t, fn, "loggingConfig")
			if got := logging["logFormat"].StringValue(); got != "JSON" {
				t.Errorf("log format = %q, want JSON", got)
			}
			if got := logging["logGroup"].StringValue(); !strings.HasPrefix(got, "/aws/lambda/video-notifier-") {
				t.Errorf("notifier logs to %q, not to its own log group", got)
			}
			for _, dep := range []string{"video-notifier-logs", "video-notifier-access"} {
				if !hasSuffixURN(fn.Dependencies, dep) {
					t.Errorf("notifier does not wait for %s (dependencies %v)", dep, fn.Dependencies)
				}
			}
		})
	}
}

func TestNotifierRoleIsLeastPrivilege(t *testing.T) {
	d := deploy(t, infra.DefaultSettings())
	role := d.named(t, "video-notifier-role")
	trust := parsePolicy(t, str(t, role, "assumeRolePolicy"))
	if len(trust.Statement) != 1 || !slices.Equal(trust.Statement[0].Action, []string{"sts:AssumeRole"}) ||
		!jsonEqual(trust.Statement[0].Principal, map[string]any{"Service": "lambda.amazonaws.com"}) {
		t.Errorf("trust policy = %+v, want only lambda.amazonaws.com to assume the role", trust)
	}
	if _, ok := role.Inputs["managedPolicyArns"]; ok {
		t.Errorf("notifier role must not carry managed policies")
	}
	for _, att := range d.byType(typeAttachment) {
		if str(t, att, "role") == notifierRoleName {
			t.Errorf("managed policy %s attached to the notifier role; its inline policy is all it needs", str(t, att, "policyArn"))
		}
	}
	var docs []policyDoc
	for _, rp := range d.byType(typeRolePolicy) {
		if str(t, rp, "role") == notifierRoleName {
			docs = append(docs, parsePolicy(t, str(t, rp, "policy")))
		}
	}
	if len(docs) != 1 {
		t.Fatalf("%d policies on the notifier role, want 1", len(docs))
	}
	doc := docs[0]

	bucketArn := "arn:aws:s3:::" + d.out.BucketName
	logGroupArn := "arn:aws:logs:" + providerRegion + ":" + testAccount + ":log-group:/aws/lambda/video-notifier-1a2b3c"
	allowed := func(action, resource string) bool {
		for _, st := range doc.Statement {
			if st.Effect == "Allow" && slices.Contains(st.Action, action) &&
				slices.ContainsFunc(st.Resource, func(r string) bool { return iamLike(r, resource) }) {
				return true
			}
		}
		return false
	}
	var actions []string
	for _, st := range doc.Statement {
		actions = append(actions, st.Action...)
	}
	if want := []string{"lambda:SendDurableExecutionCallbackSuccess", "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:ListBucket"}; !slices.Equal(sorted(actions), want) {
		t.Errorf("notifier may %v, want exactly %v", sorted(actions), want)
	}

	tests := []struct {
		name, action, resource string
		want                   bool
	}{
		{"its log group", "logs:CreateLogStream", logGroupArn, true},
		{"its log streams", "logs:PutLogEvents", logGroupArn + ":log-stream:2026/11/30/[$LATEST]abc", true},
		{"another log group", "logs:PutLogEvents", "arn:aws:logs:" + providerRegion + ":" + testAccount + ":log-group:/aws/lambda/other:log-stream:x", false},
		{"a callback record", "s3:GetObject", bucketArn + "/" + jobstore.CallbackKey("m-1"), true},
		{"a video", "s3:GetObject", bucketArn + "/videos/m-1/abc/output.mp4", false},
		{"a job record", "s3:GetObject", bucketArn + "/" + jobstore.JobKey("m-1"), false},
		{"an input image", "s3:GetObject", bucketArn + "/inputs/frame.png", false},
		{"writing a callback record", "s3:PutObject", bucketArn + "/" + jobstore.CallbackKey("m-1"), false},
		{"callbacks of the durable function (version 1)", "lambda:SendDurableExecutionCallbackSuccess",
			durableFunctionArn + ":1/durable-execution/exec-name/exec-id", true},
		{"callbacks of the durable function ($LATEST)", "lambda:SendDurableExecutionCallbackSuccess",
			durableFunctionArn + ":$LATEST/durable-execution/exec-name/exec-id", true},
		{"callbacks of another function", "lambda:SendDurableExecutionCallbackSuccess",
			"arn:aws:lambda:" + providerRegion + ":" + testAccount + ":function:other:1/durable-execution/n/i", false},
		{"callbacks of a function sharing the name's prefix", "lambda:SendDurableExecutionCallbackSuccess",
			durableFunctionArn + "-evil:1/durable-execution/n/i", false},
		{"failing callbacks", "lambda:SendDurableExecutionCallbackFailure", durableFunctionArn + ":1/durable-execution/n/i", false},
		{"invoking the durable function", "lambda:InvokeFunction", durableFunctionArn + ":live", false},
	}
	for _, tt := range tests {
		if got := allowed(tt.action, tt.resource); got != tt.want {
			t.Errorf("%s: %s on %s allowed = %v, want %v", tt.name, tt.action, tt.resource, got, tt.want)
		}
	}

	// Without s3:ListBucket a missing callback.json answers 403, not 404;
	// the grant is limited to the callback records.
	list := doc.statement(t, "TellMissingCallbackRecords")
	if !slices.Equal(list.Resource, []string{bucketArn}) {
		t.Errorf("ListBucket on %v, want only the bucket", list.Resource)
	}
	prefixes, _ := list.Condition["StringLike"]["s3:prefix"].([]any)
	if len(prefixes) != 1 || prefixes[0] != "videos/*/callback.json" {
		t.Errorf("ListBucket prefixes = %v, want only videos/*/callback.json", prefixes)
	}

	// Creating callbacks is a checkpoint: the durable function's role
	// gains nothing.
	for _, rp := range d.byType(typeRolePolicy) {
		if str(t, rp, "role") == notifierRoleName {
			continue
		}
		for _, st := range parsePolicy(t, str(t, rp, "policy")).Statement {
			for _, a := range st.Action {
				if strings.Contains(a, "DurableExecutionCallback") {
					t.Errorf("%s grants %s to the durable function's role", rp.Name, a)
				}
			}
		}
	}
}

func TestBucketNotifiesTheNotifier(t *testing.T) {
	s := infra.DefaultSettings()
	d := deploy(t, s)
	bucketArn := "arn:aws:s3:::" + d.out.BucketName
	notifierArn := "arn:aws:lambda:" + providerRegion + ":" + testAccount + ":function:video-notifier-1a2b3c"

	perm := d.one(t, typePermission)
	for key, want := range map[string]string{
		"action":        "lambda:InvokeFunction",
		"principal":     "s3.amazonaws.com",
		"function":      "video-notifier-1a2b3c",
		"sourceArn":     bucketArn,
		"sourceAccount": testAccount,
		"region":        s.BedrockRegion,
	} {
		if got := str(t, perm, key); got != want {
			t.Errorf("permission %s = %q, want %q", key, got, want)
		}
	}
	for _, key := range []string{"qualifier", "principalOrgId", "eventSourceToken"} {
		if _, ok := perm.Inputs[resource.PropertyKey(key)]; ok {
			t.Errorf("permission sets %s", key)
		}
	}

	n := d.one(t, typeNotification)
	if got := str(t, n, "bucket"); got != d.out.BucketName {
		t.Errorf("notification on bucket %q, want %q", got, d.out.BucketName)
	}
	if got := str(t, n, "region"); got != s.BedrockRegion {
		t.Errorf("notification region = %q, want the bucket's %s", got, s.BedrockRegion)
	}
	for _, key := range []string{"queues", "topics"} {
		if v, ok := n.Inputs[resource.PropertyKey(key)]; ok && v.IsArray() && len(v.ArrayValue()) > 0 {
			t.Errorf("notification has %s %v", key, v)
		}
	}
	fns := n.Inputs["lambdaFunctions"].ArrayValue()
	if len(fns) != 1 {
		t.Fatalf("notification has %d function configurations, want 1", len(fns))
	}
	cfg := fns[0].ObjectValue()
	if got := cfg["lambdaFunctionArn"].StringValue(); got != notifierArn {
		t.Errorf("notification targets %q, want the notifier %s", got, notifierArn)
	}
	if got := stringList(cfg["events"]); !slices.Equal(got, []string{"s3:ObjectCreated:*"}) {
		t.Errorf("events = %v, want [s3:ObjectCreated:*] (Bedrock may write with a single or a multipart upload)", got)
	}
	if got := cfg["filterPrefix"].StringValue(); got != config.OutputPrefix {
		t.Errorf("filterPrefix = %q, want %q", got, config.OutputPrefix)
	}
	if got := cfg["filterSuffix"].StringValue(); got != config.VideoSuffix {
		t.Errorf("filterSuffix = %q, want %q", got, config.VideoSuffix)
	}
	// S3 tests the permission when the notification is put, and refuses
	// concurrent changes of the bucket's configuration.
	for _, dep := range []string{"video-notifier-from-bucket", "video-output-policy"} {
		if !hasSuffixURN(n.Dependencies, dep) {
			t.Errorf("notification does not wait for %s (dependencies %v)", dep, n.Dependencies)
		}
	}
}

func TestEventDrivenCompletionSwitch(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[on], func(t *testing.T) {
			s := infra.DefaultSettings()
			s.EventDrivenCompletion = on
			// Off, the program must not even build a notifier: none is
			// given and the module has no notifier package to build.
			args := prebuilt(t, s)
			if !on {
				args.Notifier = nil
			}
			d, err := tryDeploy(t, args, nil)
			if err != nil {
				t.Fatalf("program: %v", err)
			}

			want := map[string]int{typeFunction: 1, typeRole: 1, typeLogGroup: 1, typeRolePolicy: 4, typePermission: 0, typeNotification: 0}
			if on {
				want = map[string]int{typeFunction: 2, typeRole: 2, typeLogGroup: 2, typeRolePolicy: 5, typePermission: 1, typeNotification: 1}
			}
			for typ, n := range want {
				if got := len(d.byType(typ)); got != n {
					t.Errorf("%s: %d registered, want %d", typ, got, n)
				}
			}

			c, err := config.FromEnviron(functionEnv(t, d.named(t, "video-handler")))
			if err != nil {
				t.Fatalf("the handler refuses its environment: %v", err)
			}
			if c.CompletionCallbacks != on {
				t.Errorf("handler CompletionCallbacks = %v, want %v: it must register callbacks exactly when a notifier completes them", c.CompletionCallbacks, on)
			}
		})
	}
}

func TestNotifierLogGroupOutput(t *testing.T) {
	for _, on := range []bool{true, false} {
		s := infra.DefaultSettings()
		s.EventDrivenCompletion = on
		var got string
		var wg sync.WaitGroup
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			p, err := infra.NewVideoPipeline(ctx, "video", prebuilt(t, s))
			if err != nil {
				return err
			}
			wg.Add(1)
			p.NotifierLogGroupName.ApplyT(func(v string) error {
				defer wg.Done()
				got = v
				return nil
			})
			return nil
		}, pulumi.WithMocks(testProject, testStack, &mocks{}))
		if err != nil {
			t.Fatalf("running program: %v", err)
		}
		wg.Wait()
		want := map[bool]string{true: "/aws/lambda/video-notifier-1a2b3c", false: ""}[on]
		if got != want {
			t.Errorf("eventDrivenCompletion=%v: notifierLogGroupName = %q, want %q", on, got, want)
		}
	}
}
