package infra

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/handler/metrics"
)

// dashboardNameInvalid matches what a dashboard name may not contain
// (CloudWatch API reference, PutDashboard: "A-Z, a-z, 0-9, -, and _",
// up to 255 characters).
var dashboardNameInvalid = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// dashboardName is the dashboard's name: project, stack and component, so
// stacks in one account do not collide.
func dashboardName(ctx *pulumi.Context, name string) string {
	n := dashboardNameInvalid.ReplaceAllString(ctx.Project()+"-"+ctx.Stack()+"-"+name, "-")
	if len(n) > 255 {
		n = n[:255]
	}
	return n
}

// dashboardWidget is a metric widget of a dashboard body (CloudWatch
// "Dashboard body structure and syntax").
type dashboardWidget struct {
	Type       string           `json:"type"`
	X          int              `json:"x"`
	Y          int              `json:"y"`
	Width      int              `json:"width"`
	Height     int              `json:"height"`
	Properties widgetProperties `json:"properties"`
}

type widgetProperties struct {
	Title   string  `json:"title"`
	Region  string  `json:"region"`
	View    string  `json:"view"`
	Stacked bool    `json:"stacked"`
	Stat    string  `json:"stat"`
	Period  int     `json:"period"`
	Metrics [][]any `json:"metrics"`
}

// dashboardInputs are the resolved names a dashboard body refers to.
type dashboardInputs struct {
	region, queue, deadLetterQueue, function, namespace string
}

// metricLine is one metric of a widget: namespace, name, dimension name
// and value, and rendering options.
func metricLine(namespace, metric, dimension, value string, opts map[string]any) []any {
	line := []any{namespace, metric, dimension, value}
	if len(opts) > 0 {
		line = append(line, opts)
	}
	return line
}

// dashboardBody renders the dashboard: the job queue, its dead-letter
// queue, jobs by outcome, generation time, detection delay, checks and
// quota waits, and the function's executions and invocations.
func dashboardBody(in dashboardInputs) (string, error) {
	ns, fn := in.namespace, in.function
	job := func(metric string, opts map[string]any) []any {
		return metricLine(ns, metric, metrics.DimFunctionName, fn, opts)
	}
	lambda := func(metric string, opts map[string]any) []any {
		return metricLine("AWS/Lambda", metric, "FunctionName", fn, opts)
	}
	label := func(l string) map[string]any { return map[string]any{"label": l} }
	stat := func(s, l string) map[string]any { return map[string]any{"stat": s, "label": l} }

	panels := []widgetProperties{
		{Title: "Job queue", Stat: "Maximum", Metrics: [][]any{
			metricLine("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", in.queue, label("waiting")),
			metricLine("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", in.queue, label("in progress")),
		}},
		{Title: "Age of the oldest waiting job (seconds)", Stat: "Maximum", Metrics: [][]any{
			metricLine("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", in.queue, label("oldest job")),
		}},
		{Title: "Dead-letter queue", Stat: "Maximum", Metrics: [][]any{
			metricLine("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", in.deadLetterQueue, label("dead-letter jobs")),
		}},
		{Title: "Jobs by outcome", Stat: "Sum", Metrics: [][]any{
			job(metrics.JobsStarted, label("started")),
			job(metrics.JobsSucceeded, label("succeeded")),
			job(metrics.JobsFailed, label("failed")),
			job(metrics.WaitingForCapacity, label("deferred for capacity")),
			job(metrics.Redelivered, label("redelivered without an outcome")),
		}},
		{Title: "Generation time (seconds)", Stat: "p50", Metrics: [][]any{
			job(metrics.GenerationSeconds, stat("p50", "p50")),
			job(metrics.GenerationSeconds, stat("p90", "p90")),
		}},
		{Title: "Detection delay (seconds from video ready to seen)", Stat: "p50", Metrics: [][]any{
			job(metrics.DetectionDelaySeconds, stat("p50", "p50")),
			job(metrics.DetectionDelaySeconds, stat("p90", "p90")),
			job(metrics.DetectionDelaySeconds, stat("Maximum", "max")),
		}},
		{Title: "Checks per job and quota waits", Stat: "Average", Metrics: [][]any{
			job(metrics.ChecksPerJob, stat("Average", "checks per job")),
			job(metrics.QuotaWaits, stat("Sum", "quota waits")),
		}},
		{Title: "Durable executions and invocations", Stat: "Sum", Metrics: [][]any{
			// Durable execution metrics: "Monitoring durable functions",
			// Lambda developer guide. Invocations count every replay.
			lambda("DurableExecutionStarted", label("executions started")),
			lambda("DurableExecutionSucceeded", label("executions succeeded")),
			lambda("DurableExecutionFailed", label("executions failed")),
			lambda("DurableExecutionTimedOut", label("executions timed out")),
			lambda("Invocations", label("invocations")),
			lambda("Errors", label("invocation errors")),
			lambda("Throttles", label("throttles")),
		}},
	}
	widgets := make([]dashboardWidget, 0, len(panels))
	for i, pr := range panels {
		pr.Region, pr.View, pr.Period = in.region, "timeSeries", 300
		widgets = append(widgets, dashboardWidget{Type: "metric", X: (i % 2) * 12, Y: (i / 2) * 6, Width: 12, Height: 6, Properties: pr})
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	if err != nil {
		return "", fmt.Errorf("encoding dashboard body: %w", err)
	}
	return string(b), nil
}

// consoleHost is the AWS console's host name for a partition.
func consoleHost(partition string) string {
	switch partition {
	case "aws-cn":
		return "console.amazonaws.cn"
	case "aws-us-gov":
		return "console.amazonaws-us-gov.com"
	}
	return "console.aws.amazon.com"
}

// declareDashboard creates the CloudWatch dashboard in the function's
// region and sets DashboardURL to its console address.
func (p *VideoPipeline) declareDashboard(ctx *pulumi.Context, name string, s Settings, parent pulumi.ResourceOption) error {
	region := arnPart(p.Queue.Arn, 3)
	body := pulumi.All(region, queueName(p.Queue.Arn), queueName(p.DeadLetterQueue.Arn), p.Function.Name).ApplyT(func(v []any) (string, error) {
		return dashboardBody(dashboardInputs{
			region: v[0].(string), queue: v[1].(string), deadLetterQueue: v[2].(string),
			function: v[3].(string), namespace: s.MetricsNamespace,
		})
	}).(pulumi.StringOutput)
	dn := dashboardName(ctx, name)
	dash, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(dn),
		DashboardBody: body,
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring dashboard: %w", err)
	}
	p.Dashboard = dash
	p.DashboardURL = pulumi.All(arnPart(p.Queue.Arn, 1), region, dash.DashboardName).ApplyT(func(v []any) string {
		r := v[1].(string)
		return fmt.Sprintf("https://%s.%s/cloudwatch/home?region=%s#dashboards/dashboard/%s", r, consoleHost(v[0].(string)), r, v[2].(string))
	}).(pulumi.StringOutput)
	return nil
}
