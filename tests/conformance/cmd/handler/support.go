package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// event is the payload every requirement's execution receives: the
// fixture's Input under the key "Input".
type event[T any] struct {
	Input T `json:"Input"`
}

// runtimeOptions are the durable runtime options of every case.
func runtimeOptions() []durable.Option { return nil }

// caught reports whether err is the recorded failure of a durable
// operation, which workflow code may handle. Anything else (a suspension,
// a runtime failure) must be returned unchanged.
func caught(err error) bool {
	var opErr *durable.OperationError
	return errors.As(err, &opErr)
}

// replayLogs is the runtime option of the fixtures that check
// re-execution through logs (3-11, 3-17): they ask for "replay logging
// enabled", so Context.Logger also writes while the code replays.
var replayLogs = []durable.Option{durable.WithReplayLogMode(durable.ReplayLogEmit)}

// messageJSONHandler writes JSON log lines with the message under
// "message", as Lambda's structured logs and the fixtures name it.
func messageJSONHandler(w io.Writer) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.MessageKey {
				a.Key = "message"
			}
			return a
		},
	})
}

// crashGrace lets a START checkpoint that the runtime queued asynchronously
// (at-least-once steps) reach the service before a crash case exits, so the
// crash happens, as the fixtures say, after StepStarted was recorded.
const crashGrace = 300 * time.Millisecond

// crashOnce ends the process the first time it is called for an execution
// and returns nil on every later call (in a later process). It remembers
// the crash with a marker file in $CONFORMANCE_STATE_DIR.
func crashOnce(executionArn string) error {
	dir := os.Getenv(stateDirEnv)
	if dir == "" {
		return fmt.Errorf("crash case: %s is not set; it must name a directory that survives process restarts", stateDirEnv)
	}
	sum := sha256.Sum256([]byte(executionArn))
	marker := filepath.Join(dir, "crashed-"+hex.EncodeToString(sum[:8]))
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil // crashed before: carry on
	}
	if err != nil {
		return fmt.Errorf("crash case: create marker: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("crash case: close marker: %w", err)
	}
	time.Sleep(crashGrace)
	fmt.Fprintln(os.Stderr, "conformance handler: crashing on purpose (process exit)")
	os.Exit(1)
	return nil
}

// upperSerdes is JSON with every string value upper-cased on the way out
// (1-6).
type upperSerdes struct{}

// Serialize encodes v as JSON with all its strings upper-cased.
func (upperSerdes) Serialize(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("upper serdes: %w", err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return "", fmt.Errorf("upper serdes: %w", err)
	}
	out, err := json.Marshal(upperStrings(tree))
	if err != nil {
		return "", fmt.Errorf("upper serdes: %w", err)
	}
	return string(out), nil
}

// Deserialize decodes JSON.
func (upperSerdes) Deserialize(data string, target any) error {
	return durable.JSONSerdes{}.Deserialize(data, target)
}

func upperStrings(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ToUpper(x)
	case []any:
		for i := range x {
			x[i] = upperStrings(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = upperStrings(x[k])
		}
	}
	return v
}

// upperTextSerdes stores a string result as its upper-cased raw text, not
// JSON (3-14: the checkpoint payload is HELLO CHILD).
type upperTextSerdes struct{}

// Serialize upper-cases a string.
func (upperTextSerdes) Serialize(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("upper text serdes: want a string, got %T", v)
	}
	return strings.ToUpper(s), nil
}

// Deserialize stores the text as is.
func (upperTextSerdes) Deserialize(data string, target any) error {
	p, ok := target.(*string)
	if !ok {
		return fmt.Errorf("upper text serdes: want *string, got %T", target)
	}
	*p = data
	return nil
}

// base64Serdes stores a string as base64 text (6-11), so the checkpointed
// state is only readable through this serdes.
type base64Serdes struct{}

// Serialize encodes a string as base64.
func (base64Serdes) Serialize(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("base64 serdes: want a string, got %T", v)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

// Deserialize decodes base64 text into a *string.
func (base64Serdes) Deserialize(data string, target any) error {
	p, ok := target.(*string)
	if !ok {
		return fmt.Errorf("base64 serdes: want *string, got %T", target)
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return fmt.Errorf("base64 serdes: %w", err)
	}
	*p = string(b)
	return nil
}

// wrappedSerdes stores a string item as "wrapped:<string>" (9-14).
type wrappedSerdes struct{}

const wrappedPrefix = "wrapped:"

// Serialize prefixes a string.
func (wrappedSerdes) Serialize(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("wrapped serdes: want a string, got %T", v)
	}
	return wrappedPrefix + s, nil
}

// Deserialize strips the prefix.
func (wrappedSerdes) Deserialize(data string, target any) error {
	p, ok := target.(*string)
	if !ok {
		return fmt.Errorf("wrapped serdes: want *string, got %T", target)
	}
	s, ok := strings.CutPrefix(data, wrappedPrefix)
	if !ok {
		return fmt.Errorf("wrapped serdes: %q lacks the %q prefix", data, wrappedPrefix)
	}
	*p = s
	return nil
}

// opSerdes stores a whole map result of strings as "OPSERDE:" followed by
// the comma-joined results (9-19, 9-20). It keeps successful results only,
// which is all these requirements produce.
type opSerdes struct{}

const opPrefix = "OPSERDE:"

// Serialize encodes a durable.BatchResult[string].
func (opSerdes) Serialize(v any) (string, error) {
	r, ok := v.(durable.BatchResult[string])
	if !ok {
		return "", fmt.Errorf("op serdes: want durable.BatchResult[string], got %T", v)
	}
	if r.FailureCount() > 0 || r.CompletionReason != durable.AllCompleted {
		return "", fmt.Errorf("op serdes: only complete, successful batches are supported (%s, %d failed)", r.CompletionReason, r.FailureCount())
	}
	return opPrefix + strings.Join(r.Results(), ","), nil
}

// Deserialize rebuilds the batch result.
func (opSerdes) Deserialize(data string, target any) error {
	p, ok := target.(*durable.BatchResult[string])
	if !ok {
		return fmt.Errorf("op serdes: want *durable.BatchResult[string], got %T", target)
	}
	body, ok := strings.CutPrefix(data, opPrefix)
	if !ok {
		return fmt.Errorf("op serdes: %q lacks the %q prefix", data, opPrefix)
	}
	r := durable.BatchResult[string]{CompletionReason: durable.AllCompleted}
	if body != "" {
		for i, s := range strings.Split(body, ",") {
			r.Items = append(r.Items, durable.BatchItem[string]{Index: i, Status: durable.ItemSucceeded, Result: s})
		}
	}
	*p = r
	return nil
}
