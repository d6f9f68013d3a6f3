package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// maxImageBytes caps a local input image: Nova Reel reads images given by
// S3 URI of at most 25 MB (Amazon Nova user guide, image-to-video).
const maxImageBytes = 25_000_000

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c        commonFlags
		spec     jobFlags
		bodyFile string
		wait     bool
		w        watchFlags
	)
	fs := newFlagSet("submit", commands()[0].args, &c, stderr)
	fs.StringVar(&spec.model, "model", "", "Bedrock `model` id (default "+videomodels.Default().ID+"); one of "+strings.Join(jobspec.KnownModels(), ", "))
	fs.IntVar(&spec.duration, "duration", 0, "video length in `seconds` (default: the model's shortest)")
	fs.StringVar(&spec.image, "image", "", "first frame: a PNG/JPEG `file` (Nova Reel: uploaded to the bucket's "+config.InputPrefix+"; Luma Ray2: sent inline) or an s3://<bucket>/"+config.InputPrefix+"... URI")
	fs.StringVar(&spec.endImage, "end-image", "", "last frame of a Luma Ray2 video: a PNG/JPEG `file`, sent inline")
	fs.StringVar(&bodyFile, "body", "", "send this job body `file` as is (\"-\": standard input) instead of building one from the prompt and flags")
	fs.BoolVar(&wait, "wait", false, "follow the job like `videoctl watch` until it ends")
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
	var (
		body   string
		upload *inputImage
	)
	if bodyFile != "" {
		body, err = readBodyFile(bodyFile)
	} else {
		spec.prompt = pos[0]
		body, upload, err = spec.build()
	}
	if err != nil {
		return fail(stderr, "submit", err)
	}
	job, err := validate(body, t.Bucket, time.Now())
	if err != nil {
		return fail(stderr, "submit", fmt.Errorf("the job was not sent: %w", err))
	}
	if upload != nil && job.Model == jobspec.LumaRay2 {
		upload = nil // Luma Ray2 takes keyframes inline only.
	}

	p, err := dial(ctx, t, c.region)
	if err != nil {
		return fail(stderr, "submit", err)
	}
	if upload != nil {
		uri, err := upload.put(ctx, p)
		if err != nil {
			return fail(stderr, "submit", explain(err))
		}
		if body, err = withImageURI(body, uri); err != nil {
			return fail(stderr, "submit", err)
		}
	}
	client, err := p.sqsClient()
	if err != nil {
		return fail(stderr, "submit", err)
	}
	out, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.target.QueueURL), MessageBody: aws.String(body)})
	if err != nil {
		return fail(stderr, "submit", fmt.Errorf("sending the job to %s: %w", p.target.QueueURL, explain(err)))
	}
	id := aws.ToString(out.MessageId)
	req := request{MessageID: id, Body: json.RawMessage(body), Model: job.Model, VideoSeconds: job.VideoSeconds, SentAt: time.Now().UTC()}
	if err := p.putRequest(ctx, req); err != nil {
		// The job is on its way; only the gallery's prompt is lost.
		fmt.Fprintf(stderr, "videoctl submit: warning: job sent, but its request copy was not stored (list and gallery will not show its prompt): %v\n", explain(err))
	}
	if c.json {
		writeJSON(stdout, map[string]any{"messageId": id, "queueUrl": p.target.QueueURL, "model": job.Model,
			"videoSeconds": job.VideoSeconds, "outputPrefix": "s3://" + p.target.Bucket + "/" + jobstore.Prefix + id + "/"})
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

// jobFlags are the job fields submit builds a body from.
type jobFlags struct {
	prompt, model   string
	duration        int
	image, endImage string
}

// build makes a job body from the flags. Local images are inlined, so
// validation checks their content; a Nova Reel first frame is returned for
// upload as well.
func (f jobFlags) build() (string, *inputImage, error) {
	b := jobspec.Body{Prompt: f.prompt, Model: f.model}
	if f.duration != 0 {
		b.DurationSeconds = &f.duration
	}
	var upload *inputImage
	switch {
	case f.image == "":
	case strings.HasPrefix(f.image, "s3://"):
		b.Image = &jobspec.ImageBody{S3URI: f.image}
	default:
		img, err := readImage("--image", f.image)
		if err != nil {
			return "", nil, err
		}
		upload = img
		b.Image = img.inline()
	}
	if f.endImage != "" {
		img, err := readImage("--end-image", f.endImage)
		if err != nil {
			return "", nil, err
		}
		b.EndImage = img.inline()
	}
	body, err := encodeBody(b)
	return body, upload, err
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

// inputImage is a local input image. A Nova Reel first frame is uploaded
// under the bucket's input prefix and referred to by S3 URI (a 1280×720
// image is often too large to travel inline in a 1 MiB SQS message once
// base64-encoded); Luma Ray2 keyframes travel inline, as Bedrock takes
// them.
type inputImage struct {
	data   []byte
	format string // "png" or "jpeg"
}

func readImage(flagName, name string) (*inputImage, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", flagName, name, err)
	}
	if len(data) > maxImageBytes {
		return nil, fmt.Errorf("%s: %s is larger than %d bytes, the limit for input images", flagName, name, maxImageBytes)
	}
	switch http.DetectContentType(data) {
	case "image/png":
		return &inputImage{data: data, format: jobspec.FormatPNG}, nil
	case "image/jpeg":
		return &inputImage{data: data, format: jobspec.FormatJPEG}, nil
	}
	return nil, fmt.Errorf("%s: %s is not a PNG or JPEG image", flagName, name)
}

// inline is the image as base64 bytes in a job body.
func (img *inputImage) inline() *jobspec.ImageBody {
	return &jobspec.ImageBody{Bytes: base64.StdEncoding.EncodeToString(img.data), Format: img.format}
}

// key names the upload by its content, so submitting the same image twice
// stores it once.
func (img *inputImage) key() string {
	sum := sha256.Sum256(img.data)
	ext := ".png"
	if img.format == jobspec.FormatJPEG {
		ext = ".jpg"
	}
	return config.InputPrefix + hex.EncodeToString(sum[:16]) + ext
}

func (img *inputImage) put(ctx context.Context, p *pipeline) (string, error) {
	key := img.key()
	ctype := "image/" + img.format
	_, err := p.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(p.target.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(img.data), ContentLength: aws.Int64(int64(len(img.data))), ContentType: aws.String(ctype),
	})
	if err != nil {
		return "", fmt.Errorf("uploading the image to s3://%s/%s: %w", p.target.Bucket, key, err)
	}
	return "s3://" + p.target.Bucket + "/" + key, nil
}

// withImageURI replaces the inline image of a body by an S3 URI.
func withImageURI(body, uri string) (string, error) {
	var b jobspec.Body
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return "", fmt.Errorf("re-reading the job body: %w", err)
	}
	b.Image = &jobspec.ImageBody{S3URI: uri}
	return encodeBody(b)
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
