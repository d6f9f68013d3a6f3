package awsfake

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// S3 operation names, for Inject.
const (
	OpGetObject  = "GetObject"
	OpPutObject  = "PutObject"
	OpHeadObject = "HeadObject"
	// OpListObjectsV2 is GET /{bucket}?list-type=2.
	OpListObjectsV2 = "ListObjectsV2"
)

// Object is a stored S3 object.
type Object struct {
	Body         []byte
	ContentType  string
	ETag         string
	LastModified time.Time
}

// S3 is a fake of S3 object storage with path-style addressing
// (/{bucket}/{key}): PutObject (with If-None-Match: * conditional writes),
// GetObject and HeadObject, answering errors with S3's XML error body.
// Like S3 for a caller allowed s3:ListBucket, a missing key is 404 NoSuchKey;
// under a prefix passed to DenyList it is 403 AccessDenied instead, as S3
// answers a caller without s3:ListBucket.
type S3 struct {
	server *httptest.Server
	faults faults

	mu       sync.Mutex
	buckets  map[string]bool
	objects  map[string]Object // "bucket/key"
	denyList []string          // "bucket/prefix"
	puts     map[string]int
	events   s3Notifier

	// MaxListKeys caps ListObjectsV2 pages below the request's max-keys
	// (0: S3's own cap of 1000), to exercise pagination.
	MaxListKeys int
}

// NewS3 starts a fake holding the given (empty) buckets; it is closed when
// the test ends.
func NewS3(t interface{ Cleanup(func()) }, buckets ...string) *S3 {
	s := &S3{buckets: map[string]bool{}, objects: map[string]Object{}, puts: map[string]int{}}
	for _, b := range buckets {
		s.buckets[b] = true
	}
	s.server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.server.Close)
	return s
}

// URL is the endpoint to give the client (AWS_ENDPOINT_URL_S3).
func (s *S3) URL() string { return s.server.URL }

// Inject makes the next calls of op answer with fs, in order.
func (s *S3) Inject(op string, fs ...Fault) { s.faults.add(op, fs...) }

// DenyList makes missing keys under bucket/prefix answer 403 AccessDenied,
// as S3 does for a caller without s3:ListBucket.
func (s *S3) DenyList(bucket, prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyList = append(s.denyList, bucket+"/"+prefix)
}

// Put stores an object directly, as another writer (Bedrock, say) would;
// it is notified like a PutObject.
func (s *S3) Put(bucket, key string, body []byte, contentType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[bucket] = true
	obj := s.putLocked(bucket, key, body, contentType)
	s.objectCreated(bucket, key, obj, requestID())
}

func (s *S3) putLocked(bucket, key string, body []byte, contentType string) Object {
	sum := md5.Sum(body)
	obj := Object{
		Body:         append([]byte(nil), body...),
		ContentType:  contentType,
		ETag:         `"` + hex.EncodeToString(sum[:]) + `"`,
		LastModified: time.Now().UTC().Truncate(time.Second),
	}
	s.objects[bucket+"/"+key] = obj
	return obj
}

// Get returns a stored object.
func (s *S3) Get(bucket, key string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.objects[bucket+"/"+key]
	return obj, ok
}

// Keys lists the keys in bucket under prefix, sorted.
func (s *S3) Keys(bucket, prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.objects {
		if key, ok := strings.CutPrefix(k, bucket+"/"); ok && strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

// Puts counts successful PutObject calls for bucket/key.
func (s *S3) Puts(bucket, key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.puts[bucket+"/"+key]
}

func (s *S3) serve(w http.ResponseWriter, r *http.Request) {
	path, err := url.PathUnescape(r.URL.EscapedPath())
	if err != nil {
		writeXMLError(w, http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.", "")
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	var op string
	switch {
	case key == "" && r.Method == http.MethodGet && r.URL.Query().Has("list-type"):
		op = OpListObjectsV2
	case key == "" || len(r.URL.Query()) > 0 && r.URL.Query().Get("x-id") == "":
		writeXMLError(w, http.StatusNotImplemented, "NotImplemented", "This fake serves only PutObject, GetObject, HeadObject and ListObjectsV2 with path-style addressing.", "")
		return
	case r.Method == http.MethodPut:
		op = OpPutObject
	case r.Method == http.MethodGet:
		op = OpGetObject
	case r.Method == http.MethodHead:
		op = OpHeadObject
	default:
		writeXMLError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.", key)
		return
	}
	if r.Header.Get("Authorization") == "" {
		writeXMLError(w, http.StatusForbidden, "AccessDenied", "Access Denied", key)
		return
	}
	if f, ok := s.faults.next(op); ok {
		if f.Network {
			dropConnection(w)
			return
		}
		writeXMLError(w, f.Status, f.Code, f.Message, key)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.buckets[bucket] {
		writeXMLError(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", "")
		return
	}
	switch op {
	case OpListObjectsV2:
		s.listObjects(w, r, bucket)
	case OpPutObject:
		s.putObject(w, r, bucket, key)
	default:
		s.getObject(w, r, bucket, key, op == OpHeadObject)
	}
}

func (s *S3) putObject(w http.ResponseWriter, r *http.Request, bucket, key string) {
	body, err := readObjectBody(r)
	if err != nil {
		writeXMLError(w, http.StatusBadRequest, "IncompleteBody", err.Error(), key)
		return
	}
	if r.Header.Get("If-None-Match") == "*" {
		if _, exists := s.objects[bucket+"/"+key]; exists {
			writeXMLError(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", key)
			return
		}
	}
	obj := s.putLocked(bucket, key, body, r.Header.Get("Content-Type"))
	s.puts[bucket+"/"+key]++
	reqID := requestID()
	s.objectCreated(bucket, key, obj, reqID)
	w.Header().Set("ETag", obj.ETag)
	w.Header().Set("x-amz-request-id", reqID)
	w.WriteHeader(http.StatusOK)
}

func (s *S3) getObject(w http.ResponseWriter, _ *http.Request, bucket, key string, head bool) {
	obj, ok := s.objects[bucket+"/"+key]
	if !ok {
		status, code, msg := http.StatusNotFound, "NoSuchKey", "The specified key does not exist."
		for _, p := range s.denyList {
			if strings.HasPrefix(bucket+"/"+key, p) {
				status, code, msg = http.StatusForbidden, "AccessDenied", "Access Denied"
			}
		}
		if head {
			// HEAD answers carry no body: the SDK sees only the status.
			w.Header().Set("x-amz-request-id", requestID())
			w.WriteHeader(status)
			return
		}
		writeXMLError(w, status, code, msg, key)
		return
	}
	w.Header().Set("Content-Type", obj.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(obj.Body)))
	w.Header().Set("ETag", obj.ETag)
	w.Header().Set("Last-Modified", obj.LastModified.Format(http.TimeFormat))
	w.Header().Set("x-amz-request-id", requestID())
	w.WriteHeader(http.StatusOK)
	if !head {
		_, _ = w.Write(obj.Body)
	}
}

// readObjectBody reads a PutObject body, decoding the aws-chunked encoding
// the SDK uses for streaming uploads with trailing checksums.
func readObjectBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	chunked := strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	if !chunked {
		return raw, nil
	}
	return decodeAWSChunked(raw)
}

// decodeAWSChunked decodes "<hex size>[;ext]\r\n<data>\r\n ... 0\r\n
// <trailers>\r\n\r\n".
func decodeAWSChunked(raw []byte) ([]byte, error) {
	rd := bufio.NewReader(bytes.NewReader(raw))
	var out bytes.Buffer
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked body: reading chunk header: %w", err)
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		size, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("aws-chunked body: bad chunk size %q", sizeHex)
		}
		if size == 0 {
			return out.Bytes(), nil
		}
		if _, err := io.CopyN(&out, rd, size); err != nil {
			return nil, fmt.Errorf("aws-chunked body: short chunk: %w", err)
		}
		if _, err := rd.ReadString('\n'); err != nil {
			return nil, fmt.Errorf("aws-chunked body: missing chunk end: %w", err)
		}
	}
}

type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Key       string   `xml:"Key,omitempty"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// writeXMLError writes S3's error document.
func writeXMLError(w http.ResponseWriter, status int, code, message, key string) {
	id := requestID()
	body, _ := xml.Marshal(s3Error{Code: code, Message: message, Key: key, RequestID: id, HostID: "fake"})
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", id)
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
