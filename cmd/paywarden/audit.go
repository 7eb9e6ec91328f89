package main

import (
	"context"
	"io"
)

// runAudit is replaced by the audit implementation.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usageErrorf("audit: not implemented yet")
}
