package topology_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"debug/buildinfo"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/infra"
)

// TestBuildIsReproducible builds the same program from two checkouts in
// different directories into different output folders and expects identical
// archive bytes, so a second `pulumi preview`, on this machine or another,
// sees no code change.
//
// What can differ between two builds of the same source is what the build
// controls: the checkout path (-trimpath), VCS state (-buildvcs=false), the
// build ID (-buildid=), a host C toolchain (CGO_ENABLED=0), the Go version
// (GOTOOLCHAIN) and the archive's metadata (fixed time stamp and mode). The
// compiler and linker themselves are deterministic functions of their inputs
// (https://go.dev/blog/rebuild), and the build cache is keyed by those
// inputs, so compiling the standard library again with an empty cache would
// only test Go's guarantee, at the cost of a full toolchain build per
// architecture. Instead the second checkout's source differs by a trailing
// comment that is new on every run: that changes the package's cache key
// but not its code, so the second build really compiles and links the
// program again (the dependencies come from the cache) and must still give
// the same bytes.
// assertReproducibleBuildInfo then checks the flags in the binary itself.
func TestBuildIsReproducible(t *testing.T) {
	cases := []struct {
		name, goarch string
		machine      elf.Machine
	}{
		{"arm64", "arm64", elf.EM_AARCH64},
		{"x86_64", "amd64", elf.EM_X86_64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var arts [2]infra.Artifact
			for i := range arts {
				dir := t.TempDir()
				src := okMain
				if i == 1 {
					// A comment never seen before: same code, a cache key no
					// earlier run has filled.
					src += "\n// A second checkout, " + rand.Text() + ".\n"
				}
				if err := writeModule(dir, src); err != nil {
					t.Fatal(err)
				}
				opts := infra.BuildOptions{ModuleDir: dir, Package: ".", GOARCH: tc.goarch}
				a, err := infra.BuildHandler(context.Background(), opts)
				if err != nil {
					t.Fatalf("build %d: %v", i+1, err)
				}
				if want := filepath.Join(dir, "build", tc.goarch, "bootstrap.zip"); a.ZipPath != want {
					t.Errorf("archive at %s, want %s", a.ZipPath, want)
				}
				arts[i] = a
			}
			if arts[0].SHA256 != arts[1].SHA256 {
				t.Fatalf("two builds differ: %s vs %s", arts[0].SHA256, arts[1].SHA256)
			}
			for _, a := range arts {
				sum, err := infra.FileSHA256(a.ZipPath)
				if err != nil {
					t.Fatal(err)
				}
				if sum != a.SHA256 {
					t.Errorf("reported SHA-256 %s, file has %s", a.SHA256, sum)
				}
			}
			bin := assertSingleBootstrapEntry(t, arts[0].ZipPath, tc.machine)
			assertReproducibleBuildInfo(t, bin, tc.goarch)
		})
	}
}

// TestRealHandlerBuildSettings builds the real handler once, as the
// program does, and checks what makes its bytes reproducible: the archive
// layout and the build info. That two builds give the same bytes is
// TestBuildIsReproducible's job; building this larger program twice would
// only relink the same cached packages. The repository is a git checkout,
// so the build info check also proves that no VCS state (revision,
// modified flag) is stamped into the binary, which would change the code on
// every commit.
func TestRealHandlerBuildSettings(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	a, err := infra.BuildHandler(context.Background(), infra.BuildOptions{
		ModuleDir: root, Package: infra.DefaultHandlerPackage, OutDir: t.TempDir(),
		// A machine-wide GOFLAGS=-buildvcs=false would hide a missing
		// flag; the build's own flags must do the work.
		Env: []string{"GOFLAGS=-buildvcs=auto"},
	})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	bin := assertSingleBootstrapEntry(t, a.ZipPath, elf.EM_AARCH64)
	assertReproducibleBuildInfo(t, bin, "arm64")
}

// assertReproducibleBuildInfo reads the build information Go embeds in
// every binary and checks the settings that make the bytes independent of
// the machine, the checkout and the time: the toolchain that runs the
// program, -trimpath, no cgo, the lambda.norpc tag, no VCS stamp and no
// build ID.
func assertReproducibleBuildInfo(t *testing.T, bin []byte, goarch string) {
	t.Helper()
	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("reading the binary's build info: %v", err)
	}
	if info.GoVersion != runtime.Version() {
		t.Errorf("built with %s, want the program's own toolchain %s", info.GoVersion, runtime.Version())
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
		if strings.HasPrefix(s.Key, "vcs") {
			t.Errorf("build info has %s=%s; VCS stamping makes the bytes depend on the checkout (-buildvcs=false)", s.Key, s.Value)
		}
	}
	want := map[string]string{
		"-trimpath":   "true",
		"CGO_ENABLED": "0",
		"GOOS":        "linux",
		"GOARCH":      goarch,
		"-tags":       "lambda.norpc",
	}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], v)
		}
	}
	// -trimpath keeps -ldflags out of the build info, so the empty build ID
	// is checked where the linker writes it: the Go build ID note, which
	// -buildid= leaves out (otherwise it holds hashes of the build's inputs).
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	if note := ef.Section(".note.go.buildid"); note != nil && note.Size > 16 {
		t.Errorf("bootstrap carries a Go build ID note of %d bytes; want none (-ldflags -buildid=)", note.Size)
	}
}

// TestFailingBuildStopsTheProgram checks that the program, left to build the
// handler itself, stops with the compiler's message and registers nothing.
func TestFailingBuildStopsTheProgram(t *testing.T) {
	dir := t.TempDir()
	if err := writeModule(dir, "package main\n\nfunc main() { undefinedThing() }\n"); err != nil {
		t.Fatal(err)
	}
	d, err := tryDeploy(t, &infra.VideoPipelineArgs{
		Settings: infra.DefaultSettings(),
		Build:    infra.BuildOptions{ModuleDir: dir, Package: "."},
	}, nil)
	if err == nil {
		t.Fatal("program succeeded with a handler that does not compile")
	}
	for _, frag := range []string{"building handler . for linux/arm64", "undefined: undefinedThing"} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error %q does not contain %q", err, frag)
		}
	}
	if n := len(d.resources); n != 0 {
		t.Errorf("%d resources registered although the build failed", n)
	}
}

// TestProgramBuildsTheHandler checks that, without prebuilt artifacts, the
// component builds the durable handler and the notifier for the configured
// architecture, each into its own folder of the build directory, and
// deploys each archive to its function.
func TestProgramBuildsTheHandler(t *testing.T) {
	dir := t.TempDir()
	if err := writeModule(dir, okMain); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "cmd", "notifier"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cmd", "notifier", "main.go"), []byte(okMain), 0o644); err != nil {
		t.Fatal(err)
	}
	s := infra.DefaultSettings()
	s.Architecture = infra.ArchX8664
	d, err := tryDeploy(t, &infra.VideoPipelineArgs{
		Settings:      s,
		Build:         infra.BuildOptions{ModuleDir: dir, Package: "."},
		NotifierBuild: infra.BuildOptions{ModuleDir: dir, Package: "./cmd/notifier"},
	}, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	for fn, want := range map[string]string{
		"video-handler":  filepath.Join(dir, "build", "amd64", "bootstrap.zip"),
		"video-notifier": filepath.Join(dir, "build", "notifier", "amd64", "bootstrap.zip"),
	} {
		code := d.named(t, fn).Inputs["code"]
		if !code.IsArchive() || code.ArchiveValue().Path != want {
			t.Fatalf("%s code = %v, want archive %s", fn, code, want)
		}
		assertSingleBootstrapEntry(t, want, elf.EM_X86_64)
	}
}

// assertSingleBootstrapEntry checks the archive layout Lambda's
// provided.al2023 runtime expects: one executable entry named bootstrap,
// a static Linux binary for the right machine, with a fixed time stamp.
// It returns the binary.
func assertSingleBootstrapEntry(t *testing.T, zipPath string, machine elf.Machine) []byte {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatalf("opening archive: %v", err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		names := []string{}
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		t.Fatalf("archive entries = %v, want [bootstrap]", names)
	}
	f := zr.File[0]
	if mode := f.Mode(); mode.Perm() != 0o755 || !mode.IsRegular() {
		t.Errorf("bootstrap mode = %v, want -rwxr-xr-x", mode)
	}
	if !f.Modified.UTC().Equal(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("bootstrap time stamp = %v, want the fixed 1980-01-01", f.Modified)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	bin, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	if ef.Machine != machine {
		t.Errorf("bootstrap machine = %v, want %v", ef.Machine, machine)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("bootstrap is dynamically linked (CGO_ENABLED must be 0)")
		}
	}
	if ef.Section(".symtab") != nil {
		t.Errorf("bootstrap has a symbol table (-s -w missing)")
	}
	return bin
}
