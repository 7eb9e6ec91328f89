package audit

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixtureScore measures recall and precision over every rule fixture:
// a want that is reported is a true positive, a want that is not is a
// miss, a finding no want asks for is a false alarm. TestRuleFixtures
// already demands a perfect score; this prints the figures (go test -v
// -run TestFixtureScore) so that they can be compared with an older
// scanner on the same fixtures.
func TestFixtureScore(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "rules", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var tp, fn, fp int
	for _, dir := range dirs {
		rep := scanFixture(t, dir, Options{Advisories: testAdvisories(t)})
		got := map[string]int{}
		prefix := filepath.ToSlash(dir) + "/"
		for _, f := range rep.Findings {
			got[fmt.Sprintf("%s:%d %s", strings.TrimPrefix(f.Path, prefix), f.Line, f.RuleID)]++
		}
		for _, w := range collectWants(t, dir) {
			if got[w] > 0 {
				got[w]--
				tp++
			} else {
				fn++
				t.Logf("missed: %s/%s", dir, w)
			}
		}
		for k, n := range got {
			fp += n
			if n > 0 {
				t.Logf("false alarm: %s/%s", dir, k)
			}
		}
	}
	recall := float64(tp) / float64(tp+fn)
	precision := float64(tp) / float64(tp+fp)
	t.Logf("fixtures: %d expected findings, %d found, %d missed, %d false alarms: recall %.3f, precision %.3f", tp+fn, tp, fn, fp, recall, precision)
}
