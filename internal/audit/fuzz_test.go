package audit

import (
	"bytes"
	"strings"
	"testing"
)

// Native fuzz tests for every parser the scanner runs on untrusted input.
// Seeds come from the rule fixtures' shapes; run one with, for example,
// go test -fuzz=FuzzCheckFile ./internal/audit.

func FuzzFindSecrets(f *testing.F) {
	f.Add([]byte("key = \"" + fakeLive("a1") + "\""))
	f.Add([]byte("whsec_" + strings.Repeat("deadbeef", 8)))
	f.Add([]byte("sk_test_... rk_live_xxx whsec_123 sk_live_"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, h := range findSecrets(b) {
			if h.off < 0 || h.end > len(b) || string(b[h.off:h.end]) != h.value {
				t.Fatalf("hit %+v does not point at its value", h)
			}
			r := redact(h.kind.prefix, h.value).String()
			if strings.Contains(r, h.value[len(h.kind.prefix):]) {
				t.Fatalf("redacted form %q shows the key body", r)
			}
		}
	})
}

func FuzzLexers(f *testing.F) {
	f.Add([]byte("s = '''doc\n# not a comment'''\n# comment 'x'\nx = \"a\\\"b\""), uint8(langPython))
	f.Add([]byte("const r = /[/]+/g; // c\nconst t = `a ${b + `c ${d}`} e`; /* x */"), uint8(langJS))
	f.Add([]byte("var s = `raw\n` // c\nvar r = '\\''"), uint8(langGo))
	f.Add([]byte("KEY=a#b # comment"), uint8(langEnv))
	f.Fuzz(func(t *testing.T, b []byte, l uint8) {
		src := newSource("f", lang(l%11), b)
		if len(src.code) != len(b) {
			t.Fatalf("code view is %d bytes, want %d", len(src.code), len(b))
		}
		if bytes.Count(src.code, []byte("\n")) != bytes.Count(b, []byte("\n")) {
			t.Fatal("code view lost or added newlines")
		}
		last := 0
		for _, s := range src.strs {
			if s.start < last || s.end < s.start || s.end > len(b) {
				t.Fatalf("bad string span %+v after %d in %d bytes", s, last, len(b))
			}
			last = s.end
		}
	})
}

// FuzzCheckFile runs every per-file rule on arbitrary content under every
// language's file name: nothing may panic.
func FuzzCheckFile(f *testing.F) {
	f.Add([]byte("import stripe\ntry:\n    stripe.Charge.create()\nexcept:\n    pass\n"), "app.py")
	f.Add([]byte("app.use(express.json());\napp.post('/webhook', (req, res) => { try { stripe.webhooks.constructEvent(req.body, s, k, 0) } catch (e) {} })"), "server.js")
	f.Add([]byte("package x\nimport \"github.com/stripe/stripe-go/v85\"\nvar e stripe.Event\nfunc h(r *http.Request) { json.Unmarshal(b, &e); if err != nil {"), "h.go")
	f.Add([]byte("stripe==1.0\n--extra-index-url http://x\n"), "requirements.txt")
	f.Add([]byte("{\"dependencies\":{\"stripe\":\"*\"}}"), "package.json")
	f.Add([]byte("{\"packages\":{\"node_modules/a\":{\"version\":\"1.0.0\"}}}"), "package-lock.json")
	f.Add([]byte("require (\n\tgithub.com/stripe/stripe-go/v72 v72.0.0\n)\nreplace a => b v1\n"), "go.mod")
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = \"1\"\n"), "poetry.lock")
	f.Add([]byte("[tool.poetry.dependencies]\nstripe = \"*\"\n"), "pyproject.toml")
	f.Add([]byte("[packages]\nstripe = {version = \"*\"}\n"), "Pipfile")
	f.Add([]byte("STRIPE_KEY=abc\nA=b\n"), ".env")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		if strings.ContainsAny(name, "\x00") {
			return
		}
		fc := &fileCtx{tree: &tree{arg: "."}, rel: name, data: b}
		checkFile(fc)
		for _, fd := range fc.findings {
			if fd.Line < 0 || fd.Column < 0 {
				t.Fatalf("finding %+v has a negative position", fd)
			}
		}
	})
}

func FuzzParseOSV(f *testing.F) {
	f.Add([]byte(`{"id":"GO-1","affected":[{"package":{"name":"m","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}`))
	f.Add([]byte("id: PYSEC-1\naffected:\n- package:\n    name: a\n    ecosystem: PyPI\n  versions: ['1.0']\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseOSV(b)
		if err != nil {
			return
		}
		a.affects("PyPI", "a", "1.0")
		a.affects("Go", "m", "1.1.0")
		a.Fixed("PyPI", "a")
	})
}

func FuzzVersionCompare(f *testing.F) {
	f.Add("1.0rc1", "1.0")
	f.Add("v1.2.3-alpha.1", "1.2.3")
	f.Add("1!2.0.post1.dev3", "2.0")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, eco := range []string{"PyPI", "Go"} {
			if x, y := compareVersions(eco, a, b), compareVersions(eco, b, a); x != -y {
				t.Fatalf("%s: compare(%q, %q) = %d but compare(%q, %q) = %d", eco, a, b, x, b, a, y)
			}
		}
	})
}

func FuzzGitignore(f *testing.F) {
	f.Add("*.log\n!keep.log\nbuild/\n/root-only\n**/deep/**\n[abc]?.txt\n\\#literal", "a/b/keep.log")
	f.Fuzz(func(t *testing.T, patterns, p string) {
		l := &ignoreList{}
		l.addFile("", []byte(patterns))
		l.match(p, false)
		l.matchPath(p)
	})
}
