// Package jobspec turns the body of one SQS record into a validated video
// job: it decodes the JSON, applies the documented rules of the model the
// job runs on, and builds the model's request (the modelInput of Bedrock's
// StartAsyncInvoke). Every rejection names the field and the rule; nothing
// invalid ever reaches Bedrock.
package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// Body is the JSON document a record carries. Every field is optional at
// the decoding level; Parse enforces which are required for which model.
type Body struct {
	// Prompt describes the video (required unless Shots is given).
	Prompt string `json:"prompt,omitempty"`
	// DurationSeconds is the video length: Nova Reel 6, or 12–120 in steps
	// of 6 on amazon.nova-reel-v1:1; Luma Ray2 5 or 9.
	DurationSeconds *int `json:"durationSeconds,omitempty"`
	// Seed makes Nova Reel output reproducible (0–2,147,483,646).
	Seed *int64 `json:"seed,omitempty"`
	// Shots is a Nova Reel 1.1 manual multi-shot video, one entry per
	// 6-second shot.
	Shots []ShotBody `json:"shots,omitempty"`
	// Image is the first frame of an image-to-video job: Nova Reel's input
	// image, or Luma Ray2's keyframe frame0.
	Image *ImageBody `json:"image,omitempty"`
	// EndImage is the last frame of a Luma Ray2 video (keyframe frame1).
	EndImage *ImageBody `json:"endImage,omitempty"`
	// AspectRatio, Resolution and Loop are Luma Ray2 options.
	AspectRatio string `json:"aspectRatio,omitempty"`
	Resolution  string `json:"resolution,omitempty"`
	Loop        *bool  `json:"loop,omitempty"`
	// Model picks one of ALLOWED_MODEL_IDS instead of BEDROCK_MODEL_ID.
	Model string `json:"model,omitempty"`
}

// ShotBody is one shot of a manual multi-shot video.
type ShotBody struct {
	Prompt string     `json:"prompt"`
	Image  *ImageBody `json:"image,omitempty"`
}

// ImageBody is an input image: exactly one of S3URI
// (s3://<pipeline bucket>/inputs/<key>, Nova Reel only) or Bytes (standard
// base64), and its Format ("png" or "jpeg"; for S3URI it may be left out
// when the key ends in .png, .jpg or .jpeg).
type ImageBody struct {
	S3URI  string `json:"s3Uri,omitempty"`
	Bytes  string `json:"bytes,omitempty"`
	Format string `json:"format,omitempty"`
}

// Job is a validated video job.
type Job struct {
	// Model is the Bedrock model id the job runs on.
	Model string
	// Task is the request kind: one of the Task* constants.
	Task string
	// VideoSeconds is the length of the video that will be generated.
	VideoSeconds int
	// PromptChars is the total prompt length in characters (for logs, which
	// never carry the prompt itself).
	PromptChars int
	// Shots is the number of manual shots (0 unless Task is
	// TaskMultiShotManual).
	Shots int
	// HasImage reports whether any input image was given.
	HasImage bool
	// InputImages are the s3:// URIs of the images the job references
	// (all under the pipeline's input prefix); Bedrock reads them with the
	// function's identity.
	InputImages []string
	// MaxInputImageBytes is the model's size cap of an image referenced by
	// S3 URI.
	MaxInputImageBytes int64
	// ModelInput is the model's request document, ready for
	// StartAsyncInvoke.
	ModelInput json.RawMessage
}

// Parse decodes and validates one record body for the policy. It returns
// an *InvalidJobError listing every broken rule.
func Parse(body string, models Policy) (Job, error) {
	b, err := decode(body)
	if err != nil {
		return Job{}, err
	}
	var ps problems
	model, ok := models.resolve(b.Model, &ps)
	if !ok {
		return Job{}, ps.err()
	}
	var job Job
	m, _ := videomodels.Lookup(model)
	switch model {
	case NovaReelV10, NovaReelV11:
		job = novaJob(b, m, models, &ps)
	case LumaRay2:
		job = lumaJob(b, m, &ps)
	default:
		// Config validation keeps unknown models out of the policy; this is
		// the last line of defence.
		ps.add("model", fmt.Sprintf("model %q has no request format in this handler; supported: %s", model, strings.Join(KnownModels(), ", ")))
	}
	if err := ps.err(); err != nil {
		return Job{}, err
	}
	job.Model = model
	return job, nil
}

// decode reads body into a Body, turning decoder errors into Problems.
func decode(body string) (Body, error) {
	var b Body
	one := func(field, rule string) error {
		return &InvalidJobError{Problems: []Problem{{Field: field, Rule: rule}}}
	}
	if len(body) > MaxBodyBytes {
		return b, one("body", fmt.Sprintf("is %d bytes; the largest SQS message is %d bytes", len(body), MaxBodyBytes))
	}
	trimmed := strings.TrimSpace(body)
	if trimmed == "" {
		return b, one("body", `is empty; expected a JSON object such as {"prompt":"..."}`)
	}
	if !utf8.ValidString(body) {
		return b, one("body", "is not valid UTF-8")
	}
	if trimmed[0] != '{' {
		return b, one("body", `must be a JSON object such as {"prompt":"..."}`)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Body{}, decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Body{}, one("body", "has data after the JSON object")
	}
	return b, nil
}

// decodeProblem explains a json decoding error in terms of the body's
// fields.
func decodeProblem(err error) error {
	one := func(field, rule string) error {
		return &InvalidJobError{Problems: []Problem{{Field: field, Rule: rule}}}
	}
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return one("body", fmt.Sprintf("is not valid JSON (at byte %d: %s)", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: ")))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return one("body", "is not valid JSON (it ends early)")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return one(field, fmt.Sprintf("must be %s, got a JSON %s", expectedKind(field), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if name == "" {
			return one("body", "has a field with an empty name")
		}
		return one(name, "is not a known field; known fields: prompt, durationSeconds, seed, shots, image, endImage, aspectRatio, resolution, loop, model")
	}
	return one("body", "cannot be decoded: "+strings.TrimPrefix(err.Error(), "json: "))
}

// expectedKind describes the JSON type a field takes, for error messages.
func expectedKind(field string) string {
	last := field[strings.LastIndexByte(field, '.')+1:]
	switch last {
	case "durationSeconds", "seed":
		return "an integer"
	case "loop":
		return "true or false"
	case "shots":
		return `a list of {"prompt": ..., "image": ...} objects`
	case "image", "endImage":
		return `an object {"s3Uri" or "bytes", "format"}`
	case "body":
		return "a JSON object"
	}
	return "a string"
}

// checkPrompt applies the common prompt rules: present, not blank, at most
// max characters. It returns the length in characters.
func checkPrompt(field, prompt string, max int, ps *problems) int {
	n := utf8.RuneCountInString(prompt)
	switch {
	case prompt == "":
		ps.add(field, "is required")
	case strings.TrimSpace(prompt) == "":
		ps.add(field, "must not be blank")
	case n > max:
		ps.add(field, fmt.Sprintf("is %d characters; the limit is %d", n, max))
	}
	return n
}

// rejectFields adds a problem for every field of b that model does not
// support.
func rejectFields(b Body, model string, fields []string, ps *problems) {
	present := map[string]bool{
		"seed":        b.Seed != nil,
		"shots":       b.Shots != nil,
		"image":       b.Image != nil,
		"endImage":    b.EndImage != nil,
		"aspectRatio": b.AspectRatio != "",
		"resolution":  b.Resolution != "",
		"loop":        b.Loop != nil,
	}
	for _, f := range fields {
		if present[f] {
			ps.add(f, fmt.Sprintf("is not supported by %s; leave it out", model))
		}
	}
}

// marshal encodes a model request without HTML escaping, so prompts reach
// the model byte for byte. The request types hold only strings, numbers and
// booleans, so encoding cannot fail; should it ever, the job is rejected
// rather than sent half-built.
func marshal(v any, ps *problems) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		ps.add("body", "cannot be turned into a model request: "+err.Error())
		return nil
	}
	return json.RawMessage(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
