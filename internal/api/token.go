package api

import "strings"

// ParseScopes splits a comma-separated scope list, as --scope takes it.
func ParseScopes(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
