package guard

import (
	"fmt"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/internal/detect/models"
	"github.com/redoubt-sec/redoubt/internal/suggest"
)

// scannerSpec says how to build a scanner from a rule and what it supports.
type scannerSpec struct {
	build func(Rule) (detect.Detector, error)
	// spans is true for scanners whose findings mark the offending bytes
	// (so they can be redacted, and a stream can release text around
	// them); the others score the text as a whole.
	spans bool
	// options are the scanner-specific rule keys it accepts.
	options []string
}

// scanners is the registry of the scanners a policy can name. It is
// read-only after package initialisation.
var scanners = map[string]scannerSpec{
	"injection": {build: func(Rule) (detect.Detector, error) { return detect.NewInjection(), nil }},
	"pii": {spans: true, build: func(r Rule) (detect.Detector, error) {
		if err := knownTypes(r.Types, detect.PIITypes()); err != nil {
			return nil, err
		}
		return detect.PII{Types: r.Types}, nil
	}},
	"secrets": {spans: true, build: func(Rule) (detect.Detector, error) { return detect.Secrets{}, nil }},
	"toxicity": {build: func(Rule) (detect.Detector, error) {
		m := models.ToxicityModel()
		// The model was trained on normalised text (detect/linear docs).
		return detect.Toxicity{Classifier: func(s string) float64 { return m.Score(detect.Normalize(s).Text) }}, nil
	}},
	"harmful": {build: func(Rule) (detect.Detector, error) {
		m := models.HarmfulModel()
		// Trained on normalised text; ScoreLong also scores the ~1 KiB
		// pieces of a long text, so a request inside a long prompt counts.
		return detect.Harmful{Classifier: func(s string) float64 {
			p, _, _ := m.ScoreLong(detect.Normalize(s).Text)
			return p
		}}, nil
	}},
	"invisible": {spans: true, build: func(Rule) (detect.Detector, error) { return detect.NewInvisible(), nil }},
	"encoded":   {spans: true, build: func(Rule) (detect.Detector, error) { return detect.NewEncoded(), nil }},
	"urls": {spans: true, options: []string{"allowed_domains"}, build: func(r Rule) (detect.Detector, error) {
		return detect.NewURLs(r.AllowedDomains), nil
	}},
	"canary": {spans: true, options: []string{"tokens"}, build: func(r Rule) (detect.Detector, error) {
		if len(r.Tokens) == 0 {
			return nil, fmt.Errorf("tokens: the canary scanner needs at least one token")
		}
		return detect.NewCanary(r.Tokens), nil
	}},
	"bans": {spans: true, options: []string{"substrings", "regexes", "competitors", "topics"}, build: func(r Rule) (detect.Detector, error) {
		return detect.NewBans(detect.BanOptions{Substrings: r.Substrings, Regexes: r.Regexes, Competitors: r.Competitors, Topics: r.Topics})
	}},
	"code": {options: []string{"languages"}, build: func(r Rule) (detect.Detector, error) {
		return detect.NewCodeWith(detect.CodeOptions{Deny: r.Languages})
	}},
	"refusal": {build: func(Rule) (detect.Detector, error) { return detect.Refusal{}, nil }},
	"language": {options: []string{"languages"}, build: func(r Rule) (detect.Detector, error) {
		if len(r.Languages) == 0 {
			return nil, fmt.Errorf("languages: the language scanner needs the allowed languages or scripts, e.g. [en, latin]")
		}
		return detect.NewLanguage(r.Languages), nil
	}},
	"tokens": {options: []string{"max_tokens", "encoding"}, build: func(r Rule) (detect.Detector, error) {
		if r.MaxTokens < 1 {
			return nil, fmt.Errorf("max_tokens: the tokens scanner needs a limit of at least 1")
		}
		return detect.NewTokens(r.MaxTokens, r.Encoding)
	}},
	"output_handling": {spans: true, build: func(Rule) (detect.Detector, error) { return detect.NewOutputHandling(), nil }},
}

// knownTypes checks a rule's types against a scanner's.
func knownTypes(types, known []string) error {
	for _, t := range types {
		found := false
		for _, k := range known {
			found = found || k == t
		}
		if !found {
			return fmt.Errorf("types: unknown type %q%s", t, suggest.HintOrList(t, known))
		}
	}
	return nil
}

func hintScanner(name string) string { return suggest.HintOrList(name, ScannerNames()) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// containsFold reports whether s contains sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
