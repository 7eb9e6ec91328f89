package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Advisories answers: which known vulnerabilities affect this version of
// this package? Implementations: an offline OSV database (a folder, or the
// snapshot embedded in the binary) and, with --online, the OSV service.
type Advisories interface {
	// Affecting returns the advisories that affect name at version in
	// ecosystem eco ("PyPI", "npm" or "Go"), sorted by id.
	Affecting(ctx context.Context, eco, name, version string) ([]Advisory, error)
	// Source says where the advisories come from, for the report.
	Source() string
}

// Advisory is the part of an OSV record that a finding needs.
type Advisory struct {
	ID      string   `json:"id" yaml:"id"`
	Summary string   `json:"summary,omitempty" yaml:"summary"`
	Details string   `json:"details,omitempty" yaml:"details"`
	Aliases []string `json:"aliases,omitempty" yaml:"aliases"`
	// Affected lists package ranges, as in OSV.
	Affected []osvAffected `json:"affected" yaml:"affected"`
	// Withdrawn advisories are kept out of findings.
	Withdrawn string `json:"withdrawn,omitempty" yaml:"withdrawn"`
}

type osvAffected struct {
	Package  osvPackage `json:"package" yaml:"package"`
	Ranges   []osvRange `json:"ranges,omitempty" yaml:"ranges"`
	Versions []string   `json:"versions,omitempty" yaml:"versions"`
}

type osvPackage struct {
	Name      string `json:"name" yaml:"name"`
	Ecosystem string `json:"ecosystem" yaml:"ecosystem"`
}

type osvRange struct {
	Type   string     `json:"type" yaml:"type"`
	Events []osvEvent `json:"events" yaml:"events"`
}

type osvEvent struct {
	Introduced   string `json:"introduced,omitempty" yaml:"introduced"`
	Fixed        string `json:"fixed,omitempty" yaml:"fixed"`
	LastAffected string `json:"last_affected,omitempty" yaml:"last_affected"`
	Limit        string `json:"limit,omitempty" yaml:"limit"`
}

// Fixed returns the lowest fixed version the advisory names for a package,
// or "".
func (a *Advisory) Fixed(eco, name string) string {
	var fixes []string
	for _, af := range a.Affected {
		if af.Package.Ecosystem != eco || normalizeName(eco, af.Package.Name) != normalizeName(eco, name) {
			continue
		}
		for _, r := range af.Ranges {
			for _, e := range r.Events {
				if e.Fixed != "" && r.Type != "GIT" {
					fixes = append(fixes, e.Fixed)
				}
			}
		}
	}
	sort.Slice(fixes, func(i, j int) bool { return compareVersions(eco, fixes[i], fixes[j]) < 0 })
	if len(fixes) == 0 {
		return ""
	}
	return fixes[len(fixes)-1]
}

// affects reports whether a covers name at version in ecosystem eco.
func (a *Advisory) affects(eco, name, version string) bool {
	if a.Withdrawn != "" {
		return false
	}
	for _, af := range a.Affected {
		if af.Package.Ecosystem != eco || normalizeName(eco, af.Package.Name) != normalizeName(eco, name) {
			continue
		}
		for _, v := range af.Versions {
			if compareVersions(eco, v, version) == 0 {
				return true
			}
		}
		for _, r := range af.Ranges {
			if (r.Type == "ECOSYSTEM" || r.Type == "SEMVER") && inRange(eco, r.Events, version) {
				return true
			}
		}
	}
	return false
}

// inRange evaluates OSV range events: a version is affected from an
// "introduced" up to (not including) a "fixed" or "limit", or up to and
// including a "last_affected". Events are taken as pairs in order.
func inRange(eco string, events []osvEvent, version string) bool {
	lo, open := "", false
	atLeast := func(v string) bool { return v == "0" || compareVersions(eco, version, v) >= 0 }
	for _, e := range events {
		switch {
		case e.Introduced != "":
			lo, open = e.Introduced, true
		case e.Fixed != "" && open:
			if atLeast(lo) && compareVersions(eco, version, e.Fixed) < 0 {
				return true
			}
			open = false
		case e.Limit != "" && open:
			if atLeast(lo) && compareVersions(eco, version, e.Limit) < 0 {
				return true
			}
			open = false
		case e.LastAffected != "" && open:
			if atLeast(lo) && compareVersions(eco, version, e.LastAffected) <= 0 {
				return true
			}
			open = false
		}
	}
	return open && atLeast(lo)
}

var pypiNameSep = regexp.MustCompile(`[-_.]+`)

// normalizeName puts a package name in the form its ecosystem compares:
// PEP 503 for PyPI (case and -_. insensitive), lower case for npm.
func normalizeName(eco, name string) string {
	switch eco {
	case "PyPI":
		return pypiNameSep.ReplaceAllString(strings.ToLower(name), "-")
	case "npm":
		return strings.ToLower(name)
	}
	return name
}

// OSVDB is an offline advisory database held in memory, indexed by
// ecosystem and package.
type OSVDB struct {
	source string
	byPkg  map[string][]*Advisory
	count  int
}

// Source implements Advisories.
func (db *OSVDB) Source() string { return db.source }

// Len returns the number of advisories in db.
func (db *OSVDB) Len() int { return db.count }

// Affecting implements Advisories.
func (db *OSVDB) Affecting(_ context.Context, eco, name, version string) ([]Advisory, error) {
	var out []Advisory
	for _, a := range db.byPkg[eco+"\x00"+normalizeName(eco, name)] {
		if a.affects(eco, name, version) {
			out = append(out, *a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func newOSVDB(source string, advs []*Advisory) *OSVDB {
	db := &OSVDB{source: source, byPkg: map[string][]*Advisory{}}
	for _, a := range advs {
		seen := map[string]bool{}
		for _, af := range a.Affected {
			k := af.Package.Ecosystem + "\x00" + normalizeName(af.Package.Ecosystem, af.Package.Name)
			if !seen[k] {
				seen[k] = true
				db.byPkg[k] = append(db.byPkg[k], a)
			}
		}
		db.count++
	}
	return db
}

// ParseOSV parses one OSV record in JSON or YAML. Only the fields the
// scanner uses are kept.
func ParseOSV(data []byte) (*Advisory, error) {
	var a Advisory
	trimmed := bytes.TrimSpace(data)
	var err error
	if len(trimmed) > 0 && trimmed[0] == '{' {
		err = json.Unmarshal(trimmed, &a)
	} else {
		err = yaml.Unmarshal(data, &a)
	}
	if err != nil {
		return nil, err
	}
	if a.ID == "" {
		return nil, errors.New("OSV record without an id")
	}
	for i := range a.Affected {
		// Go records list module paths; PyPI and npm names compare normalized.
		a.Affected[i].Package.Ecosystem = canonicalEcosystem(a.Affected[i].Package.Ecosystem)
	}
	return &a, nil
}

func canonicalEcosystem(e string) string {
	switch strings.ToLower(strings.SplitN(e, ":", 2)[0]) {
	case "pypi":
		return "PyPI"
	case "npm":
		return "npm"
	case "go":
		return "Go"
	}
	return e
}

// ReadOSVDir reads every OSV record (*.json, *.yaml, *.yml) under dir, at
// any depth, so that both the flat Go vulndb layout and the one folder per
// package of the PyPA database work. Files that are not OSV records are an
// error: a database that half loads would make a scan silently incomplete.
func ReadOSVDir(dir string) ([]*Advisory, error) {
	var advs []*Advisory
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		if ext != ".json" && ext != ".yaml" && ext != ".yml" {
			return nil
		}
		base := filepath.Base(p)
		if base == "index.json" || base == "modules.json" || base == "vulns.json" || base == "db.json" || strings.HasPrefix(base, ".") {
			return nil // the Go vulndb's index files are not records
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		a, err := ParseOSV(data)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		advs = append(advs, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(advs) == 0 {
		return nil, fmt.Errorf("%s: no OSV records found", dir)
	}
	sort.Slice(advs, func(i, j int) bool { return advs[i].ID < advs[j].ID })
	return advs, nil
}

//go:generate go run ./internal/osvindex -as-of "Go vulndb 2026-08-21, PyPA 2024-10-10" -o data/osv-index.json.gz ../../../shared/data/advisories

// embeddedIndex is a snapshot of the Go vulnerability database and the
// PyPA advisory database, reduced to what matching needs and gzipped. It
// makes the scan work offline with no setup; a newer database is given
// with --advisory-db or PAYWARDEN_ADVISORY_DB.
//
//go:embed data/osv-index.json.gz
var embeddedIndex []byte

// osvIndex is the format of the embedded snapshot.
type osvIndex struct {
	AsOf       string      `json:"as_of"`
	Advisories []*Advisory `json:"advisories"`
}

// WriteOSVIndex writes advs in the embedded snapshot's format.
func WriteOSVIndex(w io.Writer, asOf string, advs []*Advisory) error {
	for _, a := range advs {
		a.Details = "" // the summary is enough for a finding, and a fifth of the size
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(zw).Encode(osvIndex{AsOf: asOf, Advisories: advs}); err != nil {
		return err
	}
	return zw.Close()
}

var loadEmbedded = sync.OnceValues(func() (*OSVDB, error) {
	zr, err := gzip.NewReader(bytes.NewReader(embeddedIndex))
	if err != nil {
		return nil, err
	}
	var idx osvIndex
	if err := json.NewDecoder(zr).Decode(&idx); err != nil {
		return nil, err
	}
	return newOSVDB("embedded snapshot of "+idx.AsOf, idx.Advisories), nil
})

// LoadAdvisories opens the OSV database in dir, or the embedded snapshot
// when dir is "". The folder is read lazily, on the first query, so that a
// scan with no manifests never pays for it.
func LoadAdvisories(dir string) (Advisories, error) {
	if dir == "" {
		return &lazyDB{load: loadEmbedded}, nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	return &lazyDB{source: dir, load: sync.OnceValues(func() (*OSVDB, error) {
		advs, err := ReadOSVDir(dir)
		if err != nil {
			return nil, err
		}
		return newOSVDB(dir, advs), nil
	})}, nil
}

// lazyDB loads an OSVDB on first use.
type lazyDB struct {
	source string
	load   func() (*OSVDB, error)
}

func (l *lazyDB) Affecting(ctx context.Context, eco, name, version string) ([]Advisory, error) {
	db, err := l.load()
	if err != nil {
		return nil, err
	}
	return db.Affecting(ctx, eco, name, version)
}

func (l *lazyDB) Source() string {
	if db, err := l.load(); err == nil {
		return db.Source()
	}
	return l.source
}

// OSVEndpoint is the online OSV service queried with --online.
const OSVEndpoint = "https://api.osv.dev"

// WithOnline adds the OSV service at endpoint to offline: each query asks
// both, and the answers are merged. When the service cannot be reached,
// warn is told once and the offline answers stand.
func WithOnline(offline Advisories, endpoint string, warn func(error)) Advisories {
	return &onlineDB{offline: offline, endpoint: strings.TrimRight(endpoint, "/"), warn: warn,
		client: &http.Client{Timeout: 10 * time.Second}}
}

type onlineDB struct {
	offline  Advisories
	endpoint string
	warn     func(error)
	client   *http.Client
	mu       sync.Mutex
	down     bool
}

func (o *onlineDB) Source() string { return o.offline.Source() + " and " + o.endpoint }

func (o *onlineDB) Affecting(ctx context.Context, eco, name, version string) ([]Advisory, error) {
	advs, err := o.offline.Affecting(ctx, eco, name, version)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	down := o.down
	o.mu.Unlock()
	if down {
		return advs, nil
	}
	online, err := o.query(ctx, eco, name, version)
	if err != nil {
		o.mu.Lock()
		if !o.down {
			o.down = true
			o.warn(err)
		}
		o.mu.Unlock()
		return advs, nil
	}
	have := map[string]bool{}
	for _, a := range advs {
		have[a.ID] = true
	}
	for _, a := range online {
		if !have[a.ID] && a.Withdrawn == "" {
			advs = append(advs, a)
		}
	}
	sort.Slice(advs, func(i, j int) bool { return advs[i].ID < advs[j].ID })
	return advs, nil
}

// query asks the OSV service's /v1/query about one package version.
func (o *onlineDB) query(ctx context.Context, eco, name, version string) ([]Advisory, error) {
	body, _ := json.Marshal(map[string]any{"version": version, "package": map[string]string{"name": name, "ecosystem": eco}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.endpoint+"/v1/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", o.endpoint, resp.Status)
	}
	var out struct {
		Vulns []Advisory `json:"vulns"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: %w", o.endpoint, err)
	}
	return out.Vulns, nil
}
