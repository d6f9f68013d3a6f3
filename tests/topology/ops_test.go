package topology_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/infra"
)

const (
	typeTopic        = "aws:sns/topic:Topic"
	typeSubscription = "aws:sns/topicSubscription:TopicSubscription"
	typeAlarm        = "aws:cloudwatch/metricAlarm:MetricAlarm"
	typeDashboard    = "aws:cloudwatch/dashboard:Dashboard"
)

// opsDeployment is a deployment with the operations outputs resolved.
type opsDeployment struct {
	*mocks
	alarmTopicArn, dashboardURL, functionName string
}

// deployOps runs the component on fresh mocks and resolves the outputs
// operators use.
func deployOps(t *testing.T, s infra.Settings) opsDeployment {
	t.Helper()
	d := opsDeployment{mocks: &mocks{}}
	var wg sync.WaitGroup
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		p, err := infra.NewVideoPipeline(ctx, "video", prebuilt(t, s))
		if err != nil {
			return err
		}
		wg.Add(1)
		pulumi.All(p.AlarmTopicArn, p.DashboardURL, p.FunctionName).ApplyT(func(v []any) error {
			defer wg.Done()
			d.alarmTopicArn, d.dashboardURL, d.functionName = v[0].(string), v[1].(string), v[2].(string)
			return nil
		})
		return nil
	}, pulumi.WithMocks(testProject, testStack, d.mocks))
	if err != nil {
		t.Fatalf("running program: %v", err)
	}
	wg.Wait()
	return d
}

// stringList reads a list of strings from a resource input.
func stringList(v resource.PropertyValue) []string {
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, e.StringValue())
	}
	return out
}

func TestAlarmTopicAndEmailSubscription(t *testing.T) {
	d := deployOps(t, infra.DefaultSettings())
	d.one(t, typeTopic)
	wantArn := "arn:aws:sns:" + providerRegion + ":" + testAccount + ":video-alarms-1a2b3c"
	if d.alarmTopicArn != wantArn {
		t.Errorf("alarmTopicArn = %q, want %q", d.alarmTopicArn, wantArn)
	}
	if n := len(d.byType(typeSubscription)); n != 0 {
		t.Errorf("%d subscriptions without alarmEmail, want none", n)
	}

	s := infra.DefaultSettings()
	s.AlarmEmail = "ops@example.com"
	d = deployOps(t, s)
	sub := d.one(t, typeSubscription)
	if str(t, sub, "protocol") != "email" || str(t, sub, "endpoint") != "ops@example.com" || str(t, sub, "topic") != d.alarmTopicArn {
		t.Errorf("subscription %v", sub.Inputs)
	}
}

func TestAlarms(t *testing.T) {
	s := infra.DefaultSettings()
	s.MetricsNamespace = "Team/Video"
	d := deployOps(t, s)
	if n := len(d.byType(typeAlarm)); n != 3 {
		t.Fatalf("%d alarms, want 3", n)
	}
	dlq := "video-dlq-1a2b3c"
	tests := []struct {
		name, namespace, metric, statistic, dimension, dimensionValue, missing string
		period                                                                 int
	}{
		{"video-dead-letter-jobs", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "QueueName", dlq, "ignore", 60},
		{"video-failed-jobs", "Team/Video", "JobsFailed", "Sum", "FunctionName", d.functionName, "notBreaching", 300},
		{"video-function-errors", "AWS/Lambda", "Errors", "Sum", "FunctionName", d.functionName, "notBreaching", 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := d.named(t, tt.name)
			if a.Type != typeAlarm {
				t.Fatalf("%s is a %s", tt.name, a.Type)
			}
			if str(t, a, "namespace") != tt.namespace || str(t, a, "metricName") != tt.metric || str(t, a, "statistic") != tt.statistic {
				t.Errorf("metric %s %s %s, want %s %s %s", str(t, a, "namespace"), str(t, a, "metricName"), str(t, a, "statistic"), tt.namespace, tt.metric, tt.statistic)
			}
			dims := obj(t, a, "dimensions")
			if len(dims) != 1 || dims[resource.PropertyKey(tt.dimension)].StringValue() != tt.dimensionValue {
				t.Errorf("dimensions %v, want %s=%s", dims, tt.dimension, tt.dimensionValue)
			}
			// Fires on the first job that did not produce a video.
			if a.Inputs["threshold"].NumberValue() != 1 || str(t, a, "comparisonOperator") != "GreaterThanOrEqualToThreshold" ||
				num(t, a, "evaluationPeriods") != 1 || num(t, a, "datapointsToAlarm") != 1 || num(t, a, "period") != tt.period {
				t.Errorf("threshold %v %s, %d of %d periods of %d s", a.Inputs["threshold"], str(t, a, "comparisonOperator"),
					num(t, a, "datapointsToAlarm"), num(t, a, "evaluationPeriods"), num(t, a, "period"))
			}
			if got := str(t, a, "treatMissingData"); got != tt.missing {
				t.Errorf("treatMissingData %q, want %q", got, tt.missing)
			}
			for _, key := range []string{"alarmActions", "okActions"} {
				if got := stringList(a.Inputs[resource.PropertyKey(key)]); !slices.Equal(got, []string{d.alarmTopicArn}) {
					t.Errorf("%s %v, want the alarm topic", key, got)
				}
			}
			if str(t, a, "alarmDescription") == "" {
				t.Error("no description telling the operator what to do")
			}
		})
	}
}

func TestDashboard(t *testing.T) {
	s := infra.DefaultSettings()
	s.MetricsNamespace = "Team/Video"
	d := deployOps(t, s)
	dash := d.one(t, typeDashboard)
	name := str(t, dash, "dashboardName")
	if name != "bedrock-video-pipeline-test-video" {
		t.Errorf("dashboard name %q", name)
	}
	want := "https://" + providerRegion + ".console.aws.amazon.com/cloudwatch/home?region=" + providerRegion + "#dashboards/dashboard/" + name
	if d.dashboardURL != want {
		t.Errorf("dashboardUrl %q, want %q", d.dashboardURL, want)
	}

	var body struct {
		Widgets []struct {
			Type       string `json:"type"`
			Width      int    `json:"width"`
			Height     int    `json:"height"`
			Properties struct {
				Title   string  `json:"title"`
				Region  string  `json:"region"`
				Stat    string  `json:"stat"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(str(t, dash, "dashboardBody")), &body); err != nil {
		t.Fatalf("dashboard body is not JSON: %v", err)
	}
	// Every metric line as "namespace metric dimension=value stat".
	var lines []string
	for _, w := range body.Widgets {
		if w.Type != "metric" || w.Properties.Region != providerRegion || w.Properties.Title == "" || w.Width <= 0 || w.Height <= 0 {
			t.Errorf("widget %+v", w)
		}
		for _, m := range w.Properties.Metrics {
			if len(m) < 4 {
				t.Errorf("metric line %v lacks its dimension", m)
				continue
			}
			stat := w.Properties.Stat
			if len(m) == 5 {
				if opts, ok := m[4].(map[string]any); ok && opts["stat"] != nil {
					stat = opts["stat"].(string)
				}
			}
			lines = append(lines, fmt.Sprintf("%v %v %v=%v %s", m[0], m[1], m[2], m[3], stat))
		}
	}
	fn := "FunctionName=" + d.functionName
	for _, want := range []string{
		"AWS/SQS ApproximateNumberOfMessagesVisible QueueName=video-jobs-1a2b3c Maximum",
		"AWS/SQS ApproximateAgeOfOldestMessage QueueName=video-jobs-1a2b3c Maximum",
		"AWS/SQS ApproximateNumberOfMessagesVisible QueueName=video-dlq-1a2b3c Maximum",
		"Team/Video JobsStarted " + fn + " Sum",
		"Team/Video JobsSucceeded " + fn + " Sum",
		"Team/Video JobsFailed " + fn + " Sum",
		"Team/Video WaitingForCapacity " + fn + " Sum",
		"Team/Video Redelivered " + fn + " Sum",
		"Team/Video GenerationSeconds " + fn + " p50",
		"Team/Video GenerationSeconds " + fn + " p90",
		"Team/Video DetectionDelaySeconds " + fn + " p50",
		"Team/Video DetectionDelaySeconds " + fn + " p90",
		"Team/Video ChecksPerJob " + fn + " Average",
		"Team/Video QuotaWaits " + fn + " Sum",
		"AWS/Lambda DurableExecutionStarted " + fn + " Sum",
		"AWS/Lambda DurableExecutionFailed " + fn + " Sum",
		"AWS/Lambda Invocations " + fn + " Sum",
		"AWS/Lambda Errors " + fn + " Sum",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("dashboard lacks %q; it has:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

func TestEventBusPermission(t *testing.T) {
	for _, bus := range []string{"default", "video-events"} {
		t.Run(bus, func(t *testing.T) {
			s := infra.DefaultSettings()
			s.EventBusName = bus
			d := deployOps(t, s)
			pol := d.named(t, "video-events-access")
			var doc policyDoc
			if err := json.Unmarshal([]byte(str(t, pol, "policy")), &doc); err != nil {
				t.Fatal(err)
			}
			// The bus is in the function's region, not the Bedrock region.
			wantBus := "arn:aws:events:" + providerRegion + ":" + testAccount + ":event-bus/" + bus
			if len(doc.Statement) != 1 || doc.Statement[0].Effect != "Allow" ||
				!slices.Equal(doc.Statement[0].Action, []string{"events:PutEvents"}) || !slices.Equal(doc.Statement[0].Resource, []string{wantBus}) {
				t.Errorf("policy %+v, want events:PutEvents on %s only", doc, wantBus)
			}
			fn := d.named(t, "video-handler")
			if got := functionEnv(t, fn)[config.EnvEventBus]; got != bus {
				t.Errorf("%s = %q, want %q", config.EnvEventBus, got, bus)
			}
			if !hasSuffixURN(fn.Dependencies, "video-events-access") {
				t.Error("the function does not wait for its event bus permission")
			}
		})
	}
}

func TestOperationsSettingsValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*infra.Settings)
		want string
	}{
		{"bus ARN", func(s *infra.Settings) { s.EventBusName = "arn:aws:events:us-east-1:123456789012:event-bus/x" }, "eventBusName: "},
		{"empty bus", func(s *infra.Settings) { s.EventBusName = "" }, "eventBusName: "},
		{"reserved namespace", func(s *infra.Settings) { s.MetricsNamespace = "AWS/Lambda" }, "metricsNamespace: namespace \"AWS/Lambda\" starts with AWS/"},
		{"bad email", func(s *infra.Settings) { s.AlarmEmail = "ops at example" }, "alarmEmail must be an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := infra.DefaultSettings()
			tt.edit(&s)
			if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
