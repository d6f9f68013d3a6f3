package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

const (
	defaultLimit = 20
	maxLimit     = 1000
	// readers bounds the S3 reads list and gallery run at once.
	readers = 8
)

// jobEntry is one job as list and gallery show it.
type jobEntry struct {
	snapshot
	Prompt       string    `json:"prompt,omitempty"`
	VideoSeconds int       `json:"videoSeconds,omitempty"`
	FirstSeen    time.Time `json:"firstSeen"`
	AgeSeconds   float64   `json:"ageSeconds"`
}

func runList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c     commonFlags
		limit int
	)
	fs := newFlagSet("list", commands()[3].args, &c, stderr)
	fs.IntVar(&limit, "limit", defaultLimit, fmt.Sprintf("show at most this many of the newest jobs (1–%d)", maxLimit))
	if _, code := parseArgs(fs, args, 0, 0, stderr); code >= 0 {
		return code
	}
	if limit < 1 || limit > maxLimit {
		return usageError(stderr, "list", "--limit must be from 1 to %d, got %d", maxLimit, limit)
	}
	p, err := connect(ctx, c, need{bucket: true})
	if err != nil {
		return fail(stderr, "list", err)
	}
	jobs, err := p.recentJobs(ctx, limit, time.Now())
	if err != nil {
		return fail(stderr, "list", err)
	}
	if c.json {
		if jobs == nil {
			jobs = []jobEntry{}
		}
		writeJSON(stdout, map[string]any{"bucket": p.target.Bucket, "jobs": jobs})
		return exitOK
	}
	if len(jobs) == 0 {
		fmt.Fprintf(stdout, "No jobs under s3://%s/%s. Send one with: videoctl submit \"a prompt\"\n", p.target.Bucket, jobstore.Prefix)
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MESSAGE ID\tSTATUS\tMODEL\tAGE\tTOOK\tPROMPT")
	for _, j := range jobs {
		took := "-"
		if j.ElapsedSeconds > 0 {
			took = fmtDuration(seconds(j.ElapsedSeconds))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.MessageID, j.Phase, orDash(j.Model), fmtDuration(seconds(j.AgeSeconds)), took, orDash(shorten(j.Prompt, 40)))
	}
	_ = tw.Flush()
	return exitOK
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shorten cuts s to n characters on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// recentJobs lists the bucket's videos/ prefix, groups the keys by message
// id, and reads the newest limit jobs' records (newest first by the time
// their first object was written).
func (p *pipeline) recentJobs(ctx context.Context, limit int, now time.Time) ([]jobEntry, error) {
	first := map[string]time.Time{}
	pages := s3.NewListObjectsV2Paginator(p.s3, &s3.ListObjectsV2Input{Bucket: aws.String(p.target.Bucket), Prefix: aws.String(jobstore.Prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing s3://%s/%s: %w", p.target.Bucket, jobstore.Prefix, explain(err))
		}
		for _, obj := range page.Contents {
			id, _, ok := strings.Cut(strings.TrimPrefix(aws.ToString(obj.Key), jobstore.Prefix), "/")
			if !ok || id == "" {
				continue
			}
			t := aws.ToTime(obj.LastModified)
			if old, seen := first[id]; !seen || t.Before(old) {
				first[id] = t
			}
		}
	}
	ids := make([]string, 0, len(first))
	for id := range first {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := first[b].Compare(first[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	ids = ids[:min(limit, len(ids))]

	jobs := make([]jobEntry, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, readers)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			jobs[i], errs[i] = p.entry(ctx, id, first[id], now)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return jobs, nil
}

// entry reads one job's records.
func (p *pipeline) entry(ctx context.Context, id string, firstSeen, now time.Time) (jobEntry, error) {
	s, err := p.probe(ctx, id, false, now)
	if err != nil {
		return jobEntry{}, err
	}
	e := jobEntry{snapshot: s, FirstSeen: firstSeen.UTC()}
	req, found, err := p.loadRequest(ctx, id)
	if err != nil {
		return jobEntry{}, fmt.Errorf("reading %s: %w", jobstore.RequestKey(id), explain(err))
	}
	if found {
		e.Prompt, e.VideoSeconds = req.Prompt(), req.VideoSeconds
		if e.Model == "" {
			e.Model = req.Model
		}
	}
	if e.Model != "" {
		e.TypicalSeconds = typical(e.Model, e.VideoSeconds).Seconds()
	}
	since := firstSeen
	if s.SubmittedAt != nil {
		since = *s.SubmittedAt
	}
	e.AgeSeconds = now.Sub(since).Round(time.Second).Seconds()
	return e, nil
}
