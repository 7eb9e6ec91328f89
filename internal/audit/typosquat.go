package audit

import (
	_ "embed"
	"encoding/csv"
	"strconv"
	"strings"
	"sync"
)

// topPyPI is hugovk/top-pypi-packages: the 15,000 most downloaded PyPI
// projects over 30 days, as "download_count,project".
//
//go:embed data/top-pypi-packages.csv
var topPyPICSV string

//go:embed data/npm-popular.txt
var npmPopularTxt string

// popular is a set of well-known names of one ecosystem, each with its
// rank (0 is the most popular).
type popular struct {
	rank  map[string]int
	names []string
}

var popularPyPI = sync.OnceValue(func() *popular {
	p := &popular{rank: map[string]int{}}
	r := csv.NewReader(strings.NewReader(topPyPICSV))
	recs, _ := r.ReadAll()
	for _, rec := range recs {
		if len(rec) != 2 {
			continue
		}
		if _, err := strconv.Atoi(rec[0]); err != nil {
			continue // the header
		}
		p.add(normalizeName("PyPI", rec[1]))
	}
	return p
})

var popularNPM = sync.OnceValue(func() *popular {
	p := &popular{rank: map[string]int{}}
	for _, line := range strings.Split(npmPopularTxt, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			p.add(strings.ToLower(line))
		}
	}
	return p
})

func (p *popular) add(name string) {
	if _, ok := p.rank[name]; !ok {
		p.rank[name] = len(p.names)
		p.names = append(p.names, name)
	}
}

// affixes are what squatters add to a popular name to make a plausible
// "official" package: stripe-python, python-stripe, stripe-api.
var (
	lookalikeSuffixes = []string{"-python", "-py", "-py3", "-client", "-api", "-sdk", "-node", "-nodejs", "-js", "-lib", "-official", "-dev", "py", "js", "2", "3"}
	lookalikePrefixes = []string{"python-", "py-", "py", "node-", "js-", "official-", "pip-", "npm-"}
)

// lookalike returns the popular name that name imitates, and how, or "".
// Names that are themselves popular are legitimate. Distance matching is
// limited to the most popular names, where a squat pays off, and to names
// long enough that one edit is not another ordinary word.
func lookalike(eco, name string) (target, how string) {
	var p *popular
	switch eco {
	case "PyPI":
		p = popularPyPI()
	case "npm":
		p = popularNPM()
	default:
		return "", ""
	}
	n := normalizeName(eco, name)
	if _, ok := p.rank[n]; ok {
		return "", ""
	}
	// The Stripe SDK is what this tool is about: check it with more reach.
	for _, off := range []string{"stripe"} {
		if t, h := imitates(n, off, 2); t != "" {
			return t, h
		}
	}
	for _, s := range lookalikeSuffixes {
		if base := strings.TrimSuffix(n, s); base != n && len(base) >= 4 {
			if r, ok := p.rank[base]; ok && r < 5000 {
				return base, "adds " + strconv.Quote(s) + " to"
			}
		}
	}
	for _, s := range lookalikePrefixes {
		if base := strings.TrimPrefix(n, s); base != n && len(base) >= 4 {
			if r, ok := p.rank[base]; ok && r < 5000 {
				return base, "adds " + strconv.Quote(s) + " to"
			}
		}
	}
	if len(n) < 5 {
		return "", ""
	}
	limit := min(len(p.names), 5000)
	for _, cand := range p.names[:limit] {
		if len(cand) < 5 || abs(len(cand)-len(n)) > 1 {
			continue
		}
		if h := oneEdit(n, cand); h != "" {
			return cand, h
		}
	}
	return "", ""
}

// imitates reports whether n imitates target: one or two edits away, or
// target with an affix.
func imitates(n, target string, maxDist int) (string, string) {
	if n == target {
		return "", ""
	}
	for _, s := range lookalikeSuffixes {
		if n == target+s {
			return target, "adds " + strconv.Quote(s) + " to"
		}
	}
	for _, s := range lookalikePrefixes {
		if n == s+target {
			return target, "adds " + strconv.Quote(s) + " to"
		}
	}
	if h := oneEdit(n, target); h != "" {
		return target, h
	}
	// Affixes stack: stripe-client-py, node-stripe-api, @stripe-js/stripe.
	if base, affixes := stripAffixes(n); affixes > 0 && base != n {
		if base == target {
			return target, "adds affixes to"
		}
		if h := oneEdit(base, target); h != "" {
			return target, h + " and adds affixes to"
		}
	}
	if maxDist >= 2 && len(n) >= 6 && abs(len(n)-len(target)) <= 2 && damerau(n, target) <= 2 {
		return target, "is two letters from"
	}
	return "", ""
}

// stripAffixes removes look-alike affixes from n for as long as any is
// left, and counts them. A scope counts as an affix: @x/stripe is stripe.
func stripAffixes(n string) (string, int) {
	count := 0
	if strings.HasPrefix(n, "@") {
		if i := strings.IndexByte(n, '/'); i > 0 {
			scope, rest := n[1:i], n[i+1:]
			if scope != "stripe" {
				count++
				n = rest
				if base, _ := stripAffixes(scope); base == "stripe" {
					n = "stripe" // @stripe-js/anything imitates Stripe's scope
				}
			}
		}
	}
	for changed := true; changed && count < 6; {
		changed = false
		for _, s := range lookalikeSuffixes {
			if base := strings.TrimSuffix(n, s); base != n && len(base) >= 4 {
				n, changed = strings.TrimRight(base, "-_."), true
				count++
				break
			}
		}
		for _, s := range lookalikePrefixes {
			if base := strings.TrimPrefix(n, s); base != n && len(base) >= 4 {
				n, changed = strings.TrimLeft(base, "-_."), true
				count++
				break
			}
		}
	}
	return n, count
}

// oneEdit describes how a differs from b by one edit, or returns "".
func oneEdit(a, b string) string {
	if a == b {
		return ""
	}
	switch {
	case len(a) == len(b):
		diff := -1
		for i := 0; i < len(a); i++ {
			if a[i] != b[i] {
				if diff >= 0 {
					// Two differences: a swap of neighbours is still one edit.
					if i == diff+1 && a[diff] == b[i] && a[i] == b[diff] && a[i+1:] == b[i+1:] {
						return "swaps two letters of"
					}
					return ""
				}
				diff = i
			}
		}
		return "changes one letter of"
	case len(a) == len(b)+1:
		for i := 0; i < len(b); i++ {
			if a[i] != b[i] {
				if a[i+1:] == b[i:] {
					if a[i] == b[i] || (i > 0 && a[i] == a[i-1]) {
						return "doubles a letter of"
					}
					return "adds a letter to"
				}
				return ""
			}
		}
		if a[len(b)] == b[len(b)-1] {
			return "doubles a letter of"
		}
		return "adds a letter to"
	case len(a)+1 == len(b):
		for i := 0; i < len(a); i++ {
			if a[i] != b[i] {
				if a[i:] == b[i+1:] {
					return "drops a letter of"
				}
				return ""
			}
		}
		return "drops a letter of"
	}
	return ""
}

// damerau is the optimal string alignment distance of a and b.
func damerau(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := 0; j <= len(b); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
