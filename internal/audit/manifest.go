package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// dependency is one package a manifest asks for.
type dependency struct {
	eco     string // "PyPI", "npm" or "Go"
	name    string
	version string // the exact version, when the manifest pins one
	spec    string // the constraint as written
	line    int
	direct  bool // named by the project, not only by a lock file
}

// major returns the major version the dependency pins or starts from.
func (d dependency) major() int {
	if d.version != "" {
		return majorOf(d.version)
	}
	// A lower bound: ">=5,<7" starts at 5; "^12" at 12.
	for _, part := range strings.Split(d.spec, ",") {
		p := strings.TrimSpace(part)
		if strings.HasPrefix(p, "<") || strings.HasPrefix(p, "!=") {
			continue
		}
		if m := majorOf(p); m > 0 {
			return m
		}
	}
	return 0
}

// indexSite is a package index other than the default one.
type indexSite struct {
	url, how string
	line     int
}

// goReplace is a replace directive of a go.mod.
type goReplace struct {
	old, new string
	line     int
}

// manifest is what a dependency manifest or lock file declares.
type manifest struct {
	kind     string
	deps     []dependency
	indexes  []indexSite
	replaces []goReplace
}

// manifestKind names the manifest formats by file name, or "".
func manifestKind(rel string) string {
	base := strings.ToLower(path.Base(rel))
	switch {
	case base == "pipfile":
		return "Pipfile"
	case base == "pipfile.lock":
		return "Pipfile.lock"
	case base == "pyproject.toml":
		return "pyproject.toml"
	case base == "poetry.lock":
		return "poetry.lock"
	case base == "package.json":
		return "package.json"
	case base == "package-lock.json" || base == "npm-shrinkwrap.json":
		return "package-lock.json"
	case base == "go.mod":
		return "go.mod"
	case base == ".npmrc":
		return ".npmrc"
	case base == "pip.conf" || base == "pip.ini":
		return "pip.conf"
	case strings.HasPrefix(base, "requirements") && (strings.HasSuffix(base, ".txt") || strings.HasSuffix(base, ".in")),
		strings.HasSuffix(base, "requirements.txt"),
		path.Base(path.Dir(rel)) == "requirements" && strings.HasSuffix(base, ".txt"):
		return "requirements"
	}
	return ""
}

// checkManifest parses f if it is a manifest, keeping what the repository
// checks need. A manifest that does not parse is skipped: it is reported
// by the tools that read it.
func checkManifest(f *fileCtx) {
	kind := manifestKind(f.rel)
	if kind == "" || !f.rules.family(FamilyDeps) && !f.rules.family(FamilyAPIVersion) {
		return
	}
	m := &manifest{kind: kind}
	switch kind {
	case "requirements":
		parseRequirements(f.data, m)
	case "Pipfile":
		parsePipfile(f.data, m)
	case "Pipfile.lock":
		parsePipfileLock(f.data, m)
	case "pyproject.toml":
		parsePyproject(f.data, m)
	case "poetry.lock":
		parsePoetryLock(f.data, m)
	case "package.json":
		parsePackageJSON(f.data, m)
	case "package-lock.json":
		parsePackageLock(f.data, m)
	case "go.mod":
		parseGoMod(f.data, m)
	case ".npmrc":
		parseNpmrc(f.data, m)
	case "pip.conf":
		parsePipConf(f.data, m)
	}
	f.facts.manifest = m
}

// A requirement line: name[extras] constraint ; markers.
var reqLine = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)`)

// exactPEP440 returns the version pinned by a constraint such as
// "==1.2.3", or "" for ranges and wildcards.
func exactPEP440(spec string) string {
	spec = strings.TrimSpace(spec)
	if strings.Contains(spec, ",") {
		return ""
	}
	for _, op := range []string{"===", "=="} {
		if strings.HasPrefix(spec, op) {
			v := strings.TrimSpace(spec[len(op):])
			if v == "" || strings.ContainsAny(v, "*") {
				return ""
			}
			return v
		}
	}
	return ""
}

func parseRequirements(data []byte, m *manifest) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '-' {
			f := strings.Fields(strings.Replace(line, "=", " ", 1))
			switch f[0] {
			case "-i", "--index-url", "--extra-index-url", "-f", "--find-links":
				if len(f) > 1 {
					m.indexes = append(m.indexes, indexSite{url: f[1], how: f[0], line: n})
				}
			}
			continue
		}
		if strings.Contains(line, "://") || strings.HasPrefix(line, ".") || strings.HasPrefix(line, "/") {
			continue // a URL or a path, not a name from an index
		}
		r := reqLine.FindStringSubmatch(line)
		if r == nil {
			continue
		}
		spec := strings.TrimSpace(r[3])
		m.deps = append(m.deps, dependency{eco: "PyPI", name: r[1], spec: spec, version: exactPEP440(spec), line: n, direct: true})
	}
}

// lineOf returns the first line of data matching re, or 1.
func lineOfRe(data []byte, re *regexp.Regexp) int {
	loc := re.FindIndex(data)
	if loc == nil {
		return 1
	}
	return bytes.Count(data[:loc[0]], []byte("\n")) + 1
}

// lineOfKey returns the line that first names key as a key or quoted
// string, or 1.
func lineOfKey(data []byte, key string) int {
	re := regexp.MustCompile(`(?m)(?:^|["'\s])(` + regexp.QuoteMeta(key) + `)["']?[ \t]*[=:]`)
	loc := re.FindSubmatchIndex(data)
	if loc == nil {
		return 1
	}
	return bytes.Count(data[:loc[2]], []byte("\n")) + 1
}

// pipSpec reads a Pipfile or Poetry dependency value: "*", "==1.0" or a
// table with a version.
func pipSpec(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := x["version"].(string); ok {
			return s
		}
		if _, ok := x["git"]; ok {
			return "git"
		}
		if _, ok := x["path"]; ok {
			return "path"
		}
	}
	return ""
}

func parsePipfile(data []byte, m *manifest) {
	var p struct {
		Source      []struct{ Name, URL string } `toml:"source"`
		Packages    map[string]any               `toml:"packages"`
		DevPackages map[string]any               `toml:"dev-packages"`
	}
	if _, err := toml.Decode(string(data), &p); err != nil {
		return
	}
	for _, s := range p.Source {
		if !isDefaultPyPI(s.URL) {
			m.indexes = append(m.indexes, indexSite{url: s.URL, how: "[[source]]", line: lineOfRe(data, regexp.MustCompile(regexp.QuoteMeta(s.URL)))})
		}
	}
	for _, group := range []map[string]any{p.Packages, p.DevPackages} {
		for _, name := range sortedKeys(group) {
			spec := pipSpec(group[name])
			if spec == "git" || spec == "path" {
				continue
			}
			if spec == "*" {
				spec = ""
			}
			m.deps = append(m.deps, dependency{eco: "PyPI", name: name, spec: spec, version: exactPEP440(spec), line: lineOfKey(data, name), direct: true})
		}
	}
}

func parsePipfileLock(data []byte, m *manifest) {
	var p struct {
		Meta struct {
			Sources []struct{ URL string } `json:"sources"`
		} `json:"_meta"`
		Default map[string]struct{ Version string } `json:"default"`
		Develop map[string]struct{ Version string } `json:"develop"`
	}
	if json.Unmarshal(data, &p) != nil {
		return
	}
	for _, group := range []map[string]struct{ Version string }{p.Default, p.Develop} {
		names := make([]string, 0, len(group))
		for n := range group {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			v := exactPEP440(group[name].Version)
			if v != "" {
				m.deps = append(m.deps, dependency{eco: "PyPI", name: name, spec: group[name].Version, version: v, line: lineOfKey(data, name)})
			}
		}
	}
}

func parsePyproject(data []byte, m *manifest) {
	var p struct {
		Project struct {
			Dependencies         []string            `toml:"dependencies"`
			OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		} `toml:"project"`
		Tool struct {
			Poetry struct {
				Dependencies    map[string]any `toml:"dependencies"`
				DevDependencies map[string]any `toml:"dev-dependencies"`
				Group           map[string]struct {
					Dependencies map[string]any `toml:"dependencies"`
				} `toml:"group"`
				Source []struct{ Name, URL, Priority string } `toml:"source"`
			} `toml:"poetry"`
			UV struct {
				Index         []struct{ Name, URL string } `toml:"index"`
				ExtraIndexURL []string                     `toml:"extra-index-url"`
				IndexURL      string                       `toml:"index-url"`
			} `toml:"uv"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(data), &p); err != nil {
		return
	}
	reqs := append([]string{}, p.Project.Dependencies...)
	for _, k := range sortedKeys(p.Project.OptionalDependencies) {
		reqs = append(reqs, p.Project.OptionalDependencies[k]...)
	}
	for _, req := range reqs {
		r := reqLine.FindStringSubmatch(strings.TrimSpace(req))
		if r == nil || strings.Contains(req, "://") || strings.Contains(req, " @ ") {
			continue
		}
		spec := strings.TrimSpace(r[3])
		m.deps = append(m.deps, dependency{eco: "PyPI", name: r[1], spec: spec, version: exactPEP440(spec), line: lineOfRe(data, regexp.MustCompile(`["']`+regexp.QuoteMeta(r[1]))), direct: true})
	}
	groups := []map[string]any{p.Tool.Poetry.Dependencies, p.Tool.Poetry.DevDependencies}
	for _, k := range sortedKeys(p.Tool.Poetry.Group) {
		groups = append(groups, p.Tool.Poetry.Group[k].Dependencies)
	}
	for _, g := range groups {
		for _, name := range sortedKeys(g) {
			if strings.EqualFold(name, "python") {
				continue
			}
			spec := pipSpec(g[name])
			if spec == "git" || spec == "path" {
				continue
			}
			if spec == "*" {
				spec = ""
			}
			version := ""
			if isPlainVersion(spec) {
				version = spec // Poetry reads a bare version as ==
			} else {
				version = exactPEP440(spec)
			}
			m.deps = append(m.deps, dependency{eco: "PyPI", name: name, spec: spec, version: version, line: lineOfKey(data, name), direct: true})
		}
	}
	for _, s := range p.Tool.Poetry.Source {
		m.indexes = append(m.indexes, indexSite{url: s.URL, how: "[[tool.poetry.source]]", line: lineOfRe(data, regexp.MustCompile(regexp.QuoteMeta(s.URL)))})
	}
	for _, s := range p.Tool.UV.Index {
		m.indexes = append(m.indexes, indexSite{url: s.URL, how: "[[tool.uv.index]]", line: lineOfRe(data, regexp.MustCompile(regexp.QuoteMeta(s.URL)))})
	}
	for _, u := range p.Tool.UV.ExtraIndexURL {
		m.indexes = append(m.indexes, indexSite{url: u, how: "extra-index-url", line: lineOfRe(data, regexp.MustCompile(regexp.QuoteMeta(u)))})
	}
	if u := p.Tool.UV.IndexURL; u != "" && !isDefaultPyPI(u) {
		m.indexes = append(m.indexes, indexSite{url: u, how: "index-url", line: lineOfRe(data, regexp.MustCompile(regexp.QuoteMeta(u)))})
	}
}

var plainVersion = regexp.MustCompile(`^\d+(\.\d+)*([a-z]+\d*)?$`)

func isPlainVersion(s string) bool { return plainVersion.MatchString(s) }

func parsePoetryLock(data []byte, m *manifest) {
	var p struct {
		Package []struct {
			Name, Version string
			Source        struct{ Type, URL string } `toml:"source"`
		} `toml:"package"`
	}
	if _, err := toml.Decode(string(data), &p); err != nil {
		return
	}
	for _, pkg := range p.Package {
		if pkg.Source.Type == "git" || pkg.Source.Type == "directory" || pkg.Source.Type == "file" {
			continue
		}
		line := lineOfRe(data, regexp.MustCompile(`(?m)^name\s*=\s*"`+regexp.QuoteMeta(pkg.Name)+`"`))
		m.deps = append(m.deps, dependency{eco: "PyPI", name: pkg.Name, spec: "==" + pkg.Version, version: pkg.Version, line: line})
		if pkg.Source.URL != "" && !isDefaultPyPI(pkg.Source.URL) {
			m.indexes = append(m.indexes, indexSite{url: pkg.Source.URL, how: "package source", line: line})
		}
	}
}

func parsePackageJSON(data []byte, m *manifest) {
	var p map[string]json.RawMessage
	if json.Unmarshal(data, &p) != nil {
		return
	}
	for _, key := range []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"} {
		var deps map[string]string
		if json.Unmarshal(p[key], &deps) != nil {
			continue
		}
		for _, name := range sortedKeys(deps) {
			spec := strings.TrimSpace(deps[name])
			if strings.Contains(spec, ":") || strings.Contains(spec, "/") {
				continue // git, file, workspace, npm: aliases, tarball URLs
			}
			version := ""
			if s := strings.TrimPrefix(spec, "="); parseSemver(s).ok && !strings.ContainsAny(s, "xX*") {
				version = s
			}
			m.deps = append(m.deps, dependency{eco: "npm", name: name, spec: spec, version: version, line: lineOfKey(data, `"`+name+`"`), direct: true})
		}
	}
}

func parsePackageLock(data []byte, m *manifest) {
	var p struct {
		Packages     map[string]struct{ Version, Resolved string } `json:"packages"`
		Dependencies map[string]json.RawMessage                    `json:"dependencies"`
	}
	if json.Unmarshal(data, &p) != nil {
		return
	}
	seen := map[string]bool{}
	add := func(name, version, resolved string) {
		if name == "" || version == "" || seen[name+"@"+version] {
			return
		}
		seen[name+"@"+version] = true
		m.deps = append(m.deps, dependency{eco: "npm", name: name, spec: version, version: version, line: lineOfKey(data, `"node_modules/`+name+`"`)})
		if resolved != "" && strings.HasPrefix(resolved, "http") && !strings.HasPrefix(resolved, "https://registry.npmjs.org/") && !strings.HasPrefix(resolved, "https://registry.yarnpkg.com/") {
			m.indexes = append(m.indexes, indexSite{url: resolved, how: "resolved", line: lineOfRe(data, regexp.MustCompile(regexp.QuoteMeta(resolved)))})
		}
	}
	if len(p.Packages) > 0 {
		for _, k := range sortedKeys(p.Packages) {
			i := strings.LastIndex(k, "node_modules/")
			if i < 0 {
				continue
			}
			add(k[i+len("node_modules/"):], p.Packages[k].Version, p.Packages[k].Resolved)
		}
		return
	}
	var walk func(map[string]json.RawMessage)
	walk = func(deps map[string]json.RawMessage) {
		for _, name := range sortedKeys(deps) {
			var d struct {
				Version, Resolved string
				Dependencies      map[string]json.RawMessage
			}
			if json.Unmarshal(deps[name], &d) == nil {
				add(name, d.Version, d.Resolved)
				walk(d.Dependencies)
			}
		}
	}
	walk(p.Dependencies)
}

func parseGoMod(data []byte, m *manifest) {
	block := ""
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		n++
		line := sc.Text()
		indirect := strings.Contains(line, "// indirect")
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == ")" {
			block = ""
			continue
		}
		if len(f) >= 2 && f[len(f)-1] == "(" {
			block = f[0]
			continue
		}
		verb := block
		if verb == "" {
			verb, f = f[0], f[1:]
		}
		switch verb {
		case "require":
			if len(f) >= 2 {
				m.deps = append(m.deps, dependency{eco: "Go", name: unquote(f[0]), spec: f[1], version: strings.TrimPrefix(f[1], "v"), line: n, direct: !indirect})
			}
		case "replace":
			for i, t := range f {
				if t == "=>" && i+1 < len(f) {
					m.replaces = append(m.replaces, goReplace{old: unquote(f[0]), new: unquote(f[i+1]), line: n})
				}
			}
		}
	}
}

func unquote(s string) string { return strings.Trim(s, "\"`") }

func parseNpmrc(data []byte, m *manifest) {
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		// A scoped registry (@corp:registry=) is the fix for dependency
		// confusion, not a cause of it.
		if strings.TrimSpace(k) == "registry" && !strings.HasPrefix(strings.TrimSpace(v), "https://registry.npmjs.org") {
			m.indexes = append(m.indexes, indexSite{url: strings.TrimSpace(v), how: "registry", line: i + 1})
		}
	}
}

func parsePipConf(data []byte, m *manifest) {
	for i, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if (k == "extra-index-url" || k == "index-url" || k == "find-links") && !isDefaultPyPI(v) {
			m.indexes = append(m.indexes, indexSite{url: v, how: k, line: i + 1})
		}
	}
}

func isDefaultPyPI(u string) bool {
	u = strings.TrimRight(strings.ToLower(u), "/")
	return u == "https://pypi.org/simple" || u == "https://pypi.python.org/simple" || u == "https://pypi.org"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
