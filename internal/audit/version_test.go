package audit

import "testing"

func TestComparePEP440(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0},
		{"1.0", "1.0.1", -1},
		{"1.10", "1.9", 1},
		{"1.0rc1", "1.0", -1},
		{"1.0a1", "1.0b1", -1},
		{"1.0.dev1", "1.0a1", -1},
		{"1.0.post1", "1.0", 1},
		{"1!0.1", "2.0", 1},
		{"2.0.0-beta.1", "2.0.0", -1},
		{"V3.7.4", "3.7.4", 0},
		{"3.7.4+local", "3.7.4", 0},
	} {
		if got := comparePEP440(tc.a, tc.b); got != tc.want {
			t.Errorf("comparePEP440(%q, %q): got %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := comparePEP440(tc.b, tc.a); got != -tc.want {
			t.Errorf("comparePEP440(%q, %q): got %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestCompareSemver(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v1.2.3", "1.2.3", 0},
		{"1.2.3", "1.10.0", -1},
		{"1.0.0-alpha", "1.0.0", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{"1.0.0-rc.1", "1.0.0-beta.11", 1},
		{"v0.0.0-20231108232855-2478ac86f678", "0.1.0", -1},
		{"2.0.0+incompatible", "2.0.0", 0},
	} {
		if got := compareSemver(tc.a, tc.b); got != tc.want {
			t.Errorf("compareSemver(%q, %q): got %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestLookalike(t *testing.T) {
	for _, tc := range []struct {
		eco, name, target string
	}{
		{"PyPI", "stripe", ""},
		{"PyPI", "strpie", "stripe"},
		{"PyPI", "stripe-python", "stripe"},
		{"PyPI", "python-stripe", "stripe"},
		{"PyPI", "stripe-client", "stripe"},
		{"PyPI", "sttripe", "stripe"},
		{"PyPI", "reqeusts", "requests"},
		{"PyPI", "requestss", "requests"},
		{"PyPI", "Requests", ""},
		{"PyPI", "urllib4", "urllib3"},
		{"PyPI", "boto3-api", "boto3"},
		{"PyPI", "flask-sqlalchemy", ""},
		{"PyPI", "my-internal-thing", ""},
		{"npm", "expresss", "express"},
		{"npm", "stripe-node", "stripe"},
		{"npm", "lodash", ""},
		{"npm", "axois", "axios"},
		{"Go", "github.com/x/y", ""},
	} {
		got, how := lookalike(tc.eco, tc.name)
		if got != tc.target {
			t.Errorf("lookalike(%s, %q): got %q (%s), want %q", tc.eco, tc.name, got, how, tc.target)
		}
	}
}
