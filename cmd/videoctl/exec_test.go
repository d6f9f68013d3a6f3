package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/internal/gotoolchain"
)

// TestBuiltBinary builds videoctl and runs it as a user would: help, then
// a job from submit to a downloaded video, configured only through the
// environment.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "videoctl")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Env = gotoolchain.Environ(os.Environ())
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	w := newWorld(t)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 2})
	exe := func(args ...string) (string, string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = os.Environ()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatalf("running %v: %v", args, err)
		}
		return stdout.String(), stderr.String(), code
	}

	help, _, code := exe("--help")
	for _, cmd := range []string{"submit", "watch", "get", "list", "gallery"} {
		if code != 0 || !strings.Contains(help, "videoctl "+cmd) {
			t.Errorf("--help (exit %d) does not show %s:\n%s", code, cmd, help)
		}
	}
	out, errOut, code := exe("submit", "A paper boat on a rainy street", "--wait", "--interval", "100ms")
	if code != exitOK || !strings.Contains(out, "video ready: s3://") {
		t.Fatalf("submit --wait: exit %d\n%s\n%s", code, out, errOut)
	}
	video := filepath.Join(t.TempDir(), "boat.mp4")
	if _, errOut, code := exe("get", firstLine(out), "-o", video); code != exitOK {
		t.Fatalf("get: exit %d, %s", code, errOut)
	}
	if data, err := os.ReadFile(video); err != nil || len(data) == 0 {
		t.Errorf("no video downloaded: %v", err)
	}
	if _, errOut, code := exe("submit", ""); code != exitFailed || !strings.Contains(errOut, "prompt: is required") {
		t.Errorf("empty prompt: exit %d, stderr %q", code, errOut)
	}
}
