package awsfake

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// listResult is S3's ListObjectsV2 answer (ListBucketResult).
type listResult struct {
	XMLName               xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string        `xml:"Name"`
	Prefix                string        `xml:"Prefix"`
	KeyCount              int           `xml:"KeyCount"`
	MaxKeys               int           `xml:"MaxKeys"`
	IsTruncated           bool          `xml:"IsTruncated"`
	EncodingType          string        `xml:"EncodingType,omitempty"`
	ContinuationToken     string        `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string        `xml:"NextContinuationToken,omitempty"`
	StartAfter            string        `xml:"StartAfter,omitempty"`
	Contents              []listContent `xml:"Contents"`
}

type listContent struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

// listObjects serves ListObjectsV2 as S3 does for a general purpose bucket:
// keys in UTF-8 binary order, at most max-keys (1000 at most) a page, a
// continuation token for the rest, 403 under a prefix given to DenyList.
// Delimiters (common prefixes) are not supported. s.mu is held.
func (s *S3) listObjects(w http.ResponseWriter, r *http.Request, bucket string) {
	q := r.URL.Query()
	if q.Get("list-type") != "2" {
		writeXMLError(w, http.StatusBadRequest, "InvalidArgument", "Invalid List Type specified", "")
		return
	}
	if q.Get("delimiter") != "" {
		writeXMLError(w, http.StatusNotImplemented, "NotImplemented", "This fake does not support delimiter.", "")
		return
	}
	prefix := q.Get("prefix")
	for _, p := range s.denyList {
		if strings.HasPrefix(bucket+"/"+prefix, p) {
			writeXMLError(w, http.StatusForbidden, "AccessDenied", "Access Denied", "")
			return
		}
	}
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeXMLError(w, http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range", "")
			return
		}
		maxKeys = min(n, 1000)
	}
	pageSize := maxKeys
	if s.MaxListKeys > 0 {
		pageSize = min(pageSize, s.MaxListKeys)
	}
	after := q.Get("start-after")
	token := q.Get("continuation-token")
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(raw), "after:") {
			writeXMLError(w, http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect", "")
			return
		}
		after = strings.TrimPrefix(string(raw), "after:")
	}
	var keys []string
	for k := range s.objects {
		if key, ok := strings.CutPrefix(k, bucket+"/"); ok && strings.HasPrefix(key, prefix) && key > after {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	out := listResult{Name: bucket, Prefix: prefix, MaxKeys: maxKeys, ContinuationToken: token, StartAfter: q.Get("start-after")}
	if len(keys) > pageSize {
		keys = keys[:pageSize]
		out.IsTruncated = true
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte("after:" + keys[len(keys)-1]))
	}
	encode := func(v string) string { return v }
	if q.Get("encoding-type") == "url" {
		out.EncodingType = "url"
		encode = func(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }
		out.Prefix = encode(out.Prefix)
	}
	for _, key := range keys {
		obj := s.objects[bucket+"/"+key]
		out.Contents = append(out.Contents, listContent{
			Key: encode(key), LastModified: obj.LastModified.Format("2006-01-02T15:04:05.000Z"),
			ETag: obj.ETag, Size: len(obj.Body), StorageClass: "STANDARD",
		})
	}
	out.KeyCount = len(out.Contents)
	body, _ := xml.Marshal(out)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", requestID())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}
