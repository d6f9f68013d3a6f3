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

	"github.com/bedrockvideo/pipeline/handler/jobspec"
)

// inputsPrefix is where submit uploads a local input image in the
// pipeline's bucket; the job refers to it by S3 URI (a 1280×720 image is
// too large to travel inline in a 1 MiB SQS message once base64-encoded).
const inputsPrefix = "inputs/"

// maxImageBytes caps a local input image: Nova Reel reads images given by
// S3 URI of at most 25 MB (Amazon Nova user guide, image-to-video).
const maxImageBytes = 25_000_000

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c        commonFlags
		model    string
		duration int
		image    string
		bodyFile string
		wait     bool
		w        watchFlags
	)
	fs := newFlagSet("submit", commands()[0].args, &c, stderr)
	fs.StringVar(&model, "model", "", "Bedrock `model` id (default: the deployment's BEDROCK_MODEL_ID); one of "+strings.Join(jobspec.KnownModels(), ", "))
	fs.IntVar(&duration, "duration", 0, "video length in `seconds` (default: the model's shortest)")
	fs.StringVar(&image, "image", "", "first frame: a local PNG/JPEG `file` (uploaded to the bucket's inputs/) or an s3:// URI")
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
	if bodyFile != "" && (len(pos) > 0 || model != "" || duration != 0 || image != "") {
		return usageError(stderr, "submit", "--body sends a whole job body; leave out the prompt, --model, --duration and --image (put them in the file)")
	}
	if bodyFile == "" && len(pos) == 0 {
		return usageError(stderr, "submit", `give a prompt ("a red fox in the snow") or --body job.json`)
	}

	// Build and validate the job before touching AWS: a bad job costs
	// nothing and is refused with the field and the rule.
	var (
		body   string
		upload *inputImage
		err    error
	)
	if bodyFile != "" {
		body, err = readBodyFile(bodyFile)
	} else {
		body, upload, err = buildBody(pos[0], model, duration, image)
	}
	if err != nil {
		return fail(stderr, "submit", err)
	}
	job, err := jobspec.Parse(body, validationPolicy())
	if err != nil {
		return fail(stderr, "submit", fmt.Errorf("the job was not sent: %w", err))
	}

	p, err := connect(ctx, c, need{queue: true, bucket: true})
	if err != nil {
		return fail(stderr, "submit", err)
	}
	if upload != nil {
		uri, err := upload.put(ctx, p)
		if err != nil {
			return fail(stderr, "submit", explain(err))
		}
		body, err = withImageURI(body, uri)
		if err != nil {
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
		fmt.Fprintf(stderr, "videoctl submit: warning: job sent, but its request copy was not stored (the gallery will not show its prompt): %v\n", explain(err))
	}
	if c.json {
		writeJSON(stdout, map[string]any{"messageId": id, "queueUrl": p.target.QueueURL, "model": job.Model,
			"videoSeconds": job.VideoSeconds, "outputPrefix": "s3://" + p.target.Bucket + "/videos/" + id + "/"})
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

// validationPolicy is the model policy submit checks jobs against: any
// model the handler knows, the handler's default for jobs that name none.
// The deployment may allow fewer models (ALLOWED_MODEL_IDS); it refuses the
// others itself, without a Bedrock call.
func validationPolicy() jobspec.Models {
	return jobspec.Models{Default: jobspec.DefaultModel, Allowed: jobspec.KnownModels()}
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

// buildBody makes a job body from the prompt and flags. A local image is
// inlined for validation (so its content is checked) and returned for
// upload.
func buildBody(prompt, model string, duration int, image string) (string, *inputImage, error) {
	b := jobspec.Body{Prompt: prompt, Model: model}
	if duration != 0 {
		b.DurationSeconds = &duration
	}
	var upload *inputImage
	switch {
	case image == "":
	case strings.HasPrefix(image, "s3://"):
		b.Image = &jobspec.ImageBody{S3URI: image}
	default:
		img, err := readImage(image)
		if err != nil {
			return "", nil, err
		}
		upload = img
		b.Image = &jobspec.ImageBody{Bytes: base64.StdEncoding.EncodeToString(img.data), Format: img.format}
	}
	body, err := encodeBody(b)
	return body, upload, err
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

// inputImage is a local image to upload under inputs/.
type inputImage struct {
	data   []byte
	format string // "png" or "jpeg"
}

func readImage(name string) (*inputImage, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--image: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--image: reading %s: %w", name, err)
	}
	if len(data) > maxImageBytes {
		return nil, fmt.Errorf("--image: %s is larger than %d bytes, the limit for input images", name, maxImageBytes)
	}
	switch http.DetectContentType(data) {
	case "image/png":
		return &inputImage{data: data, format: "png"}, nil
	case "image/jpeg":
		return &inputImage{data: data, format: "jpeg"}, nil
	}
	return nil, fmt.Errorf("--image: %s is not a PNG or JPEG image", name)
}

// key names the upload by its content, so submitting the same image twice
// stores it once.
func (img *inputImage) key() string {
	sum := sha256.Sum256(img.data)
	ext := ".png"
	if img.format == "jpeg" {
		ext = ".jpg"
	}
	return inputsPrefix + hex.EncodeToString(sum[:16]) + ext
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
