package durabletest

import (
	"context"
	"strconv"
	"testing"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// BenchmarkServiceCheckpoint measures the service's side of one step: a
// START + SUCCEED checkpoint, in an execution that already holds 1,000
// operations (the cost must not grow with the log).
func BenchmarkServiceCheckpoint(b *testing.B) {
	svc := NewService()
	arn := svc.StartExecution("bench", "{}")
	in, _ := svc.StartInvocation(arn)
	token := in.CheckpointToken
	ctx := context.Background()
	cp := func(id string) {
		resp, err := svc.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: token, Updates: []wire.OperationUpdate{
			{Id: id, Name: "step", Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: wire.ActionStart},
			{Id: id, Name: "step", Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: wire.ActionSucceed, Payload: "42"},
		}})
		if err != nil {
			b.Fatal(err)
		}
		token = resp.CheckpointToken
	}
	for i := range 1000 {
		cp("pre" + strconv.Itoa(i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		cp(strconv.Itoa(i))
	}
}
