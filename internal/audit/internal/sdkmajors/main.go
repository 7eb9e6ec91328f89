// Command sdkmajors writes the dated list of the newest major version of
// each Stripe SDK that the dependency rules compare against. It asks each
// registry in its own way:
//
//   - PyPI: GET https://pypi.org/pypi/stripe/json (info.version)
//   - npm:  GET https://registry.npmjs.org/stripe/latest (version)
//   - Go:   `go list -m -json github.com/stripe/stripe-go/vN@latest` through
//     the module proxy, for N from the last known major upward until the
//     proxy has no such module.
//
// A registry that cannot be reached keeps the previous file's value and
// says so in that entry's note, with the date it was last fetched: the
// file never claims a value it did not see.
//
//	go run ./internal/sdkmajors -o data/sdk-majors.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Entry is one SDK's newest release.
type Entry struct {
	Ecosystem string `json:"ecosystem"` // PyPI, npm, Go: as the manifests name them
	Package   string `json:"package"`
	Latest    string `json:"latest"`
	Major     int    `json:"major"`
	Source    string `json:"source"`           // how it was asked
	Fetched   string `json:"fetched"`          // date the registry last answered, YYYY-MM-DD
	Note      string `json:"note,omitempty"`   // why the value is not fresh
	Origin    string `json:"origin,omitempty"` // where a value no registry answered here came from
}

// File is the data file.
type File struct {
	Generated string  `json:"generated"`
	Generator string  `json:"generator"`
	SDKs      []Entry `json:"sdks"`
}

func main() {
	out := flag.String("o", "data/sdk-majors.json", "output `file`; its previous values are kept for registries that cannot be reached")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prev := map[string]Entry{}
	if b, err := os.ReadFile(*out); err == nil {
		var f File
		if err := json.Unmarshal(b, &f); err != nil {
			log.Fatalf("%s: %v", *out, err)
		}
		for _, e := range f.SDKs {
			prev[e.Ecosystem] = e
		}
	}
	today := time.Now().UTC().Format("2006-01-02")
	f := File{Generated: today, Generator: "go generate ./internal/audit (go run ./internal/sdkmajors -o data/sdk-majors.json)"}
	fetchers := []struct {
		eco, pkg, source string
		fetch            func(context.Context) (string, error)
	}{
		{"PyPI", "stripe", "GET https://pypi.org/pypi/stripe/json", func(ctx context.Context) (string, error) {
			return jsonField(ctx, "https://pypi.org/pypi/stripe/json", func(b []byte) (string, error) {
				var v struct{ Info struct{ Version string } }
				err := json.Unmarshal(b, &v)
				return v.Info.Version, err
			})
		}},
		{"npm", "stripe", "GET https://registry.npmjs.org/stripe/latest", func(ctx context.Context) (string, error) {
			return jsonField(ctx, "https://registry.npmjs.org/stripe/latest", func(b []byte) (string, error) {
				var v struct{ Version string }
				err := json.Unmarshal(b, &v)
				return v.Version, err
			})
		}},
		{"Go", "github.com/stripe/stripe-go", "go list -m -json github.com/stripe/stripe-go/vN@latest (module proxy)", func(ctx context.Context) (string, error) {
			return goLatest(ctx, prev["Go"].Major)
		}},
	}
	for _, fe := range fetchers {
		e := Entry{Ecosystem: fe.eco, Package: fe.pkg, Source: fe.source}
		v, err := fe.fetch(ctx)
		if err == nil {
			e.Latest, e.Fetched = v, today
			e.Major, err = major(v)
		}
		if err != nil {
			p, ok := prev[fe.eco]
			if !ok {
				log.Fatalf("%s: %v, and no previous value to keep", fe.eco, err)
			}
			log.Printf("%s: %v; keeping %s from %s", fe.eco, err, p.Latest, p.Fetched)
			e = p
			e.Note = fmt.Sprintf("not refreshed on %s: %s could not be reached (%v); value kept from the previous file", today, fe.source, short(err))
		}
		f.SDKs = append(f.SDKs, e)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}

func short(err error) string {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "no such host " + dns.Name
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

func jsonField(ctx context.Context, url string, parse func([]byte) (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return "", err
	}
	v, err := parse(b)
	if err == nil && v == "" {
		err = fmt.Errorf("%s: no version in the answer", url)
	}
	return v, err
}

// goLatest asks the module proxy for the newest stripe-go major, from
// major from (at least 85) upward.
func goLatest(ctx context.Context, from int) (string, error) {
	from = max(from, 85)
	latest := ""
	for m := from; m < from+20; m++ {
		cmd := exec.CommandContext(ctx, "go", "list", "-m", "-json", fmt.Sprintf("github.com/stripe/stripe-go/v%d@latest", m))
		cmd.Env = append(os.Environ(), "GOPROXY=https://proxy.golang.org", "GOFLAGS=-mod=mod")
		out, err := cmd.Output()
		if err != nil {
			if latest == "" {
				return "", fmt.Errorf("go list stripe-go/v%d: %w", m, err)
			}
			break
		}
		var v struct{ Version string }
		if err := json.Unmarshal(out, &v); err != nil {
			return "", err
		}
		latest = v.Version
	}
	return latest, nil
}

func major(v string) (int, error) {
	v = strings.TrimPrefix(v, "v")
	m, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(m)
	if err != nil {
		return 0, fmt.Errorf("version %q: %w", v, err)
	}
	return n, nil
}
