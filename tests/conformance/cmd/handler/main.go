// Command handler is the durable function the conformance suite runs: one
// Go handler per requirement of the suites step (1-x), wait (2-x), child
// (3-x), callback (4-x), invoke (5-x), wait_for_condition (6-x),
// wait_for_callback (7-x), parallel (8-x) and map (9-x), chosen at
// start-up by the environment variable CASE (CASE=6-1), and started with
// durable.Start under aws-lambda-go exactly like a deployed function.
//
// CASE=bench-replay-<N> runs N steps that each return their index, waits
// one second and returns N, so the second invocation replays N completed
// operations; time it from outside to measure replay cost.
//
// The crash requirements (1-17, 1-18, 3-12) end the process with os.Exit
// inside a step. They remember that they already crashed with a marker file
// in the directory named by CONFORMANCE_STATE_DIR, one file per execution.
package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/bedrockvideo/pipeline/durable"
)

// stateDirEnv names the directory where crash cases keep their markers.
const stateDirEnv = "CONFORMANCE_STATE_DIR"

// benchPrefix starts the replay benchmark case ids.
const benchPrefix = "bench-replay-"

// caseHandler is one case's durable handler.
type caseHandler interface {
	// start runs the handler as this process's Lambda function; it does
	// not return.
	start()
	// wrap returns the raw invocation handler, for running the case
	// in-process; opts follow the case's own options.
	wrap(opts ...durable.Option) durable.RawHandler
}

// typedCase is a caseHandler for a typed durable handler with its own
// runtime options.
type typedCase[I, O any] struct {
	h    durable.Handler[I, O]
	opts []durable.Option
}

func (c typedCase[I, O]) start() { durable.Start(c.h, c.options()...) }

func (c typedCase[I, O]) wrap(opts ...durable.Option) durable.RawHandler {
	return durable.Wrap(c.h, append(c.options(), opts...)...)
}

func (c typedCase[I, O]) options() []durable.Option {
	return append(runtimeOptions(), c.opts...)
}

// handle makes a caseHandler of a typed durable handler.
func handle[I, O any](h durable.Handler[I, O]) caseHandler { return typedCase[I, O]{h: h} }

// handleWith makes a caseHandler of a typed durable handler run with opts.
func handleWith[I, O any](opts []durable.Option, h durable.Handler[I, O]) caseHandler {
	return typedCase[I, O]{h: h, opts: opts}
}

// cases maps each requirement id to its handler.
var cases = map[string]caseHandler{}

// register adds the cases of one suite; ids must be new.
func register(suite map[string]caseHandler) {
	for id, s := range suite {
		if _, dup := cases[id]; dup {
			panic("conformance handler: case " + id + " registered twice")
		}
		cases[id] = s
	}
}

func init() {
	register(stepCases)
	register(waitCases)
	register(childCases)
	register(conditionCases)
	register(mapCases)
	register(callbackCases)
	register(waitForCallbackCases)
	register(parallelCases)
	register(invokeCases)
}

// lookup returns the handler for a CASE value.
func lookup(id string) (caseHandler, error) {
	if s, ok := cases[id]; ok {
		return s, nil
	}
	if n, ok := strings.CutPrefix(id, benchPrefix); ok {
		count, err := strconv.Atoi(n)
		if err != nil || count < 0 {
			return nil, fmt.Errorf("CASE=%s: want %s<N> with N a non-negative integer", id, benchPrefix)
		}
		return handle(benchReplay(count)), nil
	}
	ids := make([]string, 0, len(cases))
	for k := range cases {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	if id == "" {
		return nil, fmt.Errorf("CASE is not set; set it to a requirement id (%s) or %s<N>", strings.Join(ids, " "), benchPrefix)
	}
	return nil, fmt.Errorf("CASE=%s: unknown case; known: %s and %s<N>", id, strings.Join(ids, " "), benchPrefix)
}

func main() {
	h, err := lookup(os.Getenv("CASE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance handler:", err)
		os.Exit(2)
	}
	h.start()
}
