package topology_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/infra"
	"github.com/bedrockvideo/pipeline/videomodels"
)

const (
	typeBucket     = "aws:s3/bucket:Bucket"
	typePAB        = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeOwnership  = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	typeSSE        = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
	typeLifecycle  = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
	typeBucketPol  = "aws:s3/bucketPolicy:BucketPolicy"
	typeQueue      = "aws:sqs/queue:Queue"
	typeRole       = "aws:iam/role:Role"
	typeRolePolicy = "aws:iam/rolePolicy:RolePolicy"
	typeAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeLogGroup   = "aws:cloudwatch/logGroup:LogGroup"
	typeFunction   = "aws:lambda/function:Function"
	typeAlias      = "aws:lambda/alias:Alias"
	typeESM        = "aws:lambda/eventSourceMapping:EventSourceMapping"
)

func TestEveryResourceIsAChildOfTheComponent(t *testing.T) {
	d := deploy(t, infra.DefaultSettings())

	comp := d.one(t, infra.ComponentType)
	if comp.Name != "video" || comp.Custom {
		t.Fatalf("component = %+v, want a component resource named video", comp)
	}
	wantCounts := map[string]int{
		typeBucket: 1, typePAB: 1, typeOwnership: 1, typeSSE: 1, typeLifecycle: 1, typeBucketPol: 1,
		typeQueue: 2, typeRole: 2, typeRolePolicy: 5, typeAttachment: 1,
		typeLogGroup: 2, typeFunction: 2, typeAlias: 1, typeESM: 1,
		typePermission: 1, typeNotification: 1,
		typeTopic: 1, typeAlarm: 3, typeDashboard: 1,
	}
	for typ, want := range wantCounts {
		if got := len(d.byType(typ)); got != want {
			t.Errorf("%s: %d registered, want %d", typ, got, want)
		}
	}
	compURNSuffix := "::" + infra.ComponentType + "::video"
	for _, r := range d.resources {
		if !r.Custom {
			continue
		}
		if !strings.HasSuffix(r.Parent, compURNSuffix) {
			t.Errorf("%s %s has parent %q, want the VideoPipeline component", r.Type, r.Name, r.Parent)
		}
		if _, ok := wantCounts[r.Type]; !ok {
			t.Errorf("unexpected resource %s %s", r.Type, r.Name)
		}
	}
	for _, call := range []string{"aws:index/getPartition:getPartition", "aws:index/getCallerIdentity:getCallerIdentity"} {
		if !slices.Contains(d.calls, call) {
			t.Errorf("program did not invoke %s", call)
		}
	}
}

func TestBucketIsHardenedAndInTheBedrockRegion(t *testing.T) {
	cases := []struct {
		name     string
		settings func(*infra.Settings)
		region   string
		force    bool
		days     int
	}{
		{name: "defaults", settings: func(*infra.Settings) {}, region: "us-west-2", force: false, days: 7},
		{name: "force destroy, longer expiry", settings: func(s *infra.Settings) {
			s.ForceDestroy, s.OutputExpirationDays = true, 30
		}, region: "us-west-2", force: true, days: 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := infra.DefaultSettings()
			tc.settings(&s)
			d := deploy(t, s)

			bucket := d.one(t, typeBucket)
			if got := str(t, bucket, "region"); got != tc.region {
				t.Errorf("bucket region = %q, want %q", got, tc.region)
			}
			if got := boolean(t, bucket, "forceDestroy"); got != tc.force {
				t.Errorf("bucket forceDestroy = %v, want %v", got, tc.force)
			}
			bucketID := d.out.BucketName
			for _, typ := range []string{typePAB, typeOwnership, typeSSE, typeLifecycle, typeBucketPol} {
				r := d.one(t, typ)
				if got := str(t, r, "region"); got != tc.region {
					t.Errorf("%s region = %q, want %q", typ, got, tc.region)
				}
				if got := str(t, r, "bucket"); got != bucketID {
					t.Errorf("%s bucket = %q, want %q", typ, got, bucketID)
				}
			}

			pab := d.one(t, typePAB)
			for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				if !boolean(t, pab, k) {
					t.Errorf("public access block %s is off", k)
				}
			}

			rule := obj(t, d.one(t, typeOwnership), "rule")
			if got := rule["objectOwnership"].StringValue(); got != "BucketOwnerEnforced" {
				t.Errorf("object ownership = %q, want BucketOwnerEnforced", got)
			}

			sseRules := d.one(t, typeSSE).Inputs["rules"].ArrayValue()
			if len(sseRules) != 1 {
				t.Fatalf("encryption rules = %v, want one", sseRules)
			}
			def := sseRules[0].ObjectValue()["applyServerSideEncryptionByDefault"].ObjectValue()
			if got := def["sseAlgorithm"].StringValue(); got != "AES256" {
				t.Errorf("sse algorithm = %q, want AES256 (SSE-S3 needs no KMS grant for Bedrock)", got)
			}

			lcRules := d.one(t, typeLifecycle).Inputs["rules"].ArrayValue()
			if len(lcRules) != 1 {
				t.Fatalf("lifecycle rules = %v, want one", lcRules)
			}
			lc := lcRules[0].ObjectValue()
			if got := lc["status"].StringValue(); got != "Enabled" {
				t.Errorf("lifecycle status = %q", got)
			}
			if got := lc["filter"].ObjectValue()["prefix"].StringValue(); got != "videos/" {
				t.Errorf("lifecycle filter prefix = %q, want videos/", got)
			}
			if got := int(lc["expiration"].ObjectValue()["days"].NumberValue()); got != tc.days {
				t.Errorf("lifecycle expiration = %d days, want %d", got, tc.days)
			}
			if got := int(lc["abortIncompleteMultipartUpload"].ObjectValue()["daysAfterInitiation"].NumberValue()); got < 1 {
				t.Errorf("incomplete multipart uploads are not aborted")
			}

			bucketArn := "arn:aws:s3:::" + bucketID
			pol := parsePolicy(t, str(t, d.one(t, typeBucketPol), "policy"))
			st := pol.statement(t, "DenyInsecureTransport")
			if st.Effect != "Deny" || st.Principal != "*" {
				t.Errorf("TLS statement effect/principal = %s/%v, want Deny/*", st.Effect, st.Principal)
			}
			if !slices.Equal(sorted(st.Resource), sorted([]string{bucketArn, bucketArn + "/*"})) {
				t.Errorf("TLS statement resources = %v, want the bucket and its objects", st.Resource)
			}
			if got := st.Condition["Bool"]["aws:SecureTransport"]; got != "false" {
				t.Errorf("TLS condition = %v, want Bool aws:SecureTransport=false", st.Condition)
			}

			// Everything else stays in the provider's region, except the
			// notifier, which S3 invokes (TestNotifierFunction).
			for _, typ := range []string{typeQueue, typeFunction, typeAlias, typeESM, typeLogGroup} {
				for _, r := range d.byType(typ) {
					if _, ok := r.Inputs["region"]; ok && !strings.HasPrefix(r.Name, "video-notifier") {
						t.Errorf("%s %s sets region; it must use the provider's", typ, r.Name)
					}
				}
			}
		})
	}
}

func TestQueueWiringAndTimeouts(t *testing.T) {
	cases := []struct {
		name           string
		settings       func(*infra.Settings)
		wantVisibility int
		wantReceives   int
	}{
		{name: "defaults cover the whole execution", settings: func(*infra.Settings) {}, wantVisibility: 900, wantReceives: 100},
		{name: "function timeout above a short execution", settings: func(s *infra.Settings) {
			s.DurableExecutionTimeoutSeconds, s.MaxReceiveCount = 300, 5
		}, wantVisibility: 900, wantReceives: 5},
		{name: "short execution, short function", settings: func(s *infra.Settings) {
			s.FunctionTimeoutSeconds, s.DurableExecutionTimeoutSeconds = 120, 120
		}, wantVisibility: 120, wantReceives: 100},
		{name: "explicit value above the floor", settings: func(s *infra.Settings) {
			s.QueueVisibilityTimeoutSeconds = 3600
		}, wantVisibility: 3600, wantReceives: 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := infra.DefaultSettings()
			tc.settings(&s)
			d := deploy(t, s)

			jobs, dlq := d.named(t, "video-jobs"), d.named(t, "video-dlq")
			for _, q := range []registered{jobs, dlq} {
				if !boolean(t, q, "sqsManagedSseEnabled") {
					t.Errorf("queue %s is not SQS-managed encrypted", q.Name)
				}
				// SQS's largest body; pulumi-aws would leave 256 KiB and
				// SendMessage would refuse bodies the handler accepts.
				if got := num(t, q, "maxMessageSize"); got != 1048576 {
					t.Errorf("queue %s maxMessageSize = %d, want 1048576 (1 MiB)", q.Name, got)
				}
			}
			vis := num(t, jobs, "visibilityTimeoutSeconds")
			if vis != tc.wantVisibility {
				t.Errorf("visibility timeout = %d, want %d", vis, tc.wantVisibility)
			}
			if vis < s.DurableExecutionTimeoutSeconds {
				t.Errorf("visibility timeout %d < durable execution timeout %d", vis, s.DurableExecutionTimeoutSeconds)
			}
			// Lambda refuses the mapping otherwise.
			if vis < s.FunctionTimeoutSeconds {
				t.Errorf("visibility timeout %d < function timeout %d", vis, s.FunctionTimeoutSeconds)
			}

			var redrive struct {
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
				MaxReceiveCount     int    `json:"maxReceiveCount"`
			}
			if err := json.Unmarshal([]byte(str(t, jobs, "redrivePolicy")), &redrive); err != nil {
				t.Fatalf("redrive policy is not JSON: %v", err)
			}
			wantDLQ := "arn:aws:sqs:" + providerRegion + ":" + testAccount + ":video-dlq-1a2b3c"
			if redrive.DeadLetterTargetArn != wantDLQ {
				t.Errorf("redrive target = %q, want the dead-letter queue %q", redrive.DeadLetterTargetArn, wantDLQ)
			}
			if redrive.MaxReceiveCount != tc.wantReceives {
				t.Errorf("maxReceiveCount = %d, want %d", redrive.MaxReceiveCount, tc.wantReceives)
			}
			if _, ok := dlq.Inputs["redrivePolicy"]; ok {
				t.Errorf("dead-letter queue must not redrive further")
			}
			if got := num(t, dlq, "messageRetentionSeconds"); got != 14*24*3600 {
				t.Errorf("dead-letter retention = %d, want 14 days", got)
			}
		})
	}
}

func TestRolePoliciesAreLeastPrivilege(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*infra.Settings)
		region string
		models []string
	}{
		{name: "default model", mutate: func(*infra.Settings) {}, region: "us-west-2", models: []string{videomodels.LumaRay2}},
		{name: "allow-list with duplicates", mutate: func(s *infra.Settings) {
			s.AllowedModelIDs = []string{videomodels.LumaRay2, " " + videomodels.LumaRay2}
		}, region: "us-west-2", models: []string{videomodels.LumaRay2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := infra.DefaultSettings()
			tc.mutate(&s)
			d := deploy(t, s)
			role := d.named(t, "video-role")

			trust := parsePolicy(t, str(t, role, "assumeRolePolicy"))
			if len(trust.Statement) != 1 || !slices.Equal(trust.Statement[0].Action, []string{"sts:AssumeRole"}) ||
				!jsonEqual(trust.Statement[0].Principal, map[string]any{"Service": "lambda.amazonaws.com"}) {
				t.Errorf("trust policy = %+v, want only lambda.amazonaws.com to assume the role", trust)
			}
			if _, ok := role.Inputs["managedPolicyArns"]; ok {
				t.Errorf("role must not carry extra managed policies")
			}

			att := d.one(t, typeAttachment)
			if got := str(t, att, "policyArn"); got != "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy" {
				t.Errorf("managed policy = %q", got)
			}

			roleName := "video-role-1a2b3c"
			docs := map[string]policyDoc{}
			for _, rp := range d.byType(typeRolePolicy) {
				if strings.HasPrefix(rp.Name, "video-notifier-") {
					continue // the notifier's role: see notifier_test.go
				}
				if got := str(t, rp, "role"); got != roleName {
					t.Errorf("%s is attached to %q, want %q", rp.Name, got, roleName)
				}
				doc := parsePolicy(t, str(t, rp, "policy"))
				assertLeastPrivilege(t, rp.Name, doc)
				docs[rp.Name] = doc
			}

			queueArn := "arn:aws:sqs:" + providerRegion + ":" + testAccount + ":video-jobs-1a2b3c"
			q := docs["video-queue-access"]
			if len(q.Statement) != 1 {
				t.Fatalf("queue policy = %+v, want one statement", q)
			}
			if got, want := sorted(q.Statement[0].Action), []string{"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}; !slices.Equal(got, want) {
				t.Errorf("queue actions = %v, want %v", got, want)
			}
			if !slices.Equal(q.Statement[0].Resource, []string{queueArn}) {
				t.Errorf("queue resources = %v, want only the job queue %s", q.Statement[0].Resource, queueArn)
			}

			b := docs["video-bedrock-access"]
			asyncArn := "arn:aws:bedrock:" + tc.region + ":" + testAccount + ":async-invoke/*"
			var wantInvoke []string
			for _, m := range tc.models {
				wantInvoke = append(wantInvoke, "arn:aws:bedrock:"+tc.region+"::foundation-model/"+m)
			}
			wantInvoke = append(wantInvoke, asyncArn)
			inv := b.statement(t, "StartAsyncInvokeOnAllowedModels")
			if !slices.Equal(inv.Action, []string{"bedrock:InvokeModel"}) {
				t.Errorf("invoke actions = %v, want only bedrock:InvokeModel", inv.Action)
			}
			if !slices.Equal(sorted(inv.Resource), sorted(wantInvoke)) {
				t.Errorf("invoke resources = %v, want %v", inv.Resource, wantInvoke)
			}
			follow := b.statement(t, "FollowAsyncInvocations")
			if !slices.Equal(follow.Action, []string{"bedrock:GetAsyncInvoke"}) {
				t.Errorf("follow actions = %v, want only bedrock:GetAsyncInvoke", follow.Action)
			}
			if !slices.Equal(follow.Resource, []string{asyncArn}) {
				t.Errorf("follow resources = %v, want %s", follow.Resource, asyncArn)
			}
			// ListAsyncInvokes has no resource type: a grant on async-invoke/*
			// never matches it, so it needs "*", alone in its statement.
			list := b.statement(t, "ListAsyncInvocations")
			if !slices.Equal(list.Action, []string{"bedrock:ListAsyncInvokes"}) || !slices.Equal(list.Resource, []string{"*"}) {
				t.Errorf("list statement = %+v, want only bedrock:ListAsyncInvokes on \"*\"", list)
			}
			if len(b.Statement) != 3 {
				t.Errorf("bedrock policy has %d statements, want 3", len(b.Statement))
			}
			for name, doc := range docs {
				for _, st := range doc.Statement {
					if slices.Contains(st.Resource, "*") && st.Sid != "ListAsyncInvocations" {
						t.Errorf("%s: statement %q is on \"*\"; only ListAsyncInvocations may be", name, st.Sid)
					}
				}
			}

			bucketArn := "arn:aws:s3:::" + d.out.BucketName
			s3p := docs["video-bucket-access"]
			rw := s3p.statement(t, "ReadWriteVideos")
			if got := sorted(rw.Action); !slices.Equal(got, []string{"s3:GetObject", "s3:PutObject"}) {
				t.Errorf("object actions = %v", got)
			}
			if !slices.Equal(rw.Resource, []string{bucketArn + "/videos/*"}) {
				t.Errorf("object resources = %v, want only %s/videos/*", rw.Resource, bucketArn)
			}
			// Bedrock reads an s3Location image with the role's identity.
			in := s3p.statement(t, "ReadInputImages")
			if !slices.Equal(in.Action, []string{"s3:GetObject"}) || !slices.Equal(in.Resource, []string{bucketArn + "/inputs/*"}) {
				t.Errorf("input statement = %+v, want only s3:GetObject on %s/inputs/*", in, bucketArn)
			}
			ls := s3p.statement(t, "ListVideosAndInputs")
			if !slices.Equal(ls.Action, []string{"s3:ListBucket"}) || !slices.Equal(ls.Resource, []string{bucketArn}) {
				t.Errorf("list statement = %+v, want s3:ListBucket on %s", ls, bucketArn)
			}
			if !jsonEqual(ls.Condition, map[string]any{"StringLike": map[string]any{"s3:prefix": []any{"videos/*", "inputs/*"}}}) {
				t.Errorf("list condition = %v, want s3:prefix limited to videos/* and inputs/*", ls.Condition)
			}
			if len(s3p.Statement) != 3 {
				t.Errorf("bucket access policy has %d statements, want 3", len(s3p.Statement))
			}
		})
	}
}

func TestDurableFunction(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*infra.Settings)
		arch   string
	}{
		{name: "defaults", mutate: func(*infra.Settings) {}, arch: "arm64"},
		{name: "tuned x86", mutate: func(s *infra.Settings) {
			s.Architecture, s.MemorySizeMB, s.FunctionTimeoutSeconds = infra.ArchX8664, 1024, 600
			s.DurableExecutionTimeoutSeconds, s.DurableRetentionDays, s.LogRetentionDays = 600, 30, 90
			s.AllowedModelIDs = []string{videomodels.LumaRay2}
		}, arch: "x86_64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := infra.DefaultSettings()
			tc.mutate(&s)
			d := deploy(t, s)
			fn := d.named(t, "video-handler")

			for key, want := range map[string]string{"runtime": "provided.al2023", "handler": "bootstrap"} {
				if got := str(t, fn, key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			archs := fn.Inputs["architectures"].ArrayValue()
			if len(archs) != 1 || archs[0].StringValue() != tc.arch {
				t.Errorf("architectures = %v, want [%s]", archs, tc.arch)
			}
			if got := num(t, fn, "memorySize"); got != s.MemorySizeMB {
				t.Errorf("memorySize = %d, want %d", got, s.MemorySizeMB)
			}
			if got := num(t, fn, "timeout"); got != s.FunctionTimeoutSeconds {
				t.Errorf("timeout = %d, want %d", got, s.FunctionTimeoutSeconds)
			}
			if !boolean(t, fn, "publish") {
				t.Errorf("publish is off; the alias needs a published version")
			}
			if got := str(t, fn, "role"); got != "arn:aws:iam::"+testAccount+":role/video-role-1a2b3c" {
				t.Errorf("role = %q", got)
			}

			dc := obj(t, fn, "durableConfig")
			if got := int(dc["executionTimeout"].NumberValue()); got != s.DurableExecutionTimeoutSeconds || got > 900 {
				t.Errorf("durableConfig.executionTimeout = %d, want %d (<= 900)", got, s.DurableExecutionTimeoutSeconds)
			}
			// A synchronous invocation of a durable function (what the
			// mapping makes) may end at the lower of the two timeouts.
			if ft, et := num(t, fn, "timeout"), int(dc["executionTimeout"].NumberValue()); ft < et {
				t.Errorf("function timeout %d < durable execution timeout %d: executions would be cut short", ft, et)
			}
			if got := int(dc["retentionPeriod"].NumberValue()); got != s.DurableRetentionDays {
				t.Errorf("durableConfig.retentionPeriod = %d, want %d", got, s.DurableRetentionDays)
			}

			// The environment is the handler's settings contract, read back
			// unchanged (TestFunctionEnvironmentIsReadBackByTheHandler).
			if got, err := config.FromEnviron(functionEnv(t, fn)); err != nil {
				t.Errorf("the handler refuses the environment: %v", err)
			} else if want := s.HandlerConfig(d.out.BucketName); !reflect.DeepEqual(got, want) {
				t.Errorf("handler reads %+v\nwant          %+v", got, want)
			}

			code := fn.Inputs["code"]
			if !code.IsArchive() || code.ArchiveValue().Path != testArtifact(t).ZipPath {
				t.Errorf("code = %v, want the archive %s", code, testArtifact(t).ZipPath)
			}
			if got := str(t, fn, "sourceCodeHash"); got != testArtifact(t).Base64SHA256 {
				t.Errorf("sourceCodeHash = %q, want %q", got, testArtifact(t).Base64SHA256)
			}

			lg := d.named(t, "video-logs")
			if got := num(t, lg, "retentionInDays"); got != s.LogRetentionDays {
				t.Errorf("log retention = %d, want %d", got, s.LogRetentionDays)
			}
			logging := obj(t, fn, "loggingConfig")
			if got := logging["logFormat"].StringValue(); got != "JSON" {
				t.Errorf("log format = %q, want JSON", got)
			}
			if got := logging["logGroup"].StringValue(); !strings.HasPrefix(got, "/aws/lambda/video-") {
				t.Errorf("function logs to %q, not to the pipeline's log group", got)
			}

			if fn.DeleteTimeout != "60m" {
				t.Errorf("delete timeout = %q, want 60m so running executions can stop", fn.DeleteTimeout)
			}
			for _, dep := range []string{"video-logs", "video-durable-execution", "video-queue-access", "video-bedrock-access", "video-bucket-access"} {
				if !hasSuffixURN(fn.Dependencies, dep) {
					t.Errorf("function does not wait for %s (dependencies %v)", dep, fn.Dependencies)
				}
			}
		})
	}
}

func TestAliasAndEventSourceMapping(t *testing.T) {
	s := infra.DefaultSettings()
	s.BatchSize, s.MaximumBatchingWindowSeconds, s.MinimumPollers, s.MaximumPollers = 10, 5, 3, 20
	d := deploy(t, s)

	fnName := "video-handler-1a2b3c"
	fnArn := "arn:aws:lambda:" + providerRegion + ":" + testAccount + ":function:" + fnName
	aliasArn := fnArn + ":" + infra.AliasName

	alias := d.one(t, typeAlias)
	if got := str(t, alias, "name"); got != "live" {
		t.Errorf("alias name = %q, want live", got)
	}
	if got := str(t, alias, "functionName"); got != fnName {
		t.Errorf("alias function = %q, want %q", got, fnName)
	}
	if got := str(t, alias, "functionVersion"); got != "1" {
		t.Errorf("alias version = %q, want the published version 1", got)
	}

	esm := d.one(t, typeESM)
	if got := str(t, esm, "functionName"); got != aliasArn {
		t.Errorf("mapping targets %q, want the alias ARN %q (a durable function needs a qualified ARN)", got, aliasArn)
	}
	if got := str(t, esm, "eventSourceArn"); got != "arn:aws:sqs:"+providerRegion+":"+testAccount+":video-jobs-1a2b3c" {
		t.Errorf("mapping source = %q, want the job queue", got)
	}
	if got := num(t, esm, "batchSize"); got != 10 {
		t.Errorf("batchSize = %d, want 10", got)
	}
	if got := num(t, esm, "maximumBatchingWindowInSeconds"); got != 5 {
		t.Errorf("batching window = %d, want 5", got)
	}
	rt := esm.Inputs["functionResponseTypes"].ArrayValue()
	if len(rt) != 1 || rt[0].StringValue() != "ReportBatchItemFailures" {
		t.Errorf("functionResponseTypes = %v, want [ReportBatchItemFailures]", rt)
	}
	ppc := obj(t, esm, "provisionedPollerConfig")
	if got := int(ppc["minimumPollers"].NumberValue()); got != 3 {
		t.Errorf("minimumPollers = %d, want 3", got)
	}
	if got := int(ppc["maximumPollers"].NumberValue()); got != 20 {
		t.Errorf("maximumPollers = %d, want 20", got)
	}
	if v, ok := esm.Inputs["scalingConfig"]; ok && !v.IsNull() {
		t.Errorf("scalingConfig = %v; AWS rejects it with provisioned mode", v)
	}
	if !hasSuffixURN(esm.Dependencies, "video-queue-access") {
		t.Errorf("mapping does not wait for the role's queue permissions (dependencies %v)", esm.Dependencies)
	}
}

func TestOutputs(t *testing.T) {
	d := deploy(t, infra.DefaultSettings())
	want := outputs{
		QueueURL:           "https://sqs." + providerRegion + ".amazonaws.com/" + testAccount + "/video-jobs-1a2b3c",
		DeadLetterQueueURL: "https://sqs." + providerRegion + ".amazonaws.com/" + testAccount + "/video-dlq-1a2b3c",
		BucketName:         "video-output-1a2b3c",
		FunctionName:       "video-handler-1a2b3c",
		FunctionAliasArn:   "arn:aws:lambda:" + providerRegion + ":" + testAccount + ":function:video-handler-1a2b3c:live",
	}
	if d.out != want {
		t.Errorf("outputs = %+v\nwant      %+v", d.out, want)
	}
}

// TestProgramExportsStackOutputs checks that main.go exports exactly the
// stack outputs the README promises (queueUrl is what `pulumi stack output`
// is asked for when sending a job).
func TestProgramExportsStackOutputs(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../../main.go", nil, 0)
	if err != nil {
		t.Fatalf("parsing main.go: %v", err)
	}
	var got []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Export" || len(call.Args) != 2 {
			return true
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			name, _ := strconv.Unquote(lit.Value)
			got = append(got, name)
		}
		return true
	})
	want := []string{"alarmTopicArn", "bucketName", "dashboardUrl", "deadLetterQueueUrl", "functionAliasArn", "functionName", "notifierLogGroupName", "queueUrl"}
	if !slices.Equal(sorted(got), want) {
		t.Errorf("main.go exports %v, want %v", got, want)
	}
}

// jsonEqual compares two values by their JSON encoding.
func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
