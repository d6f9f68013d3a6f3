package durabletest

// NewProcessRunner returns a Runner that runs the compiled durable function
// binary at path as Lambda would. Each Run serves the runner's Service over
// loopback HTTP (see Server), starts the binary with
// AWS_LAMBDA_RUNTIME_API and AWS_ENDPOINT_URL_LAMBDA pointing at it, fake
// static credentials, AWS_REGION, AWS_LAMBDA_FUNCTION_NAME and the other
// variables of the Lambda environment, plus WithEnv, and delivers the
// execution's invocations through the Runtime API. A process that exits
// during an invocation (a crash) fails that invocation and is restarted for
// the next one, as Lambda does. The process's stdout and stderr are the
// run's Logs. The process is stopped when Run returns.
//
// I and O only fix how the input is encoded and the result decoded (JSON);
// use json.RawMessage for raw JSON.
func NewProcessRunner[I, O any](path string, opts ...Option) *Runner[I, O] {
	panic("not implemented")
}
