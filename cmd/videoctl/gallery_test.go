package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
)

// threeJobs fills the pipeline with a finished, a failed and a running job
// and returns their message ids.
func threeJobs(t *testing.T, w *world) (done, failed, running string) {
	t.Helper()
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 1})
	r := videoctl(t, "submit", "A red fox trotting through fresh snow at dawn", "--wait", "--interval", "100ms")
	if r.code != exitOK {
		t.Fatalf("submit --wait: exit %d, stderr %s", r.code, r.stderr)
	}
	done = firstLine(r.stdout)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 1, Fail: true, FailureMessage: "The output violates the content policy."})
	r = videoctl(t, "submit", "Something <b>the filter</b> refuses", "--wait", "--interval", "100ms")
	if r.code != exitFailed {
		t.Fatalf("submit --wait of a failing job: exit %d, stderr %s", r.code, r.stderr)
	}
	failed = firstLine(r.stdout)
	w.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
	r = videoctl(t, "submit", "Waves at sunset", "--duration", "9")
	if r.code != exitOK {
		t.Fatalf("submit: exit %d, stderr %s", r.code, r.stderr)
	}
	running = firstLine(r.stdout)
	return done, failed, running
}

func TestList(t *testing.T) {
	w := newWorld(t)
	done, failed, running := threeJobs(t, w)

	r := videoctl(t, "list")
	if r.code != exitOK {
		t.Fatalf("list: exit %d, stderr %s", r.code, r.stderr)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		rows[strings.Fields(line)[0]] = line
	}
	for id, want := range map[string][]string{
		done:    {"succeeded", "luma.ray-v2:0", "A red fox trotting"},
		failed:  {"failed", "luma.ray-v2:0", "Something <b>the filter</b> refuses"},
		running: {"started", "luma.ray-v2:0", "Waves at sunset"},
	} {
		for _, s := range want {
			if !strings.Contains(rows[id], s) {
				t.Errorf("list row of %s = %q, want %q in it", id, rows[id], s)
			}
		}
	}
	if !strings.HasPrefix(r.stdout, "MESSAGE ID") || len(rows) != 3 {
		t.Errorf("list output:\n%s", r.stdout)
	}

	one := videoctl(t, "list", "--limit", "1", "--json")
	var got struct {
		Bucket string
		Jobs   []jobEntry
	}
	if err := jsonUnmarshal(one.stdout, &got); err != nil || got.Bucket != testBucket || len(got.Jobs) != 1 {
		t.Fatalf("list --limit 1 --json = %q (%v)", one.stdout, err)
	}
}

func TestGalleryPage(t *testing.T) {
	w := newWorld(t)
	done, failed, running := threeJobs(t, w)
	page := filepath.Join(t.TempDir(), "page.html")
	r := videoctl(t, "gallery", "-o", page, "--expires", "1h")
	if r.code != exitOK {
		t.Fatalf("gallery: exit %d, stderr %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "3 jobs, 1 videos") {
		t.Errorf("gallery summary = %q", r.stdout)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the page is not HTML: %v", err)
	}
	cards := map[string]*html.Node{}
	walk(doc, func(n *html.Node) {
		switch {
		case n.Type == html.ElementNode && n.Data == "article":
			cards[strings.TrimPrefix(attr(n, "id"), "job-")] = n
		case n.Type == html.ElementNode && (n.Data == "link" || n.Data == "script" || n.Data == "img" || n.Data == "iframe"):
			t.Errorf("the page loads an external asset or script: <%s>", n.Data)
		}
	})
	if len(cards) != 3 {
		t.Fatalf("the page has %d job cards, want 3", len(cards))
	}
	if strings.Contains(string(data), "url(") || strings.Contains(string(data), "@import") {
		t.Error("the page's CSS fetches something")
	}

	// The finished job: a player on a presigned GET of its video.
	videos := elements(cards[done], "video")
	if len(videos) != 1 {
		t.Fatalf("finished job: %d players, want 1", len(videos))
	}
	u, err := url.Parse(attr(videos[0], "src"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(u.Path, "/"+testBucket+"/videos/"+done+"/") || !strings.HasSuffix(u.Path, ".mp4") ||
		q.Get("X-Amz-Expires") != "3600" || q.Get("X-Amz-Signature") == "" || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		t.Errorf("video src %s is not a one-hour presigned GET of the job's video", u)
	}
	for id, want := range map[string][]string{
		done:    {"A red fox trotting through fresh snow at dawn", "succeeded", "luma.ray-v2:0", "took"},
		failed:  {"Something <b>the filter</b> refuses", "failed", "JobFailed", "The output violates the content policy.", "no video"},
		running: {"Waves at sunset", "started", "running for", "typical 6m18s"},
	} {
		text := textOf(cards[id])
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Errorf("card of %s lacks %q; its text: %q", id, s, text)
			}
		}
	}
	if len(elements(cards[failed], "video"))+len(elements(cards[running], "video")) != 0 {
		t.Error("a job without a video has a player")
	}
	if len(elements(cards[failed], "b")) != 0 {
		t.Error("the prompt's markup was not escaped")
	}

	j := videoctl(t, "gallery", "-o", page, "--json")
	var summary struct {
		File         string
		Jobs, Videos int
	}
	if err := jsonUnmarshal(j.stdout, &summary); err != nil || summary.File != page || summary.Jobs != 3 || summary.Videos != 1 {
		t.Errorf("gallery --json = %q (%v)", j.stdout, err)
	}
	if r := videoctl(t, "gallery", "--expires", "200h"); r.code != exitUsage || !strings.Contains(r.stderr, "the longest a presigned S3 URL lasts") {
		t.Errorf("gallery --expires 200h: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestGalleryInABrowser renders the page in headless Chromium and checks
// the screenshot a person would see.
func TestGalleryInABrowser(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("REQUIRE_CHROMIUM") != "" {
			t.Fatalf("REQUIRE_CHROMIUM is set but %s is missing: %v", chromium, err)
		}
		t.Skip("chromium is not installed (apt-get install -y chromium); skipping the browser rendering check")
	}
	w := newWorld(t)
	threeJobs(t, w)
	dir := t.TempDir()
	page := filepath.Join(dir, "gallery.html")
	if r := videoctl(t, "gallery", "-o", page); r.code != exitOK {
		t.Fatalf("gallery: exit %d, stderr %s", r.code, r.stderr)
	}
	shot := filepath.Join(dir, "gallery.png")
	if keep := os.Getenv("VIDEOCTL_SCREENSHOT"); keep != "" {
		shot = keep
	}
	const width, height = 1280, 800
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot,
		"--window-size=1280,800", "--hide-scrollbars", "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), width, height)
	}
	if n := colours(img); n < 8 {
		t.Errorf("the screenshot has %d distinct colours: the page rendered blank", n)
	}
}

// colours counts distinct colours on a grid of sample points.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
		}
	}
	return len(seen)
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func elements(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	if n == nil {
		return nil
	}
	walk(n, func(c *html.Node) {
		if c.Type == html.ElementNode && c.Data == tag {
			out = append(out, c)
		}
	})
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	if n == nil {
		return ""
	}
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
			b.WriteString(" ")
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}
