package awsfake

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// OpSendMessage is the SQS operation name, for SQS.Inject.
const OpSendMessage = "SendMessage"

// SQSMaxMessageBytes is the largest SQS message body: "The maximum size is
// 1 MiB or 1,048,576 bytes" (Amazon SQS API Reference, SendMessage,
// MessageBody).
const SQSMaxMessageBytes = 1 << 20

// SQSMessage is a message the fake accepted.
type SQSMessage struct {
	MessageID    string
	Body         string
	DelaySeconds int
	SentAt       time.Time
}

// SQS is a fake of Amazon SQS's SendMessage speaking the AWS JSON 1.0
// protocol the AWS SDK for Go v2 uses (POST / with
// X-Amz-Target: AmazonSQS.SendMessage; errors as {"__type", "message"} with
// the query-compatible code in x-amzn-query-error, as described in the SQS
// developer guide, "Interpreting Amazon SQS JSON API responses"). It
// answers with the MD5 of the body, which the SDK checks.
type SQS struct {
	server *httptest.Server
	faults faults

	// Region and Account appear in queue URLs; requests must be signed for
	// Region.
	Region, Account string

	mu     sync.Mutex
	queues map[string][]SQSMessage // by queue URL
	calls  int
	onSend func(queueURL string, m SQSMessage)
}

// NewSQS starts a fake without queues; it is closed when the test (or
// anything else that runs cleanups) ends.
func NewSQS(t interface{ Cleanup(func()) }) *SQS {
	q := &SQS{Region: "us-east-1", Account: "123456789012", queues: map[string][]SQSMessage{}}
	q.server = httptest.NewServer(http.HandlerFunc(q.serve))
	t.Cleanup(q.server.Close)
	return q
}

// URL is the endpoint to give the client (AWS_ENDPOINT_URL_SQS).
func (q *SQS) URL() string { return q.server.URL }

// CreateQueue adds a standard queue and returns its URL in the form AWS
// gives it, https://sqs.<region>.amazonaws.com/<account>/<name>.
func (q *SQS) CreateQueue(name string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	url := fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", q.Region, q.Account, name)
	if _, ok := q.queues[url]; !ok {
		q.queues[url] = nil
	}
	return url
}

// Messages returns the messages sent to queueURL, oldest first.
func (q *SQS) Messages(queueURL string) []SQSMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]SQSMessage(nil), q.queues[queueURL]...)
}

// Calls counts the requests that reached the fake, answered or not.
func (q *SQS) Calls() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.calls
}

// OnSend calls f (outside the fake's lock) for every accepted message, so
// a test can play the consumer.
func (q *SQS) OnSend(f func(queueURL string, m SQSMessage)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.onSend = f
}

// Inject makes the next SendMessage calls answer with fs, in order. Fault
// codes are the JSON error names (e.g. "RequestThrottled",
// "QueueDoesNotExist").
func (q *SQS) Inject(fs ...Fault) { q.faults.add(OpSendMessage, fs...) }

type sendMessageRequest struct {
	QueueURL               string          `json:"QueueUrl"`
	MessageBody            *string         `json:"MessageBody"`
	DelaySeconds           *int            `json:"DelaySeconds"`
	MessageAttributes      json.RawMessage `json:"MessageAttributes"`
	MessageSystemAttrs     json.RawMessage `json:"MessageSystemAttributes"`
	MessageDeduplicationID *string         `json:"MessageDeduplicationId"`
	MessageGroupID         *string         `json:"MessageGroupId"`
}

func (q *SQS) serve(w http.ResponseWriter, r *http.Request) {
	q.mu.Lock()
	q.calls++
	q.mu.Unlock()
	target := r.Header.Get("X-Amz-Target")
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		writeSQSError(w, http.StatusBadRequest, "InvalidAction", "InvalidAction", "The JSON protocol takes POST / only, got "+r.Method+" "+r.URL.Path)
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.0":
		writeSQSError(w, http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", "Content-Type must be application/x-amz-json-1.0, got "+r.Header.Get("Content-Type"))
		return
	case target != "AmazonSQS."+OpSendMessage:
		writeSQSError(w, http.StatusBadRequest, "UnknownOperationException", "InvalidAction", "This fake serves only AmazonSQS.SendMessage, got "+target)
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		writeSQSError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "MissingClientTokenId", "Request is missing Authentication Token")
		return
	}
	if region, service := credentialScope(r.Header.Get("Authorization")); service != "sqs" || region != q.Region {
		// SQS checks the signature's scope: a client signing for another
		// region or service is refused.
		writeSQSError(w, http.StatusForbidden, "SignatureDoesNotMatch", "SignatureDoesNotMatch",
			fmt.Sprintf("Credential should be scoped to a valid region and service (%s, sqs), not '%s/%s'.", q.Region, region, service))
		return
	}
	if f, ok := q.faults.next(OpSendMessage); ok {
		if f.Network {
			dropConnection(w)
			return
		}
		writeSQSError(w, f.Status, f.Code, f.Code, f.Message)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeSQSError(w, http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", "could not read the request body")
		return
	}
	var req sendMessageRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		writeSQSError(w, http.StatusBadRequest, "SerializationException", "SerializationException", "malformed request body: "+err.Error())
		return
	}
	if code, query, msg, bad := checkSendMessage(req); bad {
		writeSQSError(w, http.StatusBadRequest, code, query, msg)
		return
	}
	q.mu.Lock()
	msgs, ok := q.queues[req.QueueURL]
	if !ok {
		q.mu.Unlock()
		writeSQSError(w, http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
		return
	}
	m := SQSMessage{MessageID: uuid4(), Body: *req.MessageBody, SentAt: time.Now().UTC()}
	if req.DelaySeconds != nil {
		m.DelaySeconds = *req.DelaySeconds
	}
	q.queues[req.QueueURL] = append(msgs, m)
	onSend := q.onSend
	q.mu.Unlock()
	sum := md5.Sum([]byte(m.Body))
	writeSQSJSON(w, http.StatusOK, map[string]string{
		"MessageId":        m.MessageID,
		"MD5OfMessageBody": hex.EncodeToString(sum[:]),
	})
	if onSend != nil {
		onSend(req.QueueURL, m)
	}
}

// checkSendMessage applies SendMessage's documented rules (Amazon SQS API
// Reference, SendMessage): a body of 1 character to 1 MiB made of the
// allowed Unicode characters, DelaySeconds 0–900, and no FIFO parameters on
// a standard queue.
func checkSendMessage(req sendMessageRequest) (code, query, msg string, bad bool) {
	invalid := func(m string) (string, string, string, bool) {
		return "InvalidParameterValue", "InvalidParameterValue", m, true
	}
	switch {
	case req.QueueURL == "":
		return "MissingParameter", "MissingParameter", "The request must contain the parameter QueueUrl.", true
	case req.MessageBody == nil || *req.MessageBody == "":
		return "MissingParameter", "MissingParameter", "The request must contain the parameter MessageBody.", true
	case len(*req.MessageBody) > SQSMaxMessageBytes:
		return invalid(fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", SQSMaxMessageBytes))
	case !validSQSText(*req.MessageBody):
		return "InvalidMessageContents", "InvalidMessageContents", "Invalid binary character in the message body.", true
	case req.DelaySeconds != nil && (*req.DelaySeconds < 0 || *req.DelaySeconds > 900):
		return invalid(fmt.Sprintf("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.", *req.DelaySeconds))
	case req.MessageGroupID != nil || req.MessageDeduplicationID != nil:
		return invalid("The request include parameter that is not valid for this queue type.")
	case len(req.MessageAttributes) > 0 || len(req.MessageSystemAttrs) > 0:
		return invalid("This fake does not model message attributes (the SDK would check their MD5).")
	}
	return "", "", "", false
}

// validSQSText reports whether s holds only the characters SQS accepts:
// #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF.
func validSQSText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9, r == 0xA, r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

func writeSQSJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/x-amz-json-1.0", v)
}

// writeSQSError writes an SQS JSON error: the shape name in __type and the
// query-compatible code in x-amzn-query-error, "<code>;Sender" for client
// errors and "<code>;Receiver" for server errors.
func writeSQSError(w http.ResponseWriter, status int, name, queryCode, message string) {
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("x-amzn-query-error", queryCode+";"+fault)
	writeSQSJSON(w, status, map[string]string{"__type": "com.amazonaws.sqs#" + name, "message": message})
}

// credentialScope reads region and service from a SigV4 Authorization
// header: "AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...".
func credentialScope(auth string) (region, service string) {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return "", ""
	}
	return parts[2], parts[3]
}

// uuid4 returns a random RFC 4122 version 4 UUID, the form of SQS message
// ids.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
