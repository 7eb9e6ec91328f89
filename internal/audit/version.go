package audit

import (
	"strconv"
	"strings"
)

// Version comparison for the ecosystems whose manifests are read. Each
// compare returns -1, 0 or +1, and never fails: an unparsable version
// compares by its text, so a bad record cannot stop a scan.

// compareVersions compares a and b by the rules of ecosystem eco.
func compareVersions(eco, a, b string) int {
	if eco == "PyPI" {
		return comparePEP440(a, b)
	}
	return compareSemver(a, b)
}

// semver is a parsed semantic version. Go modules and npm both use it;
// Go's "+incompatible" and build metadata are ignored.
type semver struct {
	nums [3]int
	pre  string
	ok   bool
}

func parseSemver(v string) semver {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "=")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	var s semver
	if i := strings.IndexByte(v, '-'); i >= 0 {
		s.pre = v[i+1:]
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return s
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return s
		}
		s.nums[i] = n
	}
	s.ok = true
	return s
}

func compareSemver(a, b string) int {
	x, y := parseSemver(a), parseSemver(b)
	if !x.ok || !y.ok {
		return strings.Compare(a, b)
	}
	for i := range 3 {
		if c := cmpInt(x.nums[i], y.nums[i]); c != 0 {
			return c
		}
	}
	switch {
	case x.pre == y.pre:
		return 0
	case x.pre == "":
		return 1 // a release is newer than its pre-releases
	case y.pre == "":
		return -1
	}
	return comparePrerelease(x.pre, y.pre)
}

func comparePrerelease(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, aerr := strconv.Atoi(as[i])
		bn, berr := strconv.Atoi(bs[i])
		switch {
		case aerr == nil && berr == nil:
			if c := cmpInt(an, bn); c != 0 {
				return c
			}
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		default:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(as), len(bs))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pep440 is a parsed Python version: epoch!release[{a|b|rc}N][.postN][.devN].
type pep440 struct {
	epoch   int
	release []int
	preKind int // 0 a, 1 b, 2 rc, 3 none (a final release sorts after its pre-releases)
	pre     int
	post    int // -1 when absent
	dev     int // -1 when absent
	ok      bool
}

func parsePEP440(v string) pep440 {
	p := pep440{preKind: 3, post: -1, dev: -1}
	s := strings.ToLower(strings.TrimSpace(v))
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i] // local version labels do not order public versions
	}
	if i := strings.IndexByte(s, '!'); i >= 0 {
		e, err := strconv.Atoi(s[:i])
		if err != nil {
			return p
		}
		p.epoch, s = e, s[i+1:]
	}
	i := 0
	for {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return p
		}
		n, _ := strconv.Atoi(s[i:j])
		p.release = append(p.release, n)
		i = j
		if i < len(s) && s[i] == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	rest := strings.TrimLeft(s[i:], ".-_")
	for rest != "" {
		var kind string
		for _, k := range []string{"alpha", "beta", "preview", "pre", "rc", "a", "b", "c", "post", "rev", "r", "dev"} {
			if strings.HasPrefix(rest, k) {
				kind = k
				break
			}
		}
		if kind == "" {
			return p
		}
		rest = strings.TrimLeft(rest[len(kind):], ".-_")
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(rest[:j])
		rest = strings.TrimLeft(rest[j:], ".-_")
		switch kind {
		case "a", "alpha":
			p.preKind, p.pre = 0, n
		case "b", "beta":
			p.preKind, p.pre = 1, n
		case "rc", "c", "pre", "preview":
			p.preKind, p.pre = 2, n
		case "post", "rev", "r":
			p.post = n
		case "dev":
			p.dev = n
		}
	}
	p.ok = true
	return p
}

func comparePEP440(a, b string) int {
	x, y := parsePEP440(a), parsePEP440(b)
	if !x.ok || !y.ok {
		return strings.Compare(a, b)
	}
	if c := cmpInt(x.epoch, y.epoch); c != 0 {
		return c
	}
	for i := 0; i < len(x.release) || i < len(y.release); i++ {
		var m, n int
		if i < len(x.release) {
			m = x.release[i]
		}
		if i < len(y.release) {
			n = y.release[i]
		}
		if c := cmpInt(m, n); c != 0 {
			return c
		}
	}
	// A dev release of a final version sorts before its pre-releases.
	xk, yk := x.preKind, y.preKind
	if xk == 3 && x.post < 0 && x.dev >= 0 {
		xk = -1
	}
	if yk == 3 && y.post < 0 && y.dev >= 0 {
		yk = -1
	}
	if c := cmpInt(xk, yk); c != 0 {
		return c
	}
	if c := cmpInt(x.pre, y.pre); c != 0 {
		return c
	}
	if c := cmpInt(x.post, y.post); c != 0 {
		return c
	}
	xd, yd := x.dev, y.dev
	if xd < 0 {
		xd = int(^uint(0) >> 1) // no dev segment sorts after any dev release
	}
	if yd < 0 {
		yd = int(^uint(0) >> 1)
	}
	return cmpInt(xd, yd)
}

// majorOf returns the first number of a version or constraint
// ("^12.1.0", ">=5", "~=7.0", "v82.0.0"), or 0.
func majorOf(v string) int {
	v = strings.TrimLeft(v, "^~=>< !v")
	j := 0
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(v[:j])
	return n
}
