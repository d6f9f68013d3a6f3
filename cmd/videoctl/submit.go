package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/videomodels"
)

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c        commonFlags
		spec     jobFlags
		bodyFile string
		wait     bool
		w        watchFlags
	)
	fs := newFlagSet("submit", commands()[0].args, &c, stderr)
	fs.StringVar(&spec.model, "model", "", "Bedrock `model` id (default "+videomodels.Default().ID+"); served today: "+strings.Join(servedModels(time.Now()), ", "))
	fs.IntVar(&spec.duration, "duration", 0, "video length in `seconds` (default: the model's shortest)")
	fs.StringVar(&spec.image, "image", "", "first frame: a PNG/JPEG `file`, sent inline (Luma Ray2 keyframe frame0), or an s3://<bucket>/"+config.InputPrefix+"... URI (Nova Reel)")
	fs.StringVar(&spec.endImage, "end-image", "", "last frame of a Luma Ray2 video: a PNG/JPEG `file`, sent inline")
	fs.StringVar(&bodyFile, "body", "", "send this job body `file` as is (\"-\": standard input) instead of building one from the prompt and flags")
	fs.BoolVar(&wait, "wait", false, "follow the job like videoctl watch until it ends")
	w.bind(fs)
	pos, code := parseArgs(fs, args, 0, 1, stderr)
	if code >= 0 {
		return code
	}
	if err := w.check(); err != nil {
		return usageError(stderr, "submit", "%v", err)
	}
	if bodyFile != "" && (len(pos) > 0 || spec != jobFlags{}) {
		return usageError(stderr, "submit", "--body sends a whole job body; leave out the prompt, --model, --duration, --image and --end-image (put them in the file)")
	}
	if bodyFile == "" && len(pos) == 0 {
		return usageError(stderr, "submit", `give a prompt ("a red fox in the snow") or --body job.json`)
	}
	t, err := resolveTarget(ctx, c, need{queue: true, bucket: true})
	if err != nil {
		return fail(stderr, "submit", err)
	}

	// Build and validate the job before any AWS call: a bad job costs
	// nothing and is refused with the field and the rule.
	var body string
	if bodyFile != "" {
		body, err = readBodyFile(bodyFile)
	} else {
		spec.prompt = pos[0]
		body, err = spec.build()
	}
	if err != nil {
		return fail(stderr, "submit", err)
	}
	job, err := validate(body, t.Bucket, time.Now())
	if err != nil {
		return fail(stderr, "submit", fmt.Errorf("the job was not sent: %w", err))
	}

	p, err := dial(ctx, t, c.region)
	if err != nil {
		return fail(stderr, "submit", err)
	}
	client, err := p.sqsClient()
	if err != nil {
		return fail(stderr, "submit", err)
	}
	out, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.target.QueueURL), MessageBody: aws.String(body)})
	if err != nil {
		err = fmt.Errorf("sending the job to %s: %w", p.target.QueueURL, explain(err))
		if maybeSent(err) {
			err = fmt.Errorf("%w\nThe job may have been queued all the same: check `videoctl list` before sending it again (each message is a paid video)", err)
		}
		return fail(stderr, "submit", err)
	}
	id := aws.ToString(out.MessageId)
	req := request{MessageID: id, Body: json.RawMessage(body), Model: job.Model, VideoSeconds: job.VideoSeconds, SentAt: time.Now().UTC()}
	if err := p.putRequest(ctx, req); err != nil {
		// The job is on its way; only the gallery's prompt is lost.
		fmt.Fprintf(stderr, "videoctl submit: warning: job sent, but its request copy was not stored (list and gallery will not show its prompt): %v\n", explain(err))
	}
	if c.json {
		writeJSON(stdout, map[string]any{"messageId": id, "queueUrl": p.target.QueueURL, "model": job.Model,
			"videoSeconds": job.VideoSeconds, "outputPrefix": "s3://" + p.target.Bucket + "/" + jobstore.MessagePrefix(id)})
	} else {
		fmt.Fprintln(stdout, id)
		if !wait {
			fmt.Fprintf(stderr, "Job sent (%s, %d s). Follow it with: videoctl watch %s\n", job.Model, job.VideoSeconds, id)
		}
	}
	if !wait {
		return exitOK
	}
	return watch(ctx, p, id, w, c.json, stdout, stderr)
}

// validate checks a job body with the handler's own rules, for any model
// the handler knows (the deployment may allow fewer, set by
// ALLOWED_MODEL_IDS; it refuses the others itself, without a Bedrock
// call), with the catalogue's default model for bodies that name none,
// and refuses models Bedrock no longer serves at now.
func validate(body, bucket string, now time.Time) (jobspec.Job, error) {
	policy := jobspec.Policy{Default: videomodels.Default().ID, Allowed: jobspec.KnownModels(), Bucket: bucket}
	job, err := jobspec.Parse(body, policy)
	if err != nil {
		return jobspec.Job{}, err
	}
	if m, ok := videomodels.Lookup(job.Model); ok && len(m.Regions) > 0 {
		if err := videomodels.Check(job.Model, m.Regions[0], now); err != nil {
			return jobspec.Job{}, &jobspec.InvalidJobError{Problems: []jobspec.Problem{{Field: "model", Rule: err.Error()}}}
		}
	}
	return job, nil
}

// servedModels are the catalogue's models Bedrock still serves at now.
func servedModels(now time.Time) []string {
	var ids []string
	for _, m := range videomodels.All() {
		if m.AvailableAt(now) {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// jobFlags are the job fields submit builds a body from.
type jobFlags struct {
	prompt, model   string
	duration        int
	image, endImage string
}

// build makes a job body from the flags. Local images travel inline (base64),
// as Luma Ray2 takes its keyframes, so validation checks their content.
func (f jobFlags) build() (string, error) {
	b := jobspec.Body{Prompt: f.prompt, Model: f.model}
	if f.duration != 0 {
		b.DurationSeconds = &f.duration
	}
	switch {
	case f.image == "":
	case strings.HasPrefix(f.image, "s3://"):
		b.Image = &jobspec.ImageBody{S3URI: f.image}
	default:
		img, err := readImage("--image", f.image)
		if err != nil {
			return "", err
		}
		b.Image = img
	}
	if f.endImage != "" {
		img, err := readImage("--end-image", f.endImage)
		if err != nil {
			return "", err
		}
		b.EndImage = img
	}
	return encodeBody(b)
}

func readBodyFile(name string) (string, error) {
	var (
		b   []byte
		err error
	)
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, jobspec.MaxBodyBytes+1))
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return "", fmt.Errorf("reading the job body: %w", err)
	}
	return string(b), nil
}

// encodeBody encodes a job body as the handler reads it, without HTML
// escaping so the prompt travels as typed.
func encodeBody(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encoding the job body: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// readImage reads a local PNG or JPEG image as an inline job image. Its
// base64 form must fit in the job body (1 MiB, the SQS maximum), which
// validation checks.
func readImage(flagName, name string) (*jobspec.ImageBody, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, jobspec.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", flagName, name, err)
	}
	if len(data) > jobspec.MaxBodyBytes*3/4 {
		return nil, fmt.Errorf("%s: %s is %d bytes or more; base64-encoded it cannot fit in a job body of at most %d bytes (the SQS limit)", flagName, name, len(data), jobspec.MaxBodyBytes)
	}
	format := ""
	switch http.DetectContentType(data) {
	case "image/png":
		format = jobspec.FormatPNG
	case "image/jpeg":
		format = jobspec.FormatJPEG
	default:
		return nil, fmt.Errorf("%s: %s is not a PNG or JPEG image", flagName, name)
	}
	return &jobspec.ImageBody{Bytes: base64.StdEncoding.EncodeToString(data), Format: format}, nil
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
