package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// ConfigFile is the name of the per-repository configuration that
// paywarden audit reads from the root of each scanned tree.
const ConfigFile = ".paywarden-audit.toml"

// Config is a repository's audit configuration. Command-line flags win
// over it; exclude patterns from both apply.
type Config struct {
	// Exclude lists patterns, in .gitignore syntax, of files not to scan.
	Exclude []string `toml:"exclude"`
	// Baseline names a baseline file, relative to the configuration file.
	Baseline string `toml:"baseline"`
	// FailOn is the lowest severity that fails the run.
	FailOn string `toml:"fail_on"`
	// Rules limits the scan to these rule ids and families.
	Rules []string `toml:"rules"`
}

// LoadConfig reads ConfigFile from dir. A missing file is an empty Config.
// Baseline is returned as a path usable from the current directory.
func LoadConfig(dir string) (*Config, error) {
	name := filepath.Join(dir, ConfigFile)
	var c Config
	md, err := toml.DecodeFile(name, &c)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%s: unknown setting %q", name, und[0].String())
	}
	if c.FailOn != "" {
		if _, err := ParseSeverity(c.FailOn); err != nil {
			return nil, fmt.Errorf("%s: fail_on: %w", name, err)
		}
	}
	if c.Baseline != "" && !filepath.IsAbs(c.Baseline) {
		c.Baseline = filepath.Join(dir, c.Baseline)
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return &Config{}, nil
	}
	return &c, nil
}
