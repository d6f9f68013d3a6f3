package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// Presigned URL lifetimes. SigV4 presigned URLs are valid for at most
// 604,800 s (7 days) (AWS CLI reference, `aws s3 presign --expires-in`;
// S3 user guide, "Sharing objects with presigned URLs"); URLs signed with
// temporary credentials (SSO, assumed roles) stop working when those
// credentials expire, whatever the expiry says.
const (
	defaultExpires = 12 * time.Hour
	maxExpires     = 7 * 24 * time.Hour
	minExpires     = time.Minute
)

//go:embed templates/gallery.html
var galleryHTML string

var galleryTemplate = template.Must(template.New("gallery").Parse(galleryHTML))

// galleryPage is the data of the gallery template.
type galleryPage struct {
	Bucket, Prefix     string
	Generated, Expires string
	Jobs               []galleryJob
}

// galleryJob is one card of the gallery.
type galleryJob struct {
	jobEntry
	URL                  string // presigned GET of the video
	Submitted, Age, Took string
	Typical              string
	Final                bool
}

func runGallery(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c       commonFlags
		out     string
		limit   int
		expires time.Duration
	)
	fs := newFlagSet("gallery", commands()[4].args, &c, stderr)
	fs.StringVar(&out, "o", "gallery.html", "write the page to this `file` (\"-\": standard output)")
	fs.IntVar(&limit, "limit", defaultLimit, fmt.Sprintf("show at most this many of the newest jobs (1–%d)", maxLimit))
	fs.DurationVar(&expires, "expires", defaultExpires, fmt.Sprintf("lifetime of the video links (%s–%s)", minExpires, fmtDuration(maxExpires)))
	if _, code := parseArgs(fs, args, 0, 0, stderr); code >= 0 {
		return code
	}
	switch {
	case limit < 1 || limit > maxLimit:
		return usageError(stderr, "gallery", "--limit must be from 1 to %d, got %d", maxLimit, limit)
	case expires < minExpires || expires > maxExpires:
		return usageError(stderr, "gallery", "--expires must be from %s to %s (the longest a presigned S3 URL lasts), got %s", minExpires, fmtDuration(maxExpires), expires)
	case out == "-" && c.json:
		return usageError(stderr, "gallery", "-o - writes the page to standard output; it cannot also print JSON there")
	}
	p, err := connect(ctx, c, need{bucket: true})
	if err != nil {
		return fail(stderr, "gallery", err)
	}
	now := time.Now()
	jobs, err := p.recentJobs(ctx, limit, now)
	if err != nil {
		return fail(stderr, "gallery", err)
	}
	page, err := p.galleryPage(ctx, jobs, now, expires)
	if err != nil {
		return fail(stderr, "gallery", err)
	}
	var buf bytes.Buffer
	if err := galleryTemplate.Execute(&buf, page); err != nil {
		return fail(stderr, "gallery", fmt.Errorf("rendering the page: %w", err))
	}
	if out == "-" {
		_, _ = stdout.Write(buf.Bytes())
		return exitOK
	}
	if err := writeFileAtomic(out, buf.Bytes()); err != nil {
		return fail(stderr, "gallery", err)
	}
	videos := 0
	for _, j := range page.Jobs {
		if j.URL != "" {
			videos++
		}
	}
	if c.json {
		writeJSON(stdout, map[string]any{"file": out, "jobs": len(page.Jobs), "videos": videos, "expiresAt": now.Add(expires).UTC()})
	} else {
		fmt.Fprintf(stdout, "%s: %d jobs, %d videos; the video links expire in %s\n", out, len(page.Jobs), videos, fmtDuration(expires))
	}
	return exitOK
}

// galleryPage presigns a GET of every finished job's video.
func (p *pipeline) galleryPage(ctx context.Context, jobs []jobEntry, now time.Time, expires time.Duration) (galleryPage, error) {
	presign := s3.NewPresignClient(p.s3, s3.WithPresignExpires(expires))
	page := galleryPage{
		Bucket: p.target.Bucket, Prefix: jobstore.Prefix,
		Generated: now.UTC().Format("2006-01-02 15:04 UTC"),
		Expires:   now.Add(expires).UTC().Format("2006-01-02 15:04 UTC"),
	}
	for _, j := range jobs {
		g := galleryJob{jobEntry: j, Final: j.final(), Age: fmtDuration(seconds(j.AgeSeconds))}
		submitted := j.FirstSeen
		if j.SubmittedAt != nil {
			submitted = *j.SubmittedAt
		}
		g.Submitted = submitted.UTC().Format("2006-01-02 15:04:05 UTC")
		if j.ElapsedSeconds > 0 {
			g.Took = fmtDuration(seconds(j.ElapsedSeconds))
		}
		if j.TypicalSeconds > 0 {
			g.Typical = fmtDuration(seconds(j.TypicalSeconds))
		}
		if bucket, key, ok := splitS3URI(j.VideoURI); ok && j.Phase == phaseSucceeded {
			req, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				return galleryPage{}, fmt.Errorf("presigning %s: %w", j.VideoURI, err)
			}
			g.URL = req.URL
		}
		page.Jobs = append(page.Jobs, g)
	}
	return page, nil
}

// writeFileAtomic writes data to name through a temporary file in the same
// directory, so a reader never sees half a page.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
