package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// renderer shows a watched job's progress.
type renderer interface {
	// update shows a fresh snapshot.
	update(s snapshot, now time.Time)
	// tick lets a live display advance its clock between polls.
	tick(s snapshot, now time.Time)
	// finish ends the display.
	finish()
}

// isTerminal reports whether w is a terminal that can redraw a line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// describe is the one-line text of a snapshot, without the progress bar.
func describe(s snapshot) string {
	switch s.Phase {
	case phaseQueued:
		return "queued: no Bedrock job yet, waiting in the queue or for Bedrock capacity"
	case phaseStarted:
		return "started: Bedrock job " + s.InvocationArn
	case phaseGenerating:
		return "generating with " + s.Model + ": " + elapsedText(s)
	case phaseFinishing:
		return "finishing: Bedrock is done, waiting for the pipeline to record the result"
	case phaseWaiting:
		return "waiting: the pipeline reports " + s.PipelineStatus
	case phaseSucceeded:
		return "video ready: " + s.VideoURI + tookText(s)
	case phaseFailed:
		if s.Error != nil {
			return "failed: " + s.Error.Type + ": " + s.Error.Message + tookText(s)
		}
		return "failed" + tookText(s)
	}
	return s.Phase
}

func elapsedText(s snapshot) string {
	text := fmtDuration(time.Duration(s.ElapsedSeconds * float64(time.Second)))
	if s.TypicalSeconds > 0 {
		text += " of a typical " + fmtDuration(time.Duration(s.TypicalSeconds*float64(time.Second)))
	}
	return text
}

func tookText(s snapshot) string {
	if s.ElapsedSeconds <= 0 {
		return ""
	}
	return " (took " + fmtDuration(time.Duration(s.ElapsedSeconds*float64(time.Second))) + ")"
}

// fmtDuration prints whole seconds: "45s", "1m30s", "1h2m0s".
func fmtDuration(d time.Duration) string { return d.Round(time.Second).String() }

// lineRenderer prints a line when the job changes phase, and while it is
// generating at most one a minute: readable in logs and CI.
type lineRenderer struct {
	w         io.Writer
	lastPhase string
	lastNote  string
	lastLine  time.Time
}

func (r *lineRenderer) update(s snapshot, now time.Time) {
	changed := s.Phase != r.lastPhase
	if changed || (s.Phase == phaseGenerating && now.Sub(r.lastLine) >= time.Minute) {
		fmt.Fprintf(r.w, "%s %s\n", now.UTC().Format("15:04:05"), describe(s))
		r.lastPhase, r.lastLine = s.Phase, now
	}
	if s.Note != "" && s.Note != r.lastNote {
		fmt.Fprintf(r.w, "%s note: %s\n", now.UTC().Format("15:04:05"), s.Note)
	}
	r.lastNote = s.Note
}

func (r *lineRenderer) tick(snapshot, time.Time) {}
func (r *lineRenderer) finish()                  {}

// jsonRenderer prints the snapshot as a JSON line whenever it changes in
// anything but elapsed time; the last line is the outcome.
type jsonRenderer struct {
	w    io.Writer
	last string
}

func (r *jsonRenderer) update(s snapshot, _ time.Time) {
	key := s.Phase + "|" + s.BedrockStatus + "|" + s.PipelineStatus + "|" + s.Note
	if key == r.last {
		return
	}
	r.last = key
	writeJSON(r.w, s)
}

func (r *jsonRenderer) tick(snapshot, time.Time) {}
func (r *jsonRenderer) finish()                  {}

// barRenderer redraws one status line in place ("\r" and erase to end of
// line) with a progress bar while the job generates; each finished phase
// stays on its own line.
type barRenderer struct {
	w         io.Writer
	lastPhase string
	polledAt  time.Time
	open      bool // a line is being redrawn
}

// barWidth is the progress bar's width in cells.
const barWidth = 30

func (r *barRenderer) update(s snapshot, now time.Time) {
	if r.open && s.Phase != r.lastPhase {
		// Keep the finished phase's last state on screen.
		fmt.Fprint(r.w, "\n")
		r.open = false
	}
	r.lastPhase, r.polledAt = s.Phase, now
	r.draw(s, 0)
}

func (r *barRenderer) tick(s snapshot, now time.Time) {
	if s.Phase == phaseGenerating || s.Phase == phaseStarted {
		r.draw(s, now.Sub(r.polledAt))
	}
}

func (r *barRenderer) draw(s snapshot, since time.Duration) {
	if s.final() {
		fmt.Fprintf(r.w, "\r\x1b[K%s\n", describe(s))
		r.open = false
		return
	}
	line := describe(s)
	if s.Phase == phaseGenerating {
		s.ElapsedSeconds += since.Seconds()
		line = "generating " + bar(s.ElapsedSeconds, s.TypicalSeconds) + " " + elapsedText(s)
		if s.TypicalSeconds > 0 && s.ElapsedSeconds > s.TypicalSeconds {
			line += ", longer than usual"
		}
	}
	if s.Note != "" {
		line += " (" + s.Note + ")"
	}
	fmt.Fprintf(r.w, "\r\x1b[K%s", line)
	r.open = true
}

func (r *barRenderer) finish() {
	if r.open {
		fmt.Fprint(r.w, "\n")
		r.open = false
	}
}

// bar draws elapsed against typical; it stops one cell short of full
// until the job has ended, since typical is not a promise.
func bar(elapsed, typical float64) string {
	filled := barWidth - 1
	if typical > 0 {
		filled = min(int(elapsed/typical*barWidth), barWidth-1)
	}
	filled = max(filled, 0)
	return "[" + strings.Repeat("█", filled) + strings.Repeat("░", barWidth-filled) + "]"
}
