// Package catalog holds what redoubt knows how to test: vulnerabilities, their
// sub-types, the baseline seed prompts for each, and which judges decide them.
// The built-in catalog is embedded YAML, decoded strictly; users add their own
// in configuration with the same schema.
package catalog

import "github.com/redoubt-sec/redoubt/finding"

// Catalog is the set of known vulnerabilities.
type Catalog struct {
	Vulnerabilities []Vulnerability `yaml:"vulnerabilities" json:"vulnerabilities"`
}

// Vulnerability is one class of weakness, e.g. prompt_leakage.
type Vulnerability struct {
	// ID is snake_case and unique in the catalog.
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Category    string `yaml:"category" json:"category"`
	Description string `yaml:"description" json:"description"`
	Types       []Type `yaml:"types" json:"types"`
}

// Type is a sub-type of a vulnerability, e.g. prompt_leakage:instructions.
type Type struct {
	// ID is snake_case and unique within its vulnerability.
	ID          string `yaml:"id" json:"id"`
	Description string `yaml:"description" json:"description"`
	// Severity is how bad a failure is: low, medium, high or critical
	// (Severities). It rates the evidence of the judges that fail a probe
	// of this sub-type.
	Severity finding.Severity `yaml:"severity" json:"severity"`
	// Judges name the deterministic judges that decide this sub-type.
	Judges []string `yaml:"judges" json:"judges"`
	// Seeds are baseline attack prompts written for this sub-type. They may
	// use the placeholder {purpose}, replaced with the target's purpose.
	Seeds []string `yaml:"seeds" json:"seeds"`
	// Rubric tells a model judge (later) what a failing reply looks like.
	Rubric string `yaml:"rubric" json:"rubric"`

	// badSeverity is the severity as written when it is not one of
	// Severities (see UnmarshalYAML), for Validate to report.
	badSeverity string
}
