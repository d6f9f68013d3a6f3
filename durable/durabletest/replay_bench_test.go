package durabletest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
	"github.com/bedrockvideo/pipeline/internal/gotoolchain"
)

// replaySteps is the history size of the process-level replay benchmark.
const replaySteps = 1000

// BenchmarkProcessReplay1000Steps measures one replay invocation of an
// execution whose 1,000 steps completed and whose wait has fired, as Lambda
// runs it: a compiled function process, kept warm between invocations,
// receives the invocation through the Runtime API served by Server, reads
// the operations the payload's first page leaves out with
// GetDurableExecutionState over HTTP, replays, and posts its response. The
// time per operation runs from handing the invocation to the Runtime API
// to receiving the response; preparing each execution's history is not
// timed.
//
// cpu-ms/op is the CPU time the function process used per replay, which
// other load on the machine inflates less than the wall time; peak-RSS-MiB
// is the process's peak resident memory (VmHWM).
//
// Sub-benchmark "runtime" runs testdata/replay (package durable);
// "floor" runs testdata/replayfloor, a hand-written client that only makes
// the same calls, to show what the exchange itself costs.
func BenchmarkProcessReplay1000Steps(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc to read the process's peak memory")
	}
	dir := b.TempDir()
	runtimeBin := buildBench(b, dir, "replay")
	floorBin := buildBench(b, dir, "replayfloor")
	updates := recordedReplayHistory(b, runtimeBin)

	for _, bc := range []struct{ name, bin string }{{"runtime", runtimeBin}, {"floor", floorBin}} {
		b.Run(bc.name, func(b *testing.B) {
			svc := NewService()
			p := newBenchProcess(b, svc, bc.bin)
			replay := func() {
				e := seedReplay(b, svc, updates)
				p.replay(b, e)
				info, err := svc.Execution(e.arn)
				if err != nil {
					b.Fatal(err)
				}
				if info.Status != StatusSucceeded || info.Result != strconv.Itoa(replaySteps) {
					b.Fatalf("replay ended %s with result %q, error %+v", info.Status, info.Result, info.Error)
				}
			}
			replay() // the first invocation of a process is a cold start
			cpu0 := p.cpuTime(b)
			b.ResetTimer()
			for range b.N {
				replay()
			}
			b.ReportMetric(float64(p.cpuTime(b)-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(p.peakRSS(b))/(1<<20), "peak-RSS-MiB")
		})
	}
}

// buildBench compiles testdata/<name> into dir the way a function is built
// for provided.al2023 (see the README), for this machine's architecture.
func buildBench(b *testing.B, dir, name string) string {
	b.Helper()
	out := filepath.Join(dir, name, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", out, "./testdata/"+name)
	cmd.Env = append(gotoolchain.Environ(os.Environ()), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build testdata/%s: %v\n%s", name, err, msg)
	}
	return out
}

// benchProcess is one warm function process behind a Server.
type benchProcess struct {
	svc *Service
	inv *processInvoker
}

func newBenchProcess(b *testing.B, svc *Service, bin string) *benchProcess {
	b.Helper()
	srv, err := NewServer(svc)
	if err != nil {
		b.Fatal(err)
	}
	inv := &processInvoker{path: bin, srv: srv, logs: io.Discard, env: processEnv(srv, svc, bin, nil)}
	b.Cleanup(func() { inv.close() })
	return &benchProcess{svc: svc, inv: inv}
}

// replay invokes the process once for e; only the invocation, from
// handing it to the Runtime API to receiving the response, is timed.
func (p *benchProcess) replay(b *testing.B, e *execution) {
	b.Helper()
	p.svc.mu.Lock()
	in, invn := e.beginInvocation()
	p.svc.mu.Unlock()
	payload, err := json.Marshal(in)
	if err != nil {
		b.Fatal(err)
	}
	req := invokeRequest{arn: e.arn, requestID: invn.requestID, payload: payload, deadline: time.Now().Add(time.Minute), abandoned: invn.abandoned}
	b.StartTimer()
	out, invErr := p.inv.invoke(context.Background(), req)
	b.StopTimer()
	if _, err := p.svc.CompleteInvocation(e.arn, out, invErr); err != nil {
		b.Fatal(err)
	}
	if invErr != nil {
		b.Fatalf("invocation failed: %+v", invErr)
	}
}

// cpuTime returns the CPU time (user and system) the process has used,
// from /proc/<pid>/stat in clock ticks of 10 ms.
func (p *benchProcess) cpuTime(b *testing.B) time.Duration {
	b.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.inv.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the parenthesized command name: state is field 3, utime
	// and stime are fields 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		b.Fatalf("/proc/<pid>/stat: %q", stat)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("/proc/<pid>/stat: %q", stat)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// peakRSS reads the process's VmHWM.
func (p *benchProcess) peakRSS(b *testing.B) int64 {
	b.Helper()
	if !p.inv.running() {
		b.Fatal("the function process is not running")
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.inv.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

// recordedReplayHistory runs the first invocation of testdata/replay for
// real (1,000 live steps, then the wait suspends it) and returns the
// updates that rebuild the same history in a new execution.
func recordedReplayHistory(b *testing.B, bin string) []wire.OperationUpdate {
	b.Helper()
	svc := NewService()
	p := newBenchProcess(b, svc, bin)
	e := svc.startExecution(execConfig{}, strconv.Itoa(replaySteps))
	p.replay(b, e)
	ops, err := svc.Operations(e.arn)
	if err != nil {
		b.Fatal(err)
	}
	var updates []wire.OperationUpdate
	for _, op := range ops {
		switch {
		case op.Type == wire.TypeExecution:
		case op.Type == wire.TypeStep && op.Status == wire.StatusSucceeded:
			updates = append(updates,
				wire.OperationUpdate{Id: op.Id, Name: op.Name, Type: op.Type, SubType: op.SubType, Action: wire.ActionStart},
				wire.OperationUpdate{Id: op.Id, Name: op.Name, Type: op.Type, SubType: op.SubType, Action: wire.ActionSucceed, Payload: op.StepDetails.Result})
		case op.Type == wire.TypeWait && op.Status == wire.StatusStarted:
			updates = append(updates, wire.OperationUpdate{Id: op.Id, Name: op.Name, Type: op.Type, SubType: op.SubType, Action: wire.ActionStart, WaitOptions: &wire.WaitOptions{WaitSeconds: 1}})
		default:
			b.Fatalf("unexpected operation after the first invocation: %+v", op)
		}
	}
	if len(updates) != 2*replaySteps+1 {
		b.Fatalf("the first invocation recorded %d updates' worth of operations, want %d", len(updates), 2*replaySteps+1)
	}
	return updates
}

// seedReplay starts an execution holding the recorded history, ends its
// first invocation PENDING and fires the wait, so the next invocation is
// a pure replay.
func seedReplay(b *testing.B, svc *Service, updates []wire.OperationUpdate) *execution {
	b.Helper()
	e := svc.startExecution(execConfig{}, strconv.Itoa(replaySteps))
	in, err := svc.StartInvocation(e.arn)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Checkpoint(context.Background(), wire.CheckpointRequest{DurableExecutionArn: e.arn, CheckpointToken: in.CheckpointToken, Updates: updates}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CompleteInvocation(e.arn, []byte(`{"Status":"PENDING"}`), nil); err != nil {
		b.Fatal(err)
	}
	if more, err := svc.Advance(e.arn); err != nil || !more {
		b.Fatalf("advance: %v, %v", more, err)
	}
	return e
}
