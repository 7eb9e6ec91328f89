// Command gencorpus builds the benchmark corpus of paywarden audit: real
// source trees (Go, Python, JavaScript and more) copied side by side, with
// fake Stripe keys and placeholders planted at known places, and the truth
// about each written to truth.json for the scorer.
//
//	go run ./bench/audit/gencorpus -o /tmp/corpus -mb 220 SRC...
//
// Each SRC is NAME=DIR[:MB], a tree to copy at most MB mebibytes of.
// The keys are random and fake: they are built here, never stored.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// textExt are the files copied: source and configuration, as a repository
// holds them.
var textExt = map[string]bool{
	".go": true, ".py": true, ".js": true, ".mjs": true, ".ts": true, ".json": true, ".yaml": true, ".yml": true,
	".md": true, ".txt": true, ".toml": true, ".sh": true, ".html": true, ".css": true, ".c": true, ".h": true,
	".rs": true, ".java": true, ".rb": true, ".cfg": true, ".ini": true, ".mod": true, ".sum": true,
}

// Plant is one planted string and what a correct scanner says of it.
type Plant struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Kind string `json:"kind"`
	Real bool   `json:"real"` // a key-shaped secret (true) or a placeholder (false)
}

const base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randBody(r *rand.Rand, n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// secret makes a fake key of a kind: "FAKE" then random characters, so
// that no real key can ever be among them.
func secret(r *rand.Rand, kind string) string {
	switch kind {
	case "sk_live", "sk_test", "rk_live", "rk_test":
		n := 24
		if r.IntN(2) == 0 {
			n = 99
		}
		return kind + "_FAKE" + randBody(r, n-4, base62)
	case "whsec":
		if r.IntN(2) == 0 {
			return "whsec_FAKE" + randBody(r, 28, base62)
		}
		return "whsec_" + randBody(r, 64, "0123456789abcdef") // the Stripe CLI's form
	}
	panic(kind)
}

// placeholders are what documentation and templates hold: no scanner
// should report them as secrets.
var placeholders = []string{
	"sk_test_...", "sk_" + "live_" + strings.Repeat("x", 24), "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc", "whsec_123",
	"sk_test_yourkeyhere0000", "rk_" + "live_" + strings.Repeat("X", 24), "sk_" + "live_" + strings.Repeat("0", 28),
	"sk_test_1234567890abcdefghijklmnop", "sk_test_exampleexampleexample1234", "pk_live_" + "FAKEpublishable1234567890abcd",
}

// contexts put a value where code and configuration put keys.
var contexts = []string{
	`stripe.api_key = "%s"`,
	`const stripe = require('stripe')('%s');`,
	`	stripe.Key = "%s"`,
	`STRIPE_SECRET_KEY=%s`,
	`  secret_key: %s`,
	`  "stripe_key": "%s",`,
	`curl https://api.stripe.com/v1/charges -u %s: -d amount=100`,
	`Use the key (%s), then restart.`,
	`# old key %s`,
	`key = os.environ.get("STRIPE_SECRET_KEY", '%s')`,
}

func main() {
	out := flag.String("o", "", "output `folder` (created; must not exist)")
	totalMB := flag.Int("mb", 220, "stop copying after this many `MiB`")
	plants := flag.Int("plants", 400, "number of fake keys to plant")
	holders := flag.Int("placeholders", 200, "number of placeholders to plant")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" {
		log.Fatal("-o is required")
	}
	if err := os.Mkdir(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	budget := int64(*totalMB) << 20
	var files []string
	var copied int64
	for _, arg := range flag.Args() {
		name, spec, ok := strings.Cut(arg, "=")
		if !ok {
			log.Fatalf("source %q: want NAME=DIR[:MB]", arg)
		}
		dir, limit := spec, budget
		if i := strings.LastIndexByte(spec, ':'); i > 0 {
			if mb, err := strconv.Atoi(spec[i+1:]); err == nil {
				dir, limit = spec[:i], int64(mb)<<20
			}
		}
		var n int64
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || copied >= budget || n >= limit {
				if d != nil && d.IsDir() && err == nil {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if b := d.Name(); b == ".git" || b == "cache" && filepath.Dir(p) == filepath.Clean(dir) {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !textExt[strings.ToLower(filepath.Ext(p))] {
				return nil
			}
			info, err := d.Info()
			if err != nil || info.Size() > 4<<20 || info.Size() == 0 {
				return nil
			}
			rel, _ := filepath.Rel(dir, p)
			rel = neutral(filepath.Join(name, rel))
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			dst := filepath.Join(*out, rel)
			os.MkdirAll(filepath.Dir(dst), 0o755)
			if os.WriteFile(dst, data, 0o644) != nil {
				return nil
			}
			files = append(files, rel)
			n += info.Size()
			copied += info.Size()
			return nil
		})
	}
	sort.Strings(files)
	if len(files) == 0 {
		log.Fatal("no files copied")
	}

	r := rand.New(rand.NewPCG(*seed, *seed^0x5eed))
	kinds := []string{"sk_live", "sk_live", "sk_test", "rk_live", "rk_test", "whsec"}
	var truth []Plant
	perFile := map[string][]string{}
	var order []string
	for i := 0; i < *plants+*holders; i++ {
		f := files[r.IntN(len(files))]
		var val, kind string
		real := i < *plants
		if real {
			kind = kinds[r.IntN(len(kinds))]
			val = secret(r, kind)
		} else {
			val = placeholders[r.IntN(len(placeholders))]
			kind = "placeholder"
		}
		line := fmt.Sprintf(contexts[r.IntN(len(contexts))], val)
		if _, ok := perFile[f]; !ok {
			order = append(order, f)
		}
		perFile[f] = append(perFile[f], kind+"\x00"+strconv.FormatBool(real)+"\x00"+line)
	}
	for _, f := range order {
		p := filepath.Join(*out, f)
		data, err := os.ReadFile(p)
		if err != nil {
			log.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		for _, plant := range perFile[f] {
			parts := strings.SplitN(plant, "\x00", 3)
			at := r.IntN(len(lines) + 1)
			lines = append(lines[:at], append([]string{parts[2]}, lines[at:]...)...)
			// Lines after the insertion point moved down by one.
			for i := range truth {
				if truth[i].File == f && truth[i].Line >= at+1 {
					truth[i].Line++
				}
			}
			truth = append(truth, Plant{File: filepath.ToSlash(f), Line: at + 1, Kind: parts[0], Real: parts[1] == "true"})
		}
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	sort.Slice(truth, func(i, j int) bool {
		if truth[i].File != truth[j].File {
			return truth[i].File < truth[j].File
		}
		return truth[i].Line < truth[j].Line
	})
	tf, err := os.Create(filepath.Join(filepath.Dir(filepath.Clean(*out)), filepath.Base(*out)+".truth.json"))
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(tf)
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.Encode(truth)
	w.Flush()
	tf.Close()
	fmt.Printf("%d files, %.1f MiB, %d keys and %d placeholders planted\n", len(files), float64(copied)/(1<<20), *plants, *holders)
}

// neutral renames folders that scanners skip by default (installed
// dependencies, VCS metadata), so that every tool reads the same files.
func neutral(p string) string {
	parts := strings.Split(filepath.ToSlash(p), "/")
	for i, s := range parts {
		switch s {
		case "node_modules", "site-packages", ".venv", "venv", "__pycache__", ".tox", "bower_components", ".git", ".mypy_cache", ".pytest_cache", "vendor", "testdata":
			parts[i] = "x-" + strings.TrimPrefix(s, ".")
		}
		if s == ".gitignore" || s == ".gitleaksignore" || s == ".paywarden-audit.toml" {
			parts[i] = "x" + s
		}
	}
	return filepath.Join(parts...)
}
