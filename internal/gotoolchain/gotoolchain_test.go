package gotoolchain

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestEnvironNamesTheRunningRelease(t *testing.T) {
	if !strings.HasPrefix(runtime.Version(), "go") {
		t.Skipf("built by a development toolchain (%s)", runtime.Version())
	}
	base := []string{"PATH=/usr/bin", "GOTOOLCHAIN=local"}
	got := Environ(slices.Clip(base))
	want := append(slices.Clone(base), "GOTOOLCHAIN="+runtime.Version())
	if !slices.Equal(got, want) {
		t.Errorf("Environ = %v, want %v", got, want)
	}
	// The caller's slice is left alone even when it has spare capacity.
	roomy := make([]string, 1, 4)
	roomy[0] = "PATH=/usr/bin"
	_ = Environ(roomy)
	if extra := roomy[:2][1]; extra != "" {
		t.Errorf("Environ wrote %q into the caller's backing array", extra)
	}
}
