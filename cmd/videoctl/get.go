package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c   commonFlags
		out string
	)
	fs := newFlagSet("get", commands()[2].args, &c, stderr)
	fs.StringVar(&out, "o", "", "write the video to this `file` (default <messageId>.mp4; \"-\": standard output)")
	pos, code := parseArgs(fs, args, 1, 1, stderr)
	if code >= 0 {
		return code
	}
	id := pos[0]
	if err := checkMessageID(id); err != nil {
		return usageError(stderr, "get", "%v", err)
	}
	if out == "" {
		out = id + ".mp4"
	}
	if out == "-" && c.json {
		return usageError(stderr, "get", "-o - writes the video to standard output; it cannot also print JSON there")
	}
	p, err := connect(ctx, c, need{bucket: true})
	if err != nil {
		return fail(stderr, "get", err)
	}
	s, err := p.probe(ctx, id, true, time.Now())
	if err != nil {
		return fail(stderr, "get", err)
	}
	switch s.Phase {
	case phaseSucceeded:
	case phaseFailed:
		return fail(stderr, "get", fmt.Errorf("job %s failed, there is no video: %s", id, describe(s)))
	case phaseQueued:
		return fail(stderr, "get", fmt.Errorf("job %s is unknown: nothing is recorded under s3://%s/videos/%s/ yet. "+
			"Check the id (`videoctl list` shows recent jobs); if you just sent it, it may still be queued: `videoctl watch %s`", id, p.target.Bucket, id, id))
	default:
		return fail(stderr, "get", fmt.Errorf("job %s has no video yet (%s); follow it with `videoctl watch %s`", id, s.Phase, id))
	}
	bucket, key, ok := splitS3URI(s.VideoURI)
	if !ok {
		return fail(stderr, "get", fmt.Errorf("result.json of %s names no video (videoUri %q)", id, s.VideoURI))
	}
	n, err := download(ctx, p, bucket, key, out, stdout)
	if err != nil {
		return fail(stderr, "get", err)
	}
	switch {
	case c.json:
		writeJSON(stdout, map[string]any{"messageId": id, "videoUri": s.VideoURI, "file": out, "bytes": n})
	case out != "-":
		fmt.Fprintf(stdout, "%s (%d bytes) from %s\n", out, n, s.VideoURI)
	}
	return exitOK
}

// download copies s3://bucket/key to the file out ("-": w). A file is
// written under a temporary name and renamed when complete, so an
// interrupted download never leaves a truncated video behind.
func download(ctx context.Context, p *pipeline, bucket, key, out string, w io.Writer) (int64, error) {
	obj, err := p.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("downloading s3://%s/%s: %w", bucket, key, explain(err))
	}
	defer obj.Body.Close()
	if out == "-" {
		n, err := io.Copy(w, obj.Body)
		if err != nil {
			return n, fmt.Errorf("downloading s3://%s/%s: %w", bucket, key, err)
		}
		return n, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return 0, fmt.Errorf("creating %s: %w", out, err)
	}
	n, err := io.Copy(tmp, obj.Body)
	if err == nil && obj.ContentLength != nil && n != *obj.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, *obj.ContentLength)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return n, fmt.Errorf("downloading s3://%s/%s to %s: %w", bucket, key, out, err)
	}
	return n, nil
}

// splitS3URI splits s3://bucket/key.
func splitS3URI(uri string) (bucket, key string, ok bool) {
	rest, found := strings.CutPrefix(uri, "s3://")
	if !found {
		return "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, bucket != "" && key != ""
}
