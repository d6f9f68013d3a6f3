package awsfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// Bedrock job statuses, as the API spells them.
const (
	StatusInProgress = "InProgress"
	StatusCompleted  = "Completed"
	StatusFailed     = "Failed"
)

// Operation names, for Inject.
const (
	OpStartAsyncInvoke = "StartAsyncInvoke"
	OpGetAsyncInvoke   = "GetAsyncInvoke"
	OpListAsyncInvokes = "ListAsyncInvokes"
)

// EndOfLifeMessage is what Bedrock answers, with ResourceNotFoundException,
// for a model version past its end of life (as reported from live accounts
// in 2026, e.g. issue 708 of
// aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws;
// the Bedrock "Model lifecycle" page says a model cannot be used after its
// end-of-life date).
const EndOfLifeMessage = "This model version has reached the end of its life. Please refer to the AWS documentation for more details."

// tokenPattern is the documented pattern of an async-invoke
// clientRequestToken (1–256 characters).
var tokenPattern = regexp.MustCompile(`^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$`)

// Lifecycle says how a new job progresses: it stays InProgress for
// InProgressChecks GetAsyncInvoke calls and then ends Completed, or Failed
// with FailureMessage when Fail is set. InProgressChecks < 0 keeps it
// InProgress until the test calls Complete or Fail.
type Lifecycle struct {
	InProgressChecks int
	Fail             bool
	FailureMessage   string
}

// Job is the fake's record of one asynchronous invocation.
type Job struct {
	InvocationArn  string
	ID             string
	Token          string
	ModelID        string
	ModelInput     json.RawMessage
	OutputS3URI    string
	Status         string
	FailureMessage string
	SubmitTime     time.Time
	EndTime        time.Time
	// Gets counts GetAsyncInvoke calls for this job.
	Gets      int
	lifecycle Lifecycle
	request   string // canonical request parameters, for idempotency
}

// Bedrock is a fake of the Bedrock Runtime asynchronous invocation API
// (POST /async-invoke, GET /async-invoke/{invocationArn}, GET
// /async-invoke) speaking restJson1 as aws-sdk-go-v2 does.
type Bedrock struct {
	server *httptest.Server
	faults faults

	// Region is the Bedrock region the fake plays (default: the catalogue's
	// default region); a catalogue model not served there is refused as
	// Bedrock refuses it. Region and Account appear in ARNs.
	Region, Account string
	// MaxPageSize caps ListAsyncInvokes pages below the client's
	// maxResults (0: no cap), to exercise pagination.
	MaxPageSize int

	mu         sync.Mutex
	jobs       map[string]*Job // by ARN
	order      []string        // ARNs in submission order
	byToken    map[string]string
	startCalls map[string]int // by token
	lifecycle  Lifecycle
	lifecycleF func(modelID string, input json.RawMessage) Lifecycle
	reject     func(modelID string, input json.RawMessage) (Fault, bool)
	models     []string
	output     *S3
	now        func() time.Time
	seq        int
	capacity   capacity // quota mode, see quota.go
}

// NewBedrock starts a fake that accepts the given model ids (any id when
// none are given); it is closed when the test ends. New jobs complete after
// two in-progress checks unless SetLifecycle says otherwise.
//
// Models of the catalogue (package videomodels) follow its rules at the
// fake's clock (SetClock; the real time by default): past its end of life
// a model is answered ResourceNotFoundException with EndOfLifeMessage, in a
// region that does not serve it ValidationException, and Luma Ray2 requests
// and Nova Reel requests are checked against their documented schemas.
func NewBedrock(t interface{ Cleanup(func()) }, models ...string) *Bedrock {
	b := &Bedrock{
		Region:     videomodels.DefaultRegion(),
		Account:    "123456789012",
		jobs:       map[string]*Job{},
		byToken:    map[string]string{},
		startCalls: map[string]int{},
		lifecycle:  Lifecycle{InProgressChecks: 2},
		models:     models,
		now:        func() time.Time { return time.Now().UTC() },
	}
	b.server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.server.Close)
	return b
}

// URL is the endpoint to give the client (AWS_ENDPOINT_URL_BEDROCK_RUNTIME).
func (b *Bedrock) URL() string { return b.server.URL }

// SetLifecycle sets how jobs started from now on progress.
func (b *Bedrock) SetLifecycle(l Lifecycle) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lifecycle = l
}

// SetLifecycleFunc decides the lifecycle of each new job from its request;
// it overrides SetLifecycle.
func (b *Bedrock) SetLifecycleFunc(f func(modelID string, input json.RawMessage) Lifecycle) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lifecycleF = f
}

// RejectStarts answers a StartAsyncInvoke call with the error fault f
// returns when it returns true, before any job is created (network faults
// are not supported here; use Inject).
func (b *Bedrock) RejectStarts(f func(modelID string, input json.RawMessage) (Fault, bool)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reject = f
}

// WriteOutputTo makes completed jobs write output.mp4 under their output
// URI into s, as Bedrock does.
func (b *Bedrock) WriteOutputTo(s *S3) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.output = s
}

// SetClock sets the fake's clock: submission and end times, and the date
// at which the catalogue decides whether a model is past its end of life.
func (b *Bedrock) SetClock(now func() time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.now = now
}

// ClockFrom returns a clock that reads start now and advances in real
// time, for tests that play at another date (for example before Nova
// Reel's end of life).
func ClockFrom(start time.Time) func() time.Time {
	base := time.Now()
	return func() time.Time { return start.Add(time.Since(base)).UTC() }
}

// Inject makes the next calls of op answer with fs, in order.
func (b *Bedrock) Inject(op string, fs ...Fault) { b.faults.add(op, fs...) }

// Complete ends job arn successfully.
func (b *Bedrock) Complete(arn string) { b.finish(arn, StatusCompleted, "") }

// Fail ends job arn with a failure message.
func (b *Bedrock) Fail(arn, message string) { b.finish(arn, StatusFailed, message) }

// StartCalls counts StartAsyncInvoke calls that carried token.
func (b *Bedrock) StartCalls(token string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.startCalls[token]
}

// TotalStartCalls counts all StartAsyncInvoke calls that reached the fake.
func (b *Bedrock) TotalStartCalls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.startCalls {
		n += c
	}
	return n
}

// Jobs returns copies of all jobs in submission order.
func (b *Bedrock) Jobs() []Job {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Job, 0, len(b.order))
	for _, arn := range b.order {
		out = append(out, *b.jobs[arn])
	}
	return out
}

// AddJob records a job as if started by another client, for tests of
// recovery by token.
func (b *Bedrock) AddJob(token, modelID, outputURI string, input json.RawMessage) Job {
	b.mu.Lock()
	defer b.mu.Unlock()
	return *b.create(token, modelID, outputURI, input, "preexisting")
}

func (b *Bedrock) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	var op string
	switch {
	case r.Method == http.MethodPost && path == "/async-invoke":
		op = OpStartAsyncInvoke
	case r.Method == http.MethodGet && path == "/async-invoke":
		op = OpListAsyncInvokes
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/async-invoke/"):
		op = OpGetAsyncInvoke
	default:
		writeJSONError(w, http.StatusNotFound, "UnknownOperationException", "no such operation: "+r.Method+" "+path)
		return
	}
	if r.Header.Get("Authorization") == "" {
		writeJSONError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	b.mu.Lock()
	b.settleTimed()
	b.mu.Unlock()
	fault, faulted := b.faults.next(op)
	if faulted && !fault.AfterServing {
		b.countFaultedStart(op, r)
		writeFault(w, fault)
		return
	}
	rec := httptest.NewRecorder()
	switch op {
	case OpStartAsyncInvoke:
		b.start(rec, r)
	case OpGetAsyncInvoke:
		b.get(rec, r, strings.TrimPrefix(path, "/async-invoke/"))
	case OpListAsyncInvokes:
		b.list(rec, r)
	}
	if faulted {
		writeFault(w, fault)
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// countFaultedStart counts a StartAsyncInvoke call that was answered with a
// fault before it was served.
func (b *Bedrock) countFaultedStart(op string, r *http.Request) {
	if op != OpStartAsyncInvoke {
		return
	}
	var req startRequest
	body, _ := readBody(r)
	if json.Unmarshal(body, &req) == nil {
		b.mu.Lock()
		b.startCalls[req.ClientRequestToken]++
		b.mu.Unlock()
	}
	r.Body = readCloser(body)
}

type startRequest struct {
	ClientRequestToken string          `json:"clientRequestToken"`
	ModelID            string          `json:"modelId"`
	ModelInput         json.RawMessage `json:"modelInput"`
	OutputDataConfig   struct {
		S3OutputDataConfig *struct {
			S3URI       string `json:"s3Uri"`
			KmsKeyID    string `json:"kmsKeyId,omitempty"`
			BucketOwner string `json:"bucketOwner,omitempty"`
		} `json:"s3OutputDataConfig"`
	} `json:"outputDataConfig"`
}

func (b *Bedrock) start(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "could not read the request body")
		return
	}
	var req startRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "malformed request body: "+err.Error())
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.startCalls[req.ClientRequestToken]++

	var obj map[string]any
	switch {
	case req.ClientRequestToken != "" && (len(req.ClientRequestToken) > 256 || !tokenPattern.MatchString(req.ClientRequestToken)):
		writeJSONError(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}", req.ClientRequestToken))
		return
	case req.ModelID == "":
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'modelId' failed to satisfy constraint: Member must not be null")
		return
	case json.Unmarshal(req.ModelInput, &obj) != nil || obj == nil:
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "modelInput must be a JSON object")
		return
	case req.OutputDataConfig.S3OutputDataConfig == nil || !strings.HasPrefix(req.OutputDataConfig.S3OutputDataConfig.S3URI, "s3://"):
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "outputDataConfig.s3OutputDataConfig.s3Uri must be an s3:// URI")
		return
	}
	if b.reject != nil {
		if f, ok := b.reject(req.ModelID, req.ModelInput); ok && !f.Network {
			writeFault(w, f)
			return
		}
	}
	if len(b.models) > 0 && !slices.Contains(b.models, req.ModelID) {
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "The provided model identifier is invalid.")
		return
	}
	if m, ok := videomodels.Lookup(req.ModelID); ok {
		switch {
		case !m.AvailableAt(b.now()):
			writeJSONError(w, http.StatusNotFound, "ResourceNotFoundException", EndOfLifeMessage)
			return
		case !m.ServedIn(b.Region):
			writeJSONError(w, http.StatusBadRequest, "ValidationException", "The provided model identifier is invalid.")
			return
		}
		var problem string
		switch m.ID {
		case videomodels.LumaRay2:
			problem = checkLumaInput(obj)
		default:
			problem = checkNovaInput(obj, m)
		}
		if problem != "" {
			writeJSONError(w, http.StatusBadRequest, "ValidationException", problem)
			return
		}
	}
	canonical := canonicalRequest(req.ModelID, obj, req.OutputDataConfig.S3OutputDataConfig.S3URI)
	if arn, ok := b.byToken[req.ClientRequestToken]; ok && req.ClientRequestToken != "" {
		if b.jobs[arn].request != canonical {
			writeJSONError(w, http.StatusBadRequest, "ConflictException", "The request conflicts with a previous request that used the same client request token with different parameters.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"invocationArn": arn})
		return
	}
	if f, refused := b.refuseStart(req.ModelID); refused {
		writeFault(w, f)
		return
	}
	job := b.create(req.ClientRequestToken, req.ModelID, req.OutputDataConfig.S3OutputDataConfig.S3URI, req.ModelInput, canonical)
	writeJSON(w, http.StatusOK, map[string]string{"invocationArn": job.InvocationArn})
}

// create records a new job; b.mu must be held.
func (b *Bedrock) create(token, modelID, outputURI string, input json.RawMessage, canonical string) *Job {
	b.seq++
	id := fmt.Sprintf("%012x", 0xa00000000000+b.seq)
	job := &Job{
		InvocationArn: fmt.Sprintf("arn:aws:bedrock:%s:%s:async-invoke/%s", b.Region, b.Account, id),
		ID:            id,
		Token:         token,
		ModelID:       modelID,
		ModelInput:    append(json.RawMessage(nil), input...),
		OutputS3URI:   outputURI,
		Status:        StatusInProgress,
		SubmitTime:    b.now(),
		lifecycle:     b.lifecycle,
		request:       canonical,
	}
	if b.lifecycleF != nil {
		job.lifecycle = b.lifecycleF(modelID, input)
	}
	b.jobs[job.InvocationArn] = job
	b.order = append(b.order, job.InvocationArn)
	if token != "" {
		b.byToken[token] = job.InvocationArn
	}
	b.created(job)
	return job
}

func canonicalRequest(modelID string, input map[string]any, outputURI string) string {
	out, _ := json.Marshal(map[string]any{"modelId": modelID, "modelInput": input, "s3Uri": outputURI})
	return string(out)
}

func (b *Bedrock) get(w http.ResponseWriter, _ *http.Request, escapedArn string) {
	arn, err := url.PathUnescape(escapedArn)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "invalid invocation ARN")
		return
	}
	b.mu.Lock()
	job, ok := b.jobs[arn]
	if !ok {
		b.mu.Unlock()
		writeJSONError(w, http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("Invocation %s was not found.", arn))
		return
	}
	job.Gets++
	if job.Status == StatusInProgress && job.lifecycle.InProgressChecks >= 0 && job.Gets > job.lifecycle.InProgressChecks {
		if job.lifecycle.Fail {
			b.finishLocked(job, StatusFailed, job.lifecycle.FailureMessage)
		} else {
			b.finishLocked(job, StatusCompleted, "")
		}
	}
	summary := b.summary(job)
	b.mu.Unlock()
	writeJSON(w, http.StatusOK, summary)
}

func (b *Bedrock) finish(arn, status, message string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if job, ok := b.jobs[arn]; ok {
		b.finishLocked(job, status, message)
	}
}

func (b *Bedrock) finishLocked(job *Job, status, message string) {
	job.Status = status
	job.FailureMessage = message
	job.EndTime = b.now()
	if status == StatusCompleted && b.output != nil {
		if bucket, prefix, ok := splitS3URI(job.OutputS3URI); ok {
			key := strings.TrimPrefix(strings.TrimSuffix(prefix, "/")+"/"+OutputKey(job.ModelID, job.ID), "/")
			b.output.Put(bucket, key, []byte("fake mp4 of "+job.InvocationArn), "video/mp4")
		}
	}
}

// OutputKey is where, under a job's output URI, the fake writes the video
// of a completed job: <invocationId>/output.mp4 for Amazon Nova Reel (Nova
// user guide); for other models, whose layout Bedrock does not document,
// a name that is deliberately not that, so only a reader that lists the
// output prefix finds it.
func OutputKey(modelID, invocationID string) string {
	if strings.HasPrefix(modelID, "amazon.nova-reel") {
		return invocationID + "/output.mp4"
	}
	return "generations/" + invocationID + "-video.mp4"
}

// summary renders a job as GetAsyncInvoke and ListAsyncInvokes do.
func (b *Bedrock) summary(job *Job) map[string]any {
	out := map[string]any{
		"invocationArn":    job.InvocationArn,
		"modelArn":         fmt.Sprintf("arn:aws:bedrock:%s::foundation-model/%s", b.Region, job.ModelID),
		"status":           job.Status,
		"submitTime":       timestamp(job.SubmitTime),
		"lastModifiedTime": timestamp(lastModified(job)),
		"outputDataConfig": map[string]any{"s3OutputDataConfig": map[string]any{"s3Uri": job.OutputS3URI}},
	}
	if job.Token != "" {
		out["clientRequestToken"] = job.Token
	}
	if !job.EndTime.IsZero() {
		out["endTime"] = timestamp(job.EndTime)
	}
	if job.FailureMessage != "" {
		out["failureMessage"] = job.FailureMessage
	}
	return out
}

func (b *Bedrock) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	maxResults := 10
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeJSONError(w, http.StatusBadRequest, "ValidationException", "maxResults must be between 1 and 1000")
			return
		}
		maxResults = n
	}
	if b.MaxPageSize > 0 {
		maxResults = min(maxResults, b.MaxPageSize)
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil {
			writeJSONError(w, http.StatusBadRequest, "ValidationException", "invalid nextToken")
			return
		}
		start = n
	}
	var after, before time.Time
	for name, dst := range map[string]*time.Time{"submitTimeAfter": &after, "submitTimeBefore": &before} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, "ValidationException", name+" must be a date-time")
				return
			}
			*dst = t
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var matched []*Job
	for _, arn := range b.order {
		job := b.jobs[arn]
		switch {
		case q.Get("statusEquals") != "" && job.Status != q.Get("statusEquals"):
		case !after.IsZero() && !job.SubmitTime.After(after):
		case !before.IsZero() && !job.SubmitTime.Before(before):
		default:
			matched = append(matched, job)
		}
	}
	if q.Get("sortOrder") != "Ascending" {
		slices.Reverse(matched)
	}
	end := min(start+maxResults, len(matched))
	start = min(start, end)
	summaries := make([]map[string]any, 0, end-start)
	for _, job := range matched[start:end] {
		summaries = append(summaries, b.summary(job))
	}
	out := map[string]any{"asyncInvokeSummaries": summaries}
	if end < len(matched) {
		out["nextToken"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	writeJSON(w, http.StatusOK, out)
}

func lastModified(job *Job) time.Time {
	if job.EndTime.After(job.SubmitTime) {
		return job.EndTime
	}
	return job.SubmitTime
}

// BedrockFault is the error Bedrock Runtime answers with code, with the
// HTTP status the API model gives that code.
func BedrockFault(code, message string) Fault {
	status := map[string]int{
		"AccessDeniedException":         http.StatusForbidden,
		"ConflictException":             http.StatusBadRequest,
		"InternalServerException":       http.StatusInternalServerError,
		"ResourceNotFoundException":     http.StatusNotFound,
		"ServiceQuotaExceededException": http.StatusBadRequest,
		"ServiceUnavailableException":   http.StatusServiceUnavailable,
		"ThrottlingException":           http.StatusTooManyRequests,
		"ValidationException":           http.StatusBadRequest,
	}[code]
	if status == 0 {
		status = http.StatusBadRequest
	}
	return Fault{Code: code, Status: status, Message: message}
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// writeJSON writes v as a restJson1 service's JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/json", v)
}

// writeJSONAs writes v as a JSON body of the given content type, with a
// request id as AWS services send it.
func writeJSONAs(w http.ResponseWriter, status int, contentType string, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSONError writes an error as AWS restJson1 services do: the code in
// X-Amzn-ErrorType (with the service namespace suffix Bedrock adds) and the
// message in the body.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("X-Amzn-ErrorType", code+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	writeJSON(w, status, map[string]string{"message": message})
}

func writeFault(w http.ResponseWriter, f Fault) {
	if f.Network {
		dropConnection(w)
		return
	}
	writeJSONError(w, f.Status, f.Code, f.Message)
}

func splitS3URI(uri string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, bucket != ""
}

func readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
}
