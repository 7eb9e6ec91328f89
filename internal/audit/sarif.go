package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// The SARIF 2.1.0 log is written with its own small types rather than a
// general SARIF library: those emit every optional field with a zero value
// (a byte offset of 0 beside a start line, say), which misleads readers.
// Tests check the output against the schema.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool             sarifTool     `json:"tool"`
	Language         string        `json:"language"`
	NewlineSequences []string      `json:"newlineSequences"`
	ColumnKind       string        `json:"columnKind"`
	Results          []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Language       string      `json:"language"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s Severity) string {
	switch {
	case s >= High:
		return "error"
	case s == Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score that code scanning services
// read from a rule's "security-severity" property to rank alerts.
func securitySeverity(s Severity) string {
	return [...]string{"0.0", "3.0", "5.5", "8.0", "9.5"}[s]
}

// WriteSARIF writes r as a SARIF 2.1.0 log. Every rule of the catalog is
// described, so a consumer can show help for any result; URIs are relative
// to the source root.
func WriteSARIF(w io.Writer, r *Report, toolVersion string) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "paywarden",
			Language:       "en-US",
			Version:        toolVersion,
			InformationURI: "https://github.com/paywarden/paywarden",
		}},
		Language:         "en-US",
		NewlineSequences: []string{"\r\n", "\n"},
		ColumnKind:       "unicodeCodePoints",
		Results:          []sarifResult{},
	}
	index := map[string]int{}
	for i, rule := range Rules {
		index[rule.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   rule.ID,
			Name:                 ruleName(rule.ID),
			ShortDescription:     sarifText{Text: rule.Title},
			FullDescription:      sarifText{Text: rule.Title + ". " + rule.Help},
			Help:                 sarifText{Text: rule.Help, Markdown: fmt.Sprintf("**%s** (%s)\n\n%s", rule.Title, rule.CWE, rule.Help)},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(rule.Severity)},
			Properties: map[string]any{
				"tags":              []string{"security", "stripe", rule.Family, "external/cwe/" + strings.ToLower(rule.CWE)},
				"security-severity": securitySeverity(rule.Severity),
				"precision":         "high",
				"problem.severity":  sarifProblemSeverity(rule.Severity),
			},
		})
	}
	for _, f := range r.Findings {
		// URIs are relative: to where the command ran, or, for a root
		// given as an absolute path, to that root.
		uri := f.Path
		if strings.HasPrefix(uri, "/") || filepath.IsAbs(uri) {
			uri = f.relPath
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: sarifURI(uri), URIBaseID: "%SRCROOT%"},
		}}
		if f.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
		}
		props := map[string]any{
			"severity":          f.Severity.String(),
			"security-severity": securitySeverity(f.Severity),
			"cwe":               f.CWE,
			"fix":               f.Fix,
		}
		if f.Secret != nil {
			props["secret"] = f.Secret
		}
		if f.Commit != "" {
			props["commit"] = f.Commit
		}
		run.Results = append(run.Results, sarifResult{
			RuleID:              f.RuleID,
			RuleIndex:           index[f.RuleID],
			Level:               sarifLevel(f.Severity),
			Message:             sarifText{Text: f.Message + ". Fix: " + f.Fix},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{"paywarden/v1": f.Fingerprint},
			Properties:          props,
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func sarifProblemSeverity(s Severity) string {
	switch {
	case s >= High:
		return "error"
	case s == Medium:
		return "warning"
	}
	return "recommendation"
}

// ruleName turns "secret-live-key" into "SecretLiveKey", the PascalCase
// name SARIF viewers expect.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// sarifURI escapes a slash-separated relative path as a URI reference.
func sarifURI(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
