// Package pricing prices model tokens: a table of model name patterns and
// their USD prices per million prompt and completion tokens. A default
// table of some well-known hosted models is embedded (prices.yaml); a
// configuration puts its own entries before it.
package pricing

import (
	_ "embed"
	"fmt"
	"os"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/yamlx"
	"github.com/redoubt-sec/redoubt/target"
)

//go:embed prices.yaml
var defaultYAML []byte

// Price is what one model's tokens cost, in USD per million tokens.
type Price struct {
	// Model is a pattern over the configured model name, matched without
	// regard to case; '*' matches any run of characters.
	Model      string  `yaml:"model"`
	Prompt     float64 `yaml:"prompt"`
	Completion float64 `yaml:"completion"`
}

// Table is an ordered list of prices: the first entry that matches wins.
type Table []Price

// Default returns the embedded table.
func Default() Table {
	t, err := Parse(defaultYAML, "prices.yaml")
	if err != nil {
		panic(err) // the embedded table is tested
	}
	return t
}

// Parse strictly decodes a YAML list of prices; name names it in errors.
func Parse(data []byte, name string) (Table, error) {
	var t Table
	if err := yamlx.Decode(data, name, &t); err != nil {
		return nil, err
	}
	return t, t.Validate(name)
}

// Load reads a prices file (a YAML list of {model, prompt, completion}).
func Load(path string) (Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Validate checks every entry has a pattern and prices of 0 or more.
func (t Table) Validate(name string) error {
	for i, p := range t {
		switch {
		case strings.TrimSpace(p.Model) == "":
			return fmt.Errorf("%s: prices[%d]: model is required (a model name, '*' matches any characters)", name, i)
		case p.Prompt < 0 || p.Completion < 0:
			return fmt.Errorf("%s: prices[%d] (%s): prices are USD per million tokens, 0 or more", name, i, p.Model)
		}
	}
	return nil
}

// With returns the table with first's entries tried before t's.
func (t Table) With(first Table) Table {
	return append(append(Table{}, first...), t...)
}

// Lookup returns the price of the model named model, and whether an entry
// matched. An empty name matches nothing.
func (t Table) Lookup(model string) (Price, bool) {
	if model == "" {
		return Price{}, false
	}
	for _, p := range t {
		if match(strings.ToLower(p.Model), strings.ToLower(model)) {
			return p, true
		}
	}
	return Price{}, false
}

// Cost is what u costs at p, in USD.
func (p Price) Cost(u target.Usage) float64 {
	return (float64(u.PromptTokens)*p.Prompt + float64(u.CompletionTokens)*p.Completion) / 1e6
}

// match reports whether s matches pattern, where '*' matches any run of
// characters (slashes included: "openai/gpt-4o" matches "*gpt-4o*").
func match(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}
