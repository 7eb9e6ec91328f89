package audit

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// envTemplateSuffixes name the .env files meant to be committed: they hold
// placeholders, and the secrets rules still check their values.
var envTemplateSuffixes = []string{".example", ".sample", ".template", ".dist", ".defaults", ".schema", ".tmpl", ".tpl", ".ci"}

// isEnvName reports whether a file name is that of a dotenv file.
func isEnvName(base string) bool {
	base = strings.ToLower(base)
	switch {
	case base == ".env" || base == ".envrc" || base == ".env.local":
		return true
	case strings.HasPrefix(base, ".env."):
		return !isEnvTemplate(base)
	case strings.HasSuffix(base, ".env"):
		return true
	}
	return false
}

func isEnvTemplate(base string) bool {
	for _, s := range envTemplateSuffixes {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return false
}

var (
	envLine       = regexp.MustCompile(`^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(.*)$`)
	envSecretName = regexp.MustCompile(`(?i)(secret|key|token|passw|pwd|dsn|credential|private|auth|whsec)`)
	urlPassword   = regexp.MustCompile(`://[^/\s:@]+:[^@\s]+@`)
)

// checkEnvFile reports a dotenv file that git tracks, or that no
// .gitignore covers. Files are recognized by name and, for files with no
// known extension, by content: lines of KEY=value naming secrets.
func checkEnvFile(f *fileCtx) {
	if !f.rules.Has("secret-env-file") {
		return
	}
	base := path.Base(f.rel)
	byName := f.lang == langEnv && isEnvName(base)
	// By content: files of no structured format, and JavaScript files,
	// because an env file renamed .js or .mjs (to be imported, or by
	// mistake) is still an env file; code of that name rarely is lines
	// of KEY=value only.
	byContent := f.lang == langOther || f.lang == langJS
	if !byName && (!byContent || isEnvTemplate(strings.ToLower(base)) || !bytes.Contains(f.data, []byte("="))) {
		return
	}
	if !byName && f.lang == langOther && strings.Contains(base, ".") && !strings.HasSuffix(base, ".txt") && !strings.HasSuffix(base, ".cfg") && !strings.HasSuffix(base, ".conf") && !strings.HasSuffix(base, ".properties") && !strings.HasPrefix(base, ".") {
		return
	}
	assignments, other := 0, 0
	secretLine, secretName := 0, ""
	lineNo := 0
	for _, raw := range bytes.Split(f.data, []byte("\n")) {
		lineNo++
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' {
			continue
		}
		m := envLine.FindStringSubmatch(line)
		if m == nil {
			other++
			continue
		}
		assignments++
		named := envSecretName.MatchString(m[1]) && !isPlaceholderValue(m[2]) && !strings.Contains(strings.ToUpper(m[1]), "PUBLISHABLE")
		if secretLine == 0 && (named || urlPassword.MatchString(m[2])) {
			secretLine, secretName = lineNo, m[1]
		}
	}
	if !byName && (assignments < 2 || other*4 > assignments || secretLine == 0) {
		return
	}
	sev, line := Low, 1
	if secretLine > 0 {
		sev, line = High, secretLine
	}
	var why string
	switch {
	case f.tracked:
		why = "is committed to git"
	case f.tree.git:
		why = "is not covered by .gitignore"
	default:
		why = "is not covered by any .gitignore"
	}
	what := "Environment file"
	if !byName {
		what = "File in .env format"
	}
	msg := fmt.Sprintf("%s %s", what, why)
	if secretName != "" {
		msg += fmt.Sprintf(" and sets %s", secretName)
	}
	f.add(Finding{RuleID: "secret-env-file", Severity: sev, Line: line, Column: 1, Message: msg, anchor: "env-file"})
}

// isPlaceholderValue reports whether a configuration value is empty, a
// reference to another variable, or an obvious placeholder.
func isPlaceholderValue(v string) bool {
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	if len(v) < 4 {
		return true
	}
	lv := strings.ToLower(v)
	if strings.HasPrefix(v, "${") || strings.HasPrefix(v, "$(") || strings.HasPrefix(v, "<") || strings.HasPrefix(lv, "pk_") {
		return true
	}
	for _, w := range []string{"xxx", "...", "your", "changeme", "change_me", "placeholder", "example", "replace", "todo", "none", "null", "false", "true", "dummy"} {
		if strings.Contains(lv, w) {
			return true
		}
	}
	return false
}
