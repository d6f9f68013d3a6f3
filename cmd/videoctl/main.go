// Command videoctl submits prompts to the video pipeline and follows them
// to the finished video: submit, watch, get, list and gallery. It finds the
// pipeline's queue and bucket in the Pulumi stack outputs, or in flags and
// environment variables when Pulumi is not installed.
//
// Exit status: 0 on success (for watch and submit --wait: a video is
// ready), 1 when a command or the job failed, 2 for a usage error, 3 when
// --timeout expired with the job still running.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitTimeout = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one videoctl subcommand.
type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"submit", `"a prompt" [--model ID] [--duration S] [--image FILE] [--end-image FILE] | --body job.json  [--wait]`, "validate a job, send it to the queue and print its message id", runSubmit},
		{"watch", "<messageId> [--timeout D]", "follow a job until its video is ready or it failed", runWatch},
		{"get", "<messageId> [-o file.mp4]", "download a job's video", runGet},
		{"list", "[--limit N]", "show recent jobs with status, model, age and generation time", runList},
		{"gallery", "[-o page.html] [--limit N] [--expires D]", "write one self-contained HTML page of recent jobs with their videos", runGallery},
	}
}

// run executes videoctl with args (without the program name) and returns
// the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "videoctl: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `videoctl — send prompts to the Bedrock video pipeline and get the videos back.

Usage:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  videoctl %-8s %s\n", c.name, c.args)
	}
	fmt.Fprint(w, "\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every command takes:
  --stack NAME       Pulumi stack to read the outputs queueUrl and bucketName from
  --queue-url URL    job queue (default $VIDEOCTL_QUEUE_URL, else the stack output)
  --bucket NAME      output bucket (default $VIDEOCTL_BUCKET, else the stack output)
  --region REGION    region of the bucket and Bedrock (default $AWS_REGION or the AWS profile)
  --json             machine-readable output

Run "videoctl <command> --help" for a command's own flags.
Exit status: 0 success (a video for watch), 1 failure, 2 usage error, 3 --timeout expired.
`)
}

// commonFlags are the flags every command takes.
type commonFlags struct {
	stack    string
	queueURL string
	bucket   string
	region   string
	json     bool
}

// newFlagSet returns a flag set for a command with the common flags bound
// to c.
func newFlagSet(name, args string, c *commonFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.stack, "stack", "", "Pulumi `stack` to read the outputs from")
	fs.StringVar(&c.queueURL, "queue-url", "", "job queue `URL` (default $"+envQueueURL+", else the stack output queueUrl)")
	fs.StringVar(&c.bucket, "bucket", "", "output `bucket` (default $"+envBucket+", else the stack output bucketName)")
	fs.StringVar(&c.region, "region", "", "`region` of the bucket and Bedrock (default $AWS_REGION or the AWS profile's)")
	fs.BoolVar(&c.json, "json", false, "print JSON for scripts")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: videoctl %s %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterleaved parses args with fs, allowing flags after positional
// arguments ("submit 'a prompt' --wait"); it returns the positional ones.
// "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseArgs parses a command's arguments and checks the number of
// positional ones. A code of 0 or more is the exit status to stop with
// (help shown, or a usage error); -1 means go on.
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int, stderr io.Writer) (pos []string, code int) {
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, exitOK
	}
	if err != nil {
		return nil, exitUsage
	}
	if len(pos) < minPos || len(pos) > maxPos {
		want := fmt.Sprintf("%d", minPos)
		if maxPos != minPos {
			want = fmt.Sprintf("%d to %d", minPos, maxPos)
		}
		fmt.Fprintf(stderr, "videoctl %s: takes %s argument(s), got %d: %s\n", fs.Name(), want, len(pos), strings.Join(quoteAll(pos), " "))
		fs.Usage()
		return nil, exitUsage
	}
	return pos, -1
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// fail prints err for command name and returns exitFailed.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "videoctl %s: %v\n", name, err)
	return exitFailed
}

// usageError prints a usage problem and returns exitUsage.
func usageError(stderr io.Writer, name, format string, a ...any) int {
	fmt.Fprintf(stderr, "videoctl %s: %s\n", name, fmt.Sprintf(format, a...))
	return exitUsage
}
