package secrets

import (
	"errors"
	"strings"
)

// Reference schemes.
const (
	SchemeLiteral = ""      // the value is the secret itself
	SchemeEnv     = "env"   // env:NAME
	SchemeFile    = "file"  // file:/path
	SchemeAWSSM   = "awssm" // awssm:NAME[:STAGE][#field]
	SchemeVault   = "vault" // vault:mount/path[#field]
)

// Version stages of AWS Secrets Manager that paywarden reads. During a
// rotation both are loaded, so that a rolling webhook secret is accepted
// under its old and its new value.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// Ref is a parsed secret reference. Its String never contains a secret
// value, so a Ref may be shown in errors and logs.
type Ref struct {
	Scheme string // one of the Scheme constants
	// Name is the environment variable (env), the path (file), the secret
	// id or ARN (awssm) or the path below the mount (vault).
	Name  string
	Mount string // vault only: the KV v2 mount
	Stage string // awssm only: StageCurrent unless given
	Field string // awssm and vault: the JSON field; "" takes the whole value (awssm) or the only field (vault)

	literal string
}

// Literal returns the value of a literal Ref, the secret itself.
func (r Ref) Literal() string { return r.literal }

// IsManaged reports whether the secret comes from a secrets manager, and so
// is re-read every refresh interval.
func (r Ref) IsManaged() bool { return r.Scheme == SchemeAWSSM || r.Scheme == SchemeVault }

// String describes where the secret comes from, never its value.
func (r Ref) String() string {
	switch r.Scheme {
	case SchemeLiteral:
		return "literal value"
	case SchemeEnv, SchemeFile:
		return r.Scheme + ":" + r.Name
	case SchemeAWSSM:
		s := "awssm:" + r.Name
		if r.Stage != StageCurrent {
			s += ":" + r.Stage
		}
		return withField(s, r.Field)
	case SchemeVault:
		return withField("vault:"+r.Mount+"/"+r.Name, r.Field)
	}
	return "unknown"
}

func withField(s, field string) string {
	if field == "" {
		return s
	}
	return s + "#" + field
}

// ParseRef parses a configured secret: a reference when it starts with
// env:, file:, awssm: or vault:, else a literal value.
//
// AWS secret names may carry a version stage after a colon,
// awssm:prod/stripe:AWSPREVIOUS#webhook_secret; secret names cannot contain
// a colon, so this is unambiguous. For an ARN
// (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) the stage is an eighth
// colon-separated part.
//
// Errors never repeat the input: a mistyped reference may be a pasted secret.
func ParseRef(s string) (Ref, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Ref{Scheme: SchemeLiteral, literal: s}, nil
	}
	switch scheme {
	case SchemeEnv:
		if !validEnvName(rest) {
			return Ref{}, errors.New("malformed env: reference: want env:NAME, a variable name of letters, digits and underscores")
		}
		return Ref{Scheme: SchemeEnv, Name: rest}, nil
	case SchemeFile:
		if rest == "" {
			return Ref{}, errors.New("malformed file: reference: want file:/path")
		}
		return Ref{Scheme: SchemeFile, Name: rest}, nil
	case SchemeAWSSM:
		return parseAWSSM(rest)
	case SchemeVault:
		return parseVault(rest)
	}
	return Ref{Scheme: SchemeLiteral, literal: s}, nil
}

func parseAWSSM(rest string) (Ref, error) {
	name, field, _ := strings.Cut(rest, "#")
	stage := StageCurrent
	parts := strings.Split(name, ":")
	switch {
	case parts[0] == "arn" && len(parts) == 8:
		name, stage = strings.Join(parts[:7], ":"), parts[7]
	case parts[0] == "arn" && len(parts) == 7:
	case parts[0] != "arn" && len(parts) == 2:
		name, stage = parts[0], parts[1]
	case parts[0] != "arn" && len(parts) == 1:
	default:
		return Ref{}, errors.New("malformed awssm: reference: want awssm:NAME[:STAGE][#field]")
	}
	if name == "" || stage == "" || strings.ContainsAny(name, " \t\r\n") {
		return Ref{}, errors.New("malformed awssm: reference: want awssm:NAME[:STAGE][#field]")
	}
	if strings.HasSuffix(rest, "#") {
		return Ref{}, errors.New("malformed awssm: reference: empty field after #")
	}
	return Ref{Scheme: SchemeAWSSM, Name: name, Stage: stage, Field: field}, nil
}

func parseVault(rest string) (Ref, error) {
	full, field, _ := strings.Cut(rest, "#")
	mount, path, ok := strings.Cut(strings.Trim(full, "/"), "/")
	if !ok || mount == "" || path == "" || strings.ContainsAny(full, " \t\r\n?") || strings.HasSuffix(rest, "#") {
		return Ref{}, errors.New("malformed vault: reference: want vault:mount/path[#field]")
	}
	return Ref{Scheme: SchemeVault, Mount: mount, Name: path, Field: field}, nil
}

func validEnvName(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
