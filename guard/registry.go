package guard

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/detect"
)

// spec is one scanner in the registry (scanners.go): what it supports, its
// options type and how to build it. Policy decoding, validation,
// compilation and streaming all read the registry, so a scanner is
// described in exactly one place.
type spec struct {
	// spans is true for scanners whose findings mark the offending bytes
	// (so they can be redacted, and a stream can release text around
	// them); the others score the text as a whole.
	spans bool
	// echo is true for data scanners (PII, secrets): in an output check, a
	// value the prompt already contained is the user's own data repeated
	// back, not a leak.
	echo bool
	// types lists the finding types the scanner reports, to check a rule's
	// types key against; nil when the scanner does not publish them.
	types func() []string

	// options is the scanner's options type (a pointer to a struct), nil
	// when it takes none; newOptions returns a zero value of it.
	options    reflect.Type
	newOptions func() ScannerOptions
	// keys are the YAML keys of the options, from the struct tags.
	keys []string
	// build makes the detector for a validated rule. Its Options are of
	// the scanner's type (a zero value when the rule gave none).
	build func(Rule) (detect.Detector, error)
}

// ScannerOptions are a scanner's own settings in a Rule: *URLsOptions,
// *CanaryOptions, *BansOptions, *CodeOptions, *LanguageOptions or
// *TokensOptions. Only this package's types implement it.
type ScannerOptions interface {
	isScannerOptions()
}

// optionsValidator is implemented by options types with constraints of
// their own (a canary rule needs tokens); Validate calls it.
type optionsValidator interface {
	validate() error
}

// plain registers a scanner without options.
func plain(s spec, build func(Rule) detect.Detector) *spec {
	s.build = func(r Rule) (detect.Detector, error) { return build(r), nil }
	return &s
}

// withOptions registers a scanner whose options are an O; its keys are the
// yaml tags of O's fields.
func withOptions[O any, PO interface {
	*O
	ScannerOptions
}](s spec, build func(Rule, PO) (detect.Detector, error)) *spec {
	s.options = reflect.TypeFor[PO]()
	s.newOptions = func() ScannerOptions { return PO(new(O)) }
	s.keys = yamlKeys(reflect.TypeFor[O]())
	s.build = func(r Rule) (detect.Detector, error) {
		o, _ := r.Options.(PO)
		if o == nil {
			o = new(O)
		}
		return build(r, o)
	}
	return &s
}

// ruleKeys are the keys every rule has, whatever its scanner.
var ruleKeys = []string{"scanner", "action", "threshold", "redact", "types"}

// yamlKeys lists the yaml keys of a struct's fields. A field without a
// tag, or one that shadows a rule key, is a programming error in the
// registry, caught when the package initialises.
func yamlKeys(t reflect.Type) []string {
	keys := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			panic(fmt.Sprintf("guard: %s.%s has no yaml key", t.Name(), f.Name))
		}
		if slices.Contains(ruleKeys, name) {
			panic(fmt.Sprintf("guard: %s.%s reuses the rule key %q", t.Name(), f.Name, name))
		}
		keys = append(keys, name)
	}
	return keys
}

// keyOwners returns the scanners that have an option named key, sorted,
// for errors about a key used on the wrong scanner.
func keyOwners(key string) []string {
	var out []string
	for name, s := range registry {
		if slices.Contains(s.keys, key) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
