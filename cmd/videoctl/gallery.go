package main

import (
	"context"
	"io"
)

func runGallery(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return usageError(stderr, "gallery", "not yet")
}
