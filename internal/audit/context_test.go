package audit

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestContextSeverity checks that test code is reported one step lower,
// vendored code is skipped unless asked for and then two steps lower, and
// that FullSeverity reports both as if they were application code.
func TestContextSeverity(t *testing.T) {
	dir := filepath.Join("testdata", "rules", "webhooks", "context")
	find := func(rep *Report, part string) *Finding {
		for i, f := range rep.Findings {
			if strings.Contains(f.Path, part) && f.RuleID == "webhook-unverified" {
				return &rep.Findings[i]
			}
		}
		return nil
	}
	def := scanFixture(t, dir, Options{})
	if f := find(def, "tests/test_hooks.py"); f == nil || f.Severity != High {
		t.Errorf("test code: got %+v, want webhook-unverified at high", f)
	}
	if f := find(def, "vendor/"); f != nil {
		t.Errorf("vendored code reported without IncludeVendored: %+v", f)
	}
	if len(def.Summary.Notes) == 0 || !strings.Contains(strings.Join(def.Summary.Notes, "\n"), "vendored") {
		t.Errorf("notes %q do not say vendored files were skipped", def.Summary.Notes)
	}

	inc := scanFixture(t, dir, Options{IncludeVendored: true})
	if f := find(inc, "vendor/"); f == nil || f.Severity != Medium {
		t.Errorf("vendored code with IncludeVendored: got %+v, want webhook-unverified at medium", f)
	}
	for _, f := range inc.Findings {
		if f.RuleID == "webhook-tolerance-disabled" {
			t.Errorf("the SDK's own IgnoringTolerance definition reported: %+v", f)
		}
	}

	full := scanFixture(t, dir, Options{IncludeVendored: true, FullSeverity: true})
	for _, part := range []string{"vendor/", "tests/test_hooks.py"} {
		if f := find(full, part); f == nil || f.Severity != Critical {
			t.Errorf("%s with FullSeverity: got %+v, want webhook-unverified at critical", part, f)
		}
	}
}
