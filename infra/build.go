package infra

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/internal/gotoolchain"
)

// DefaultHandlerPackage is the Go package of the durable function, relative
// to the module root.
const DefaultHandlerPackage = "./handler/cmd/bootstrap"

// DefaultNotifierPackage is the Go package of the notifier function,
// relative to the module root.
const DefaultNotifierPackage = "./handler/cmd/notifier"

// DefaultBuildDir is the git-ignored folder, relative to the module root,
// that receives each handler's binary and archive, in a folder of its own:
// build/bootstrap/<GOARCH>/ and build/notifier/<GOARCH>/.
const DefaultBuildDir = "build"

// zipEpoch is the modification time stamped on the archive entry. It is fixed
// (the earliest time a zip file can represent) so that the archive bytes do
// not depend on when the binary was built.
var zipEpoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// BuildOptions say what to build and where.
type BuildOptions struct {
	// ModuleDir is the directory `go build` runs in (the module root).
	// Empty means the current directory, which is the project directory when
	// Pulumi runs the program.
	ModuleDir string
	// Package is the main package to build, relative to ModuleDir.
	// Empty means DefaultHandlerPackage.
	Package string
	// OutDir receives <name>/<GOARCH>/bootstrap and
	// <name>/<GOARCH>/bootstrap.zip, where name is the last element of
	// Package (none for "."), so that every handler has a folder of its
	// own. A relative path is taken relative to ModuleDir. Empty means
	// DefaultBuildDir.
	OutDir string
	// GOARCH is the target architecture (arm64 or amd64). Empty means arm64.
	GOARCH string
	// Env holds extra environment variables for `go build`, such as GOCACHE
	// or GOPROXY. CGO_ENABLED, GOOS and GOARCH are always set by the build,
	// and GOTOOLCHAIN is set to the toolchain that compiled this program
	// unless Env names one.
	Env []string
}

// Artifact is a built handler archive.
type Artifact struct {
	// ZipPath is the absolute path of the archive; its only entry is
	// `bootstrap`.
	ZipPath string
	// SHA256 is the hex SHA-256 of the archive bytes.
	SHA256 string
	// Base64SHA256 is the base64 SHA-256 of the archive bytes, the form
	// Lambda reports as CodeSha256.
	Base64SHA256 string
}

// BuildHandler cross-compiles a handler package for linux with the flags
// that make the binary byte-reproducible and packs it into a zip whose single entry is
// `bootstrap`, with a fixed time stamp and permissions. Building the same
// source twice yields identical archive bytes, so a second preview shows no
// change to the function code. A failing build returns an error carrying the
// compiler's output.
func BuildHandler(ctx context.Context, opts BuildOptions) (Artifact, error) {
	moduleDir, err := filepath.Abs(cmp.Or(opts.ModuleDir, "."))
	if err != nil {
		return Artifact{}, fmt.Errorf("resolving module directory: %w", err)
	}
	pkg := cmp.Or(opts.Package, DefaultHandlerPackage)
	goarch := cmp.Or(opts.GOARCH, "arm64")
	outDir := cmp.Or(opts.OutDir, DefaultBuildDir)
	if !filepath.IsAbs(outDir) {
		outDir = filepath.Join(moduleDir, outDir)
	}
	outDir = filepath.Join(outDir, filepath.Base(filepath.FromSlash(pkg)), goarch)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Artifact{}, fmt.Errorf("creating build directory: %w", err)
	}

	binPath := filepath.Join(outDir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build",
		"-trimpath",
		"-buildvcs=false",
		"-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=",
		"-o", binPath,
		pkg,
	)
	cmd.Dir = moduleDir
	// The handler is compiled by the toolchain that compiled this program
	// (go.mod's), even on a machine whose own go is older and whose
	// GOTOOLCHAIN is "local": otherwise that go refuses the module.
	env := append(gotoolchain.Environ(os.Environ()), opts.Env...)
	cmd.Env = append(env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return Artifact{}, fmt.Errorf("building handler %s for linux/%s: %w\n%s",
			pkg, goarch, err, strings.TrimSpace(out.String()))
	}

	zipPath := filepath.Join(outDir, "bootstrap.zip")
	sum, err := writeZip(binPath, zipPath)
	if err != nil {
		return Artifact{}, fmt.Errorf("packaging handler: %w", err)
	}
	return Artifact{
		ZipPath:      zipPath,
		SHA256:       hex.EncodeToString(sum),
		Base64SHA256: base64.StdEncoding.EncodeToString(sum),
	}, nil
}

// writeZip packs binPath as the single entry `bootstrap` (mode 0755, fixed
// time stamp) into zipPath, replacing it atomically, and returns the SHA-256
// of the archive bytes.
func writeZip(binPath, zipPath string) (sum []byte, err error) {
	bin, err := os.Open(binPath)
	if err != nil {
		return nil, fmt.Errorf("opening binary: %w", err)
	}
	defer bin.Close()

	tmp, err := os.CreateTemp(filepath.Dir(zipPath), ".bootstrap-*.zip")
	if err != nil {
		return nil, fmt.Errorf("creating archive: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	h := sha256.New()
	zw := zip.NewWriter(io.MultiWriter(tmp, h))
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipEpoch}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, fmt.Errorf("adding bootstrap entry: %w", err)
	}
	if _, err := io.Copy(w, bin); err != nil {
		return nil, fmt.Errorf("compressing binary: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("finishing archive: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing archive: %w", err)
	}
	if err := os.Rename(tmp.Name(), zipPath); err != nil {
		return nil, fmt.Errorf("moving archive into place: %w", err)
	}
	return h.Sum(nil), nil
}

// FileSHA256 returns the hex SHA-256 of a file's bytes.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
