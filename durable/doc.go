// Package durable is a Go runtime for AWS Lambda durable functions.
//
// A durable function is an ordinary Lambda handler whose progress is
// checkpointed by the Lambda service. Every durable operation (a Step, a
// Wait, a WaitForCondition poll, a child context, a Map) is recorded; when
// the function has nothing to do but wait, the invocation ends with status
// PENDING and no compute is billed until the service invokes the function
// again. The new invocation replays the handler from the start: recorded
// operations return their recorded results without running again, and
// execution continues live where the previous invocation stopped.
//
// Start a handler from main:
//
//	func main() {
//		durable.Start(func(ctx durable.Context, in Order) (Receipt, error) {
//			id, err := durable.Step(ctx, "reserve", func(sc durable.StepContext) (string, error) {
//				return reserve(sc, in)
//			})
//			if err != nil {
//				return Receipt{}, err
//			}
//			if err := durable.Wait(ctx, "cool-off", 10*time.Minute); err != nil {
//				return Receipt{}, err
//			}
//			return Receipt{ReservationID: id}, nil
//		})
//	}
//
// Handlers must be deterministic between operations: see README.md for the
// rules. The protocol is specified in the project's durable-protocol
// reference; section numbers in comments refer to it.
package durable
