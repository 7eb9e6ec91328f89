package audit

import (
	"path"
	"strings"
)

// lang is the language a file is read as.
type lang int

const (
	langOther lang = iota
	langPython
	langJS // JavaScript and TypeScript
	langGo
	langRuby
	langEnv
	langYAML
	langJSON
	langTOML
	langMarkdown
	langShell
)

// langOf picks a file's language from its name.
func langOf(name string) lang {
	base := path.Base(name)
	ext := strings.ToLower(path.Ext(base))
	switch ext {
	case ".py", ".pyw", ".pyi":
		return langPython
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts":
		return langJS
	case ".go":
		return langGo
	case ".rb":
		return langRuby
	case ".env":
		return langEnv
	case ".yml", ".yaml":
		return langYAML
	case ".json":
		return langJSON
	case ".toml":
		return langTOML
	case ".md", ".markdown":
		return langMarkdown
	case ".sh", ".bash", ".zsh":
		return langShell
	}
	if isEnvName(base) {
		return langEnv
	}
	return langOther
}

// isCode reports whether l is a language whose code rules run.
func (l lang) isCode() bool { return l == langPython || l == langJS || l == langGo || l == langRuby }

// skippedExt lists extensions that are never text worth reading: checking
// the name is cheaper than reading the file to find a NUL byte.
var skippedExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".ico": true, ".webp": true,
	".pdf": true, ".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".rar": true,
	".jar": true, ".war": true, ".class": true, ".so": true, ".dylib": true, ".dll": true, ".exe": true, ".o": true, ".a": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".wav": true, ".ogg": true, ".webm": true,
	".pyc": true, ".pyo": true, ".wasm": true, ".db": true, ".sqlite": true, ".bin": true,
}

// isTestPath reports whether p looks like a test file, fixture or example,
// where findings weigh one severity step less.
func isTestPath(p string) bool {
	lp := strings.ToLower(p)
	base := path.Base(lp)
	if strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "test_") && strings.HasSuffix(base, ".py") ||
		strings.HasSuffix(base, "_test.py") || strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") ||
		base == "conftest.py" {
		return true
	}
	for _, dir := range strings.Split(path.Dir(lp), "/") {
		switch dir {
		case "test", "tests", "__tests__", "testdata", "fixtures", "spec", "testing",
			"example", "examples", "_examples", "sample", "samples", "demo", "demos":
			return true
		}
	}
	return false
}

// isVendoredPath reports whether p is someone else's code as installed:
// vendor/, third_party/, node_modules/, or a Go module cache, whose folders
// are named module@version.
func isVendoredPath(p string) bool {
	for _, dir := range strings.Split(path.Dir(p), "/") {
		switch dir {
		case "vendor", "third_party", "thirdparty", "node_modules", "bower_components", "site-packages":
			return true
		}
		if i := strings.Index(dir, "@v"); i > 0 && i+2 < len(dir) && dir[i+2] >= '0' && dir[i+2] <= '9' {
			return true
		}
	}
	return false
}
