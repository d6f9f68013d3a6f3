package main

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/creack/pty"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
)

// TestProgressBarRedrawsInPlaceOnATerminal runs watch with a real
// pseudo-terminal as its standard output, as in a user's shell.
func TestProgressBarRedrawsInPlaceOnATerminal(t *testing.T) {
	w := newWorld(t)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 5})
	s := videoctl(t, "submit", "A kettle on a stove")
	if s.code != exitOK {
		t.Fatalf("submit: exit %d, stderr %s", s.code, s.stderr)
	}
	id := firstLine(s.stdout)

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	var screen bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = io.Copy(&screen, ptmx) }()

	r := videoctlTo(t, tty, "watch", id, "--interval", "100ms")
	tty.Close()
	wg.Wait()
	if r.code != exitOK {
		t.Fatalf("watch: exit %d, stderr %s", r.code, r.stderr)
	}
	out := screen.String()

	// Each redraw returns to the start of the line and erases it; the
	// generating line is drawn several times without a line break between
	// the draws.
	redraws := regexp.MustCompile(`\r\x1b\[Kgenerating \[[█░]{30}\] [^\r\n]*`).FindAllString(out, -1)
	if len(redraws) < 3 {
		t.Fatalf("want at least 3 in-place redraws of the progress bar, got %d in %q", len(redraws), out)
	}
	start := strings.Index(out, redraws[0])
	end := strings.LastIndex(out, redraws[len(redraws)-1])
	if between := out[start:end]; strings.Contains(between, "\n") {
		t.Errorf("the progress bar moved to a new line between redraws: %q", between)
	}
	if !strings.Contains(out, "video ready: s3://"+testBucket+"/videos/"+id+"/") {
		t.Errorf("terminal output lacks the video: %q", out)
	}
	if !strings.Contains(out, "started: Bedrock job arn:aws:bedrock:") {
		t.Errorf("terminal output lacks the started line: %q", out)
	}
}
