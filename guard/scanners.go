package guard

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/internal/detect/models"
	"github.com/redoubt-sec/redoubt/internal/suggest"
)

// registry holds every scanner a policy can name. It is read-only after
// package initialisation. To add a scanner, add its entry here (with its
// options type below, when it has options) and its row in docs/guard.md.
var registry = map[string]*spec{
	"injection": plain(spec{}, func(Rule) detect.Detector { return detect.NewInjection() }),
	"pii": plain(spec{spans: true, echo: true, types: detect.PIITypes}, func(r Rule) detect.Detector {
		return detect.PII{Types: r.Types}
	}),
	"secrets": plain(spec{spans: true, echo: true}, func(Rule) detect.Detector { return detect.Secrets{} }),
	"toxicity": plain(spec{}, func(Rule) detect.Detector {
		m := models.ToxicityModel()
		// The model was trained on normalised text (detect/linear docs).
		return detect.Toxicity{Classifier: func(s string) float64 { return m.Score(detect.Normalize(s).Text) }}
	}),
	"harmful": plain(spec{}, func(Rule) detect.Detector {
		m := models.HarmfulModel()
		// Trained on normalised text; ScoreLong also scores the ~1 KiB
		// pieces of a long text, so a request inside a long prompt counts.
		return detect.Harmful{Classifier: func(s string) float64 {
			p, _, _ := m.ScoreLong(detect.Normalize(s).Text)
			return p
		}}
	}),
	"invisible": plain(spec{spans: true}, func(Rule) detect.Detector { return detect.NewInvisible() }),
	"encoded":   plain(spec{spans: true}, func(Rule) detect.Detector { return detect.NewEncoded() }),
	"urls": withOptions(spec{spans: true}, func(_ Rule, o *URLsOptions) (detect.Detector, error) {
		return detect.NewURLs(o.AllowedDomains), nil
	}),
	"canary": withOptions(spec{spans: true}, func(_ Rule, o *CanaryOptions) (detect.Detector, error) {
		return detect.NewCanary(o.Tokens), nil
	}),
	"bans": withOptions(spec{spans: true}, func(_ Rule, o *BansOptions) (detect.Detector, error) {
		return detect.NewBans(detect.BanOptions{Substrings: o.Substrings, Regexes: o.Regexes, Competitors: o.Competitors, Topics: o.Topics})
	}),
	"code": withOptions(spec{}, func(_ Rule, o *CodeOptions) (detect.Detector, error) {
		return detect.NewCodeWith(detect.CodeOptions{Deny: o.Languages})
	}),
	"refusal": plain(spec{}, func(Rule) detect.Detector { return detect.Refusal{} }),
	"language": withOptions(spec{}, func(_ Rule, o *LanguageOptions) (detect.Detector, error) {
		return detect.NewLanguage(o.Languages), nil
	}),
	"tokens": withOptions(spec{}, func(_ Rule, o *TokensOptions) (detect.Detector, error) {
		return detect.NewTokens(o.MaxTokens, o.Encoding)
	}),
	"output_handling": plain(spec{spans: true}, func(Rule) detect.Detector { return detect.NewOutputHandling() }),
}

// URLsOptions configure the urls scanner.
type URLsOptions struct {
	// AllowedDomains are the domains (and their subdomains) links and
	// images may point at; links elsewhere are domain_not_allowed.
	AllowedDomains []string `yaml:"allowed_domains,omitempty"`
}

// CanaryOptions configure the canary scanner.
type CanaryOptions struct {
	// Tokens are the canary tokens to watch for: at least one, each at
	// least 8 characters long.
	Tokens []string `yaml:"tokens,omitempty"`
}

func (o *CanaryOptions) validate() error {
	if len(o.Tokens) == 0 {
		return errors.New("tokens: the canary scanner needs at least one token")
	}
	for _, t := range o.Tokens {
		// The detector skips shorter tokens (they would match ordinary
		// text); a rule that silently watches nothing is a mistake.
		if len(strings.TrimSpace(t)) < minCanaryLen {
			return fmt.Errorf("tokens: %q is shorter than %d characters: too short to tell from ordinary text", t, minCanaryLen)
		}
	}
	return nil
}

// minCanaryLen is the shortest token detect.NewCanary watches for.
const minCanaryLen = 8

// BansOptions configure the bans scanner: what the application bans.
type BansOptions struct {
	// Substrings are banned outright (case-insensitive).
	Substrings []string `yaml:"substrings,omitempty"`
	// Regexes are banned outright (Go RE2 syntax, case-insensitive).
	Regexes []string `yaml:"regexes,omitempty"`
	// Competitors are names that must not appear, as whole words.
	Competitors []string `yaml:"competitors,omitempty"`
	// Topics maps a topic name to its keywords; two distinct keywords
	// make the topic match.
	Topics map[string][]string `yaml:"topics,omitempty"`
}

// CodeOptions configure the code scanner.
type CodeOptions struct {
	// Languages, when not empty, are the only languages reported
	// ("unknown" included when listed).
	Languages []string `yaml:"languages,omitempty"`
}

func (o *CodeOptions) validate() error {
	known := append(detect.CodeLanguages(), "unknown")
	for _, l := range o.Languages {
		if n := strings.ToLower(strings.TrimSpace(l)); !slices.Contains(known, n) {
			return fmt.Errorf("languages: unknown language %q%s", l, suggest.HintOrList(n, known))
		}
	}
	return nil
}

// LanguageOptions configure the language scanner.
type LanguageOptions struct {
	// Languages are the allowed ISO 639-1 codes ("en") and scripts
	// ("latin"); text in others is reported. At least one.
	Languages []string `yaml:"languages,omitempty"`
}

func (o *LanguageOptions) validate() error {
	if len(o.Languages) == 0 {
		return errors.New("languages: the language scanner needs the allowed languages or scripts, e.g. [en, latin]")
	}
	return nil
}

// TokensOptions configure the tokens scanner.
type TokensOptions struct {
	// MaxTokens is the limit; a text over it is reported. At least 1.
	MaxTokens int `yaml:"max_tokens,omitempty"`
	// Encoding is the tokenizer: cl100k_base (default), o200k_base,
	// p50k_base or r50k_base.
	Encoding string `yaml:"encoding,omitempty"`
}

func (o *TokensOptions) validate() error {
	if o.MaxTokens < 1 {
		return fmt.Errorf("max_tokens: the tokens scanner needs a limit of at least 1, got %d", o.MaxTokens)
	}
	return nil
}

func (*URLsOptions) isScannerOptions()     {}
func (*CanaryOptions) isScannerOptions()   {}
func (*BansOptions) isScannerOptions()     {}
func (*CodeOptions) isScannerOptions()     {}
func (*LanguageOptions) isScannerOptions() {}
func (*TokensOptions) isScannerOptions()   {}
