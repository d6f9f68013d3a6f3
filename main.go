// Command pipeline is the Pulumi program that deploys the Bedrock video
// pipeline: it reads the stack's settings, declares one VideoPipeline
// component and exports the values a user needs to send jobs and find
// results.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/infra"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		settings, err := infra.SettingsFromConfig(ctx)
		if err != nil {
			return err
		}
		p, err := infra.NewVideoPipeline(ctx, "video", &infra.VideoPipelineArgs{
			Settings: settings,
			Build:    infra.BuildOptions{Package: infra.DefaultHandlerPackage},
		})
		if err != nil {
			return err
		}
		ctx.Export("queueUrl", p.QueueURL)
		ctx.Export("deadLetterQueueUrl", p.DeadLetterQueueURL)
		ctx.Export("bucketName", p.BucketName)
		ctx.Export("functionName", p.FunctionName)
		ctx.Export("functionAliasArn", p.FunctionAliasArn)
		ctx.Export("alarmTopicArn", p.AlarmTopicArn)
		ctx.Export("dashboardUrl", p.DashboardURL)
		ctx.Export("notifierLogGroupName", p.NotifierLogGroupName)
		return nil
	})
}
