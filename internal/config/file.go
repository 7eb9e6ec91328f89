package config

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// secretShape matches what looks like a Stripe key or webhook secret in
// text that must never hold one. The body minimum keeps prose such as
// "sk_live_ keys" from matching.
var secretShape = regexp.MustCompile(`(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{8,}|whsec_[0-9A-Za-z]{8,}`)

// looksSecret reports whether s holds something shaped like a Stripe key
// or webhook secret.
func looksSecret(s string) bool {
	return (strings.Contains(s, "k_live_") || strings.Contains(s, "k_test_") || strings.Contains(s, "whsec_")) &&
		secretShape.MatchString(s)
}

// fileSource is the config file, as a map from variable to value.
type fileSource struct {
	path   string
	values map[string]string
	lines  map[string]int // line of each variable's key, for messages
}

// readFile reads the TOML config file. It first scans the raw text line by
// line, comments included: a secret in a config file is refused wherever it
// sits, and before the TOML parser can echo it in an error.
func readFile(path string) (*fileSource, []string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []string{fmt.Sprintf("config file %s: %v", path, unwrapPath(err))}
	}
	text := string(data)
	var problems []string
	for i, line := range strings.Split(text, "\n") {
		if looksSecret(line) {
			problems = append(problems, fmt.Sprintf("config file %s line %d holds what looks like a Stripe key or webhook secret; "+
				"secrets never go in a config file: remove it, rotate it at Stripe if the file was ever shared, and give a reference "+
				"(env:, file:, awssm:, vault:) or a *_file path instead", path, i+1))
		}
	}
	if problems != nil {
		return nil, problems
	}
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		if pe, ok := err.(toml.ParseError); ok {
			return nil, []string{fmt.Sprintf("config file %s line %d: not valid TOML: %s", path, pe.Position.Line, pe.Message)}
		}
		return nil, []string{fmt.Sprintf("config file %s: not valid TOML", path)}
	}
	fs := &fileSource{path: path, values: map[string]string{}, lines: map[string]int{}}
	known := map[string]string{} // toml key -> variable
	for _, v := range slices.Concat(settings, secretVars) {
		known[tomlKey(v)] = v
	}
	for _, v := range secretVars {
		known[tomlKey(v)+"_file"] = v + "_FILE"
	}
	for key, val := range raw {
		if key == webhookTable {
			table, ok := val.(map[string]any)
			if !ok {
				problems = append(problems, fmt.Sprintf("config file %s: %s must be a table of endpoint = secret reference", path, key))
				continue
			}
			for ep, ev := range table {
				s, ok := ev.(string)
				if !ok || !validEndpoint(ep) {
					problems = append(problems, fmt.Sprintf("config file %s: [%s] %s must be an endpoint name (letters, digits, _) holding a string", path, key, ep))
					continue
				}
				// connect_file = "/path" becomes STRIPE_WEBHOOK_SECRET_CONNECT_FILE,
				// the _FILE form of connect.
				fs.values[VarWebhookSecret+"_"+strings.ToUpper(ep)] = s
			}
			continue
		}
		v, ok := known[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("config file %s line %d: unknown key %s", path, lineOf(text, key), key))
			continue
		}
		s, err := scalar(val)
		if err != nil {
			problems = append(problems, fmt.Sprintf("config file %s line %d: %s %v", path, lineOf(text, key), key, err))
			continue
		}
		fs.values[v] = s
		fs.lines[v] = lineOf(text, key)
	}
	return fs, problems
}

// scalar turns a TOML value into the text its variable would hold.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("must be a string, number or boolean")
}

// lineOf finds the line of a top-level key, for messages; 0 if not found.
func lineOf(text, key string) int {
	re := regexp.MustCompile(`^\s*"?` + regexp.QuoteMeta(key) + `"?\s*=`)
	for i, line := range strings.Split(text, "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 0
}

func validEndpoint(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
