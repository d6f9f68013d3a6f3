package durabletest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// NewProcessRunner returns a Runner that runs the compiled durable function
// binary at path as Lambda would. Each Run serves the runner's Service over
// loopback HTTP (see Server), starts the binary with
// AWS_LAMBDA_RUNTIME_API and AWS_ENDPOINT_URL_LAMBDA pointing at it, fake
// static credentials, AWS_REGION, AWS_LAMBDA_FUNCTION_NAME and the other
// variables of the Lambda environment, plus WithEnv, and delivers the
// execution's invocations through the Runtime API. A process that exits
// during an invocation (a crash) fails that invocation with
// Runtime.ExitError and is restarted for the next one, as Lambda does; so
// is a process abandoned by WithCrashAfterCheckpoint (it is killed) or by
// the function timeout. The process's stdout and stderr are the run's Logs
// (and go to WithLogOutput). The process is stopped when Run returns.
//
// The process does not inherit this process's environment, except PATH and,
// when set, GOCOVERDIR; pass anything else with WithEnv.
//
// I and O only fix how the input is encoded and the result decoded (JSON);
// use json.RawMessage for raw JSON.
func NewProcessRunner[I, O any](path string, opts ...Option) *Runner[I, O] {
	r := newRunner[I, O](opts)
	r.start = func(ctx context.Context, env *runEnv) (invoker, error) {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("durabletest: function binary: %w", err)
		}
		srv, err := NewServer(r.service)
		if err != nil {
			return nil, err
		}
		return &processInvoker{path: abs, srv: srv, logs: env.logs, env: processEnv(srv, r.service, abs, r.cfg.env)}, nil
	}
	return r
}

// processEnv is the environment of a durable function process: what Lambda
// sets for a provided.al2023 function, pointed at srv, then extra.
func processEnv(srv *Server, svc *Service, binary string, extra []string) []string {
	c := svc.cfg
	env := lambdaEnviron(lambdaProcess{
		runtimeAPI: srv.Addr(),
		region:     c.region,
		name:       c.functionName,
		version:    c.qualifier,
		binary:     binary,
	})
	env = append(env, "AWS_ENDPOINT_URL_LAMBDA="+srv.URL())
	return append(env, extra...)
}

// lambdaProcess says where and as what a function process runs.
type lambdaProcess struct {
	runtimeAPI string // host:port of the Runtime API
	region     string
	name       string // function name
	version    string // $LATEST or a version or alias
	binary     string // absolute path of the bootstrap binary
}

// lambdaEnviron is what Lambda sets for a provided.al2023 function process,
// with test credentials, no instance metadata and no shared AWS
// configuration files (the machine's must not leak in); GOCOVERDIR is
// passed on so coverage of the function can be collected.
func lambdaEnviron(p lambdaProcess) []string {
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + p.runtimeAPI,
		"AWS_ACCESS_KEY_ID=AKIDDURABLETEST",
		"AWS_SECRET_ACCESS_KEY=durabletest-secret",
		"AWS_SESSION_TOKEN=durabletest-session",
		"AWS_REGION=" + p.region,
		"AWS_DEFAULT_REGION=" + p.region,
		"AWS_LAMBDA_FUNCTION_NAME=" + p.name,
		"AWS_LAMBDA_FUNCTION_VERSION=" + p.version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + p.name,
		"AWS_LAMBDA_LOG_STREAM_NAME=durabletest",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"_HANDLER=" + filepath.Base(p.binary),
		"LAMBDA_TASK_ROOT=" + filepath.Dir(p.binary),
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=" + os.Getenv("PATH"),
	}
	if v, ok := os.LookupEnv("GOCOVERDIR"); ok {
		env = append(env, "GOCOVERDIR="+v)
	}
	return env
}

// processInvoker runs invocations in a function process, starting it when
// needed and restarting it after it died.
type processInvoker struct {
	path string
	env  []string
	srv  *Server
	logs io.Writer

	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	mu      sync.Mutex
}

func (p *processInvoker) startProcess() error {
	cmd := exec.Command(p.path)
	cmd.Env = p.env
	cmd.Dir = filepath.Dir(p.path)
	cmd.Stdout = p.logs
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("durabletest: start %s: %w", p.path, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited = cmd, exited
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

func (p *processInvoker) running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill stops the process and waits for it.
func (p *processInvoker) kill() {
	if !p.running() {
		return
	}
	p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

func (p *processInvoker) exitError(requestID string) *wire.ErrorObject {
	if eo := p.srv.rt.takeInitError(); eo != nil {
		return eo
	}
	p.mu.Lock()
	err := p.waitErr
	p.mu.Unlock()
	reason := "Runtime exited without providing a reason"
	if err != nil {
		reason = "Runtime exited with error: " + strings.TrimSpace(err.Error())
	}
	return &wire.ErrorObject{ErrorType: "Runtime.ExitError", ErrorMessage: fmt.Sprintf("RequestId: %s Error: %s", requestID, reason)}
}

func (p *processInvoker) invoke(ctx context.Context, req invokeRequest) ([]byte, *wire.ErrorObject) {
	if !p.running() {
		if err := p.startProcess(); err != nil {
			return nil, &wire.ErrorObject{ErrorType: "Runtime.InvalidEntrypoint", ErrorMessage: err.Error()}
		}
	}
	inv := &rtInvocation{
		id:          req.requestID,
		payload:     req.payload,
		deadline:    req.deadline,
		functionArn: p.srv.service.FunctionArn(),
		outcome:     make(chan rtOutcome, 1),
	}
	p.srv.rt.enqueue(inv)
	defer p.srv.rt.cancel(inv.id)
	select {
	case o := <-inv.outcome:
		return o.out, o.err
	case <-p.exited:
		// A response posted just before the exit still counts.
		select {
		case o := <-inv.outcome:
			return o.out, o.err
		default:
		}
		return nil, p.exitError(req.requestID)
	case <-req.abandoned:
		p.kill()
		return nil, nil
	case <-ctx.Done():
		p.kill()
		return nil, &wire.ErrorObject{ErrorType: "Runner.Cancelled", ErrorMessage: ctx.Err().Error()}
	}
}

func (p *processInvoker) close() error {
	p.kill()
	return p.srv.Close()
}
