package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// Polling defaults. Each poll reads result.json (and job.json until the job
// is started), and calls GetAsyncInvoke while Bedrock works: at 5 s that is
// well under a request per second, for a job that takes minutes.
const (
	defaultInterval = 5 * time.Second
	minInterval     = 100 * time.Millisecond
	defaultTimeout  = 30 * time.Minute
	// redraw is how often a terminal's progress bar is refreshed between
	// polls.
	redraw = time.Second
)

// watchFlags are the flags of watch (and submit --wait).
type watchFlags struct {
	interval time.Duration
	timeout  time.Duration
}

func (w *watchFlags) bind(fs *flag.FlagSet) {
	fs.DurationVar(&w.interval, "interval", defaultInterval, "time between status checks")
	fs.DurationVar(&w.timeout, "timeout", defaultTimeout, "give up (exit status 3) when the job has not ended after this `duration`")
}

func (w *watchFlags) check() error {
	if w.interval < minInterval {
		return fmt.Errorf("--interval must be at least %s, got %s", minInterval, w.interval)
	}
	if w.timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", w.timeout)
	}
	return nil
}

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c commonFlags
		w watchFlags
	)
	fs := newFlagSet("watch", commands()[1].args, &c, stderr)
	w.bind(fs)
	pos, code := parseArgs(fs, args, 1, 1, stderr)
	if code >= 0 {
		return code
	}
	if err := w.check(); err != nil {
		return usageError(stderr, "watch", "%v", err)
	}
	if err := checkMessageID(pos[0]); err != nil {
		return usageError(stderr, "watch", "%v", err)
	}
	p, err := connect(ctx, c, need{bucket: true})
	if err != nil {
		return fail(stderr, "watch", err)
	}
	return watch(ctx, p, pos[0], w, c.json, stdout, stderr)
}

// watch follows job id until it ends or w.timeout passes, showing its
// progress on stdout: JSON lines with asJSON, a progress bar redrawn in
// place on a terminal, plain lines otherwise. It returns exitOK only for a
// video.
func watch(ctx context.Context, p *pipeline, id string, w watchFlags, asJSON bool, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	var r renderer
	switch {
	case asJSON:
		r = &jsonRenderer{w: stdout}
	case isTerminal(stdout):
		r = &barRenderer{w: stdout}
	default:
		r = &lineRenderer{w: stdout}
	}
	seconds, sentByVideoctl := 0, false
	if req, found, err := p.loadRequest(ctx, id); err == nil && found {
		seconds, sentByVideoctl = req.VideoSeconds, true
	}

	poll := time.NewTicker(w.interval)
	defer poll.Stop()
	tick := time.NewTicker(redraw)
	defer tick.Stop()
	var last snapshot
	for {
		now := time.Now()
		s, err := p.probe(ctx, id, true, now)
		if err != nil {
			if ctx.Err() != nil {
				return stopped(ctx, r, last, id, stderr)
			}
			r.finish()
			return fail(stderr, "watch", err)
		}
		if s.Model != "" {
			s.TypicalSeconds = typical(s.Model, seconds).Seconds()
		}
		if s.Phase == phaseQueued && !sentByVideoctl && s.Note == "" {
			s.Note = "nothing is recorded for this id in s3://" + p.target.Bucket + "/" + jobstore.Prefix + " yet; if you did not just send it, check the id with `videoctl list`"
		}
		if last.InvocationArn == "" && s.InvocationArn != "" && s.Phase != phaseStarted && !s.final() {
			// Show the Bedrock job once, even when the first look already
			// finds it generating.
			started := s
			started.Phase = phaseStarted
			r.update(started, now)
		}
		r.update(s, now)
		last = s
		if s.final() {
			r.finish()
			if s.Phase == phaseSucceeded {
				return exitOK
			}
			return exitFailed
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return stopped(ctx, r, last, id, stderr)
			case <-poll.C:
				break wait
			case t := <-tick.C:
				r.tick(last, t)
			}
		}
	}
}

// stopped reports a watch ended by its timeout or an interrupt.
func stopped(ctx context.Context, r renderer, last snapshot, id string, stderr io.Writer) int {
	r.finish()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "videoctl watch: gave up waiting: job %s is still %s; run `videoctl watch %s` again later\n", id, last.Phase, id)
		return exitTimeout
	}
	fmt.Fprintf(stderr, "videoctl watch: stopped; the job goes on: `videoctl watch %s`\n", id)
	return exitFailed
}
