package durable

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
)

// replayFilter drops log records while the emitting context replays, so a
// line is written once, by the invocation that first runs the code; with
// emit it writes them marked replay=true instead.
type replayFilter struct {
	next      slog.Handler
	replaying func() bool
	emit      bool
}

func (h *replayFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *replayFilter) Handle(ctx context.Context, r slog.Record) error {
	if h.replaying() {
		if !h.emit {
			return nil
		}
		r = r.Clone()
		r.AddAttrs(replayAttr)
	}
	return h.next.Handle(ctx, r)
}

func (h *replayFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &replayFilter{next: h.next.WithAttrs(attrs), replaying: h.replaying, emit: h.emit}
}

func (h *replayFilter) WithGroup(name string) slog.Handler {
	return &replayFilter{next: h.next.WithGroup(name), replaying: h.replaying, emit: h.emit}
}

// defaultLogHandler writes JSON lines with the field names Lambda's
// structured logging uses (timestamp, level, message) at the level
// AWS_LAMBDA_LOG_LEVEL names, INFO by default.
func defaultLogHandler(w io.Writer) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: levelFromEnv(os.Getenv("AWS_LAMBDA_LOG_LEVEL")),
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				a.Key = "timestamp"
				a.Value = slog.StringValue(a.Value.Time().UTC().Format("2006-01-02T15:04:05.000Z"))
			case slog.MessageKey:
				a.Key = "message"
			}
			return a
		},
	})
}

func levelFromEnv(v string) slog.Level {
	switch strings.ToUpper(v) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}
