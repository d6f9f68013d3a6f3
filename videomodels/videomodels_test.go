package videomodels

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	beforeEOL = time.Date(2026, time.September, 29, 23, 59, 59, 0, time.UTC)
	atEOL     = time.Date(2026, time.September, 30, 0, 0, 0, 0, time.UTC)
	today     = time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)
)

func TestDefaultIsLiveToday(t *testing.T) {
	d := Default()
	if d.ID != LumaRay2 || d.Lifecycle != Active || !d.AvailableAt(today) || !d.ServedIn("us-west-2") || DefaultRegion() != "us-west-2" {
		t.Errorf("default %+v region %s: want Luma Ray2, Active, in us-west-2", d, DefaultRegion())
	}
	if !d.ThirdParty {
		t.Error("Luma Ray2 must be marked third party (Marketplace subscription on first use)")
	}
	if got := Replacement(); got != "use luma.ray-v2:0 in us-west-2" {
		t.Errorf("Replacement() = %q", got)
	}
}

func TestNovaReelIsPastEndOfLife(t *testing.T) {
	for _, id := range []string{NovaReelV10, NovaReelV11} {
		m, ok := Lookup(id)
		if !ok {
			t.Fatalf("%s missing from the catalogue", id)
		}
		if m.Lifecycle != Legacy || !m.EndOfLife.Equal(atEOL) {
			t.Errorf("%s: lifecycle %s, end of life %v; want Legacy, 2026-09-30", id, m.Lifecycle, m.EndOfLife)
		}
		if !m.AvailableAt(beforeEOL) || m.AvailableAt(atEOL) || m.AvailableAt(today) {
			t.Errorf("%s: served the day before its end of life, not from that day on", id)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		id, region string
		at         time.Time
		want       string // "" for no error
	}{
		{LumaRay2, "us-west-2", today, ""},
		{NovaReelV11, "us-east-1", beforeEOL, ""},
		{NovaReelV10, "eu-west-1", beforeEOL, ""},
		{LumaRay2, "us-east-1", today, "luma.ray-v2:0 is served by Amazon Bedrock only in us-west-2, not in us-east-1; use luma.ray-v2:0 in us-west-2"},
		{NovaReelV11, "us-east-1", today, "amazon.nova-reel-v1:1 (Legacy) reached its end of life on Amazon Bedrock on 2026-09-30 and can no longer be invoked; use luma.ray-v2:0 in us-west-2"},
		{NovaReelV11, "eu-west-1", beforeEOL, "only in us-east-1, not in eu-west-1"},
		{"amazon.titan-video", "us-east-1", today, `unknown video model "amazon.titan-video" (known: amazon.nova-reel-v1:0, amazon.nova-reel-v1:1, luma.ray-v2:0)`},
	}
	for _, tt := range tests {
		err := Check(tt.id, tt.region, tt.at)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%s, %s, %v) = %v, want nil", tt.id, tt.region, tt.at, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Check(%s, %s, %v) = %v, want %q", tt.id, tt.region, tt.at, err, tt.want)
		case err != nil:
			var u *UnusableError
			if !errors.As(err, &u) || u.ID != tt.id || u.Region != tt.region {
				t.Errorf("error %T %+v does not carry the model and region", err, err)
			}
		}
	}
}

func TestLimitsMatchTheDocumentation(t *testing.T) {
	luma, _ := Lookup(LumaRay2)
	l := luma.Limits
	if l.PromptMaxChars != 5000 || strings.Join(l.AspectRatios, " ") != "1:1 16:9 9:16 4:3 3:4 21:9 9:21" || l.DefaultAspectRatio != "16:9" ||
		strings.Join(l.Resolutions, " ") != "540p 720p" || l.DefaultResolution != "720p" || len(l.DurationsSeconds) != 2 || l.DurationsSeconds[0] != 5 || l.DurationsSeconds[1] != 9 ||
		!l.Loop || l.SeedMax != 0 || l.Images == nil || strings.Join(l.Images.Keyframes, " ") != "frame0 frame1" {
		t.Errorf("Luma Ray2 limits %+v differ from the Bedrock Luma parameters page", l)
	}
	nova, _ := Lookup(NovaReelV11)
	n := nova.Limits
	if n.PromptMaxChars != 512 || n.MultiShot == nil || n.MultiShot.AutomatedPromptMaxChars != 4000 || n.MultiShot.MaxSeconds != 120 ||
		n.MultiShot.MinShots != 2 || n.MultiShot.MaxShots != 20 || n.Images.Width != 1280 || n.Images.Height != 720 ||
		!n.Images.Opaque || n.Images.MaxS3Bytes != 25_000_000 || n.DurationsSeconds[0] != 6 || n.DurationsSeconds[len(n.DurationsSeconds)-1] != 120 {
		t.Errorf("Nova Reel 1.1 limits %+v differ from the Nova user guide", n)
	}
	if v10, _ := Lookup(NovaReelV10); len(v10.Limits.DurationsSeconds) != 1 || v10.Limits.MultiShot != nil {
		t.Errorf("Nova Reel 1.0 makes 6-second videos only: %+v", v10.Limits)
	}
}

func TestExpectedGeneration(t *testing.T) {
	nova, _ := Lookup(NovaReelV11)
	luma := Default()
	tests := []struct {
		g       Generation
		seconds int
		want    time.Duration
		spread  float64
	}{
		{nova.Generation, 6, 90 * time.Second, 0.25},
		{nova.Generation, 120, 930 * time.Second, 0.15},
		{nova.Generation, 60, 90*time.Second + 840*time.Second*54/114, 0.15},
		{luma.Generation, 5, 210 * time.Second, 0.45},
		{luma.Generation, 9, 378 * time.Second, 0.45},
	}
	for _, tt := range tests {
		got := tt.g.ExpectedGeneration(tt.seconds)
		if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%d s: expected %v, want %v", tt.seconds, got, tt.want)
		}
		if s := tt.g.SpreadFor(tt.seconds); s != tt.spread {
			t.Errorf("%d s: spread %v, want %v", tt.seconds, s, tt.spread)
		}
	}
}

func TestCatalogueIsConsistent(t *testing.T) {
	for _, m := range All() {
		if m.Name == "" || m.Provider == "" || len(m.Regions) == 0 || m.Limits.PromptMaxChars == 0 ||
			len(m.Limits.DurationsSeconds) == 0 || len(m.Limits.Resolutions) == 0 || len(m.Generation.Anchors) == 0 {
			t.Errorf("%s: incomplete entry %+v", m.ID, m)
		}
		if (m.Lifecycle == Legacy) == m.EndOfLife.IsZero() {
			t.Errorf("%s: a Legacy model needs an end-of-life date, an Active one none", m.ID)
		}
	}
	if got := strings.Join(IDs(), ","); got != "amazon.nova-reel-v1:0,amazon.nova-reel-v1:1,luma.ray-v2:0" {
		t.Errorf("IDs() = %s", got)
	}
}
