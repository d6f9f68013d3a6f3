package topology_test

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/infra"
)

// TestBuildIsReproducible builds the same source twice, from two different
// directories into two different output folders, and expects identical
// archive bytes (so a second `pulumi preview` sees no code change). The
// second build uses an empty build cache, so it really compiles and links
// again instead of reusing the first build's output.
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
			var arts [2]infra.Artifact
			for i := range arts {
				dir := t.TempDir()
				if err := writeModule(dir, okMain); err != nil {
					t.Fatal(err)
				}
				opts := infra.BuildOptions{ModuleDir: dir, Package: ".", GOARCH: tc.goarch}
				if i == 1 {
					opts.Env = []string{"GOCACHE=" + t.TempDir()}
				}
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
			assertSingleBootstrapEntry(t, arts[0].ZipPath, tc.machine)
		})
	}
}

// TestRealHandlerBuildIsReproducible does the same for the real handler.
func TestRealHandlerBuildIsReproducible(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if src, _ := filepath.Glob(filepath.Join(root, "handler", "cmd", "bootstrap", "*.go")); len(src) == 0 {
		t.Skip("handler/cmd/bootstrap does not exist yet")
	}
	var sums [2]string
	for i := range sums {
		a, err := infra.BuildHandler(context.Background(), infra.BuildOptions{
			ModuleDir: root, Package: infra.DefaultHandlerPackage, OutDir: t.TempDir(),
		})
		if err != nil {
			t.Fatalf("build %d: %v", i+1, err)
		}
		sums[i] = a.SHA256
		if i == 0 {
			assertSingleBootstrapEntry(t, a.ZipPath, elf.EM_AARCH64)
		}
	}
	if sums[0] != sums[1] {
		t.Fatalf("two builds differ: %s vs %s", sums[0], sums[1])
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

// TestProgramBuildsTheHandler checks that, without a prebuilt artifact, the
// component builds the handler for the configured architecture into the
// build folder and deploys that archive.
func TestProgramBuildsTheHandler(t *testing.T) {
	dir := t.TempDir()
	if err := writeModule(dir, okMain); err != nil {
		t.Fatal(err)
	}
	s := infra.DefaultSettings()
	s.Architecture = infra.ArchX8664
	d, err := tryDeploy(t, &infra.VideoPipelineArgs{
		Settings: s,
		Build:    infra.BuildOptions{ModuleDir: dir, Package: "."},
	}, nil)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	want := filepath.Join(dir, "build", "amd64", "bootstrap.zip")
	code := d.one(t, typeFunction).Inputs["code"]
	if !code.IsArchive() || code.ArchiveValue().Path != want {
		t.Fatalf("function code = %v, want archive %s", code, want)
	}
	assertSingleBootstrapEntry(t, want, elf.EM_X86_64)
}

// assertSingleBootstrapEntry checks the archive layout Lambda's
// provided.al2023 runtime expects: one executable entry named bootstrap,
// a static Linux binary for the right machine, with a fixed time stamp.
func assertSingleBootstrapEntry(t *testing.T, zipPath string, machine elf.Machine) {
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
}
