package detect

import (
	"strings"
	"testing"
)

// TestPIIContextExamples runs the examples each context rule carries.
func TestPIIContextExamples(t *testing.T) {
	c := piiContextRules()
	if len(c.rules) == 0 {
		t.Fatal("no context rules loaded")
	}
	for typ, r := range c.rules {
		for _, ex := range r.Positive {
			t.Run(typ+"/positive/"+ex, func(t *testing.T) {
				if got := maxScore(ex, typ); got < 0.5 {
					t.Errorf("score %.2f for %s in %q, want >= 0.5 (findings %v)", got, typ, ex, typed(ex, PII{}.Scan(ex)))
				}
			})
		}
		for _, ex := range r.Negative {
			t.Run(typ+"/negative/"+ex, func(t *testing.T) {
				if got := maxScore(ex, typ); got >= 0.5 {
					t.Errorf("score %.2f for %s in %q, want < 0.5 (findings %v)", got, typ, ex, typed(ex, PII{}.Scan(ex)))
				}
			})
		}
	}
}

// maxScore returns the highest score of a finding of typ in text.
func maxScore(text, typ string) float64 {
	best := 0.0
	for _, f := range (PII{}).Scan(text) {
		if f.Type == typ {
			best = max(best, f.Score)
		}
	}
	return best
}

func TestParsePIIContextErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "entities:\n  - type: phone\n    wordz: [a]\n", `x.yaml:3: unknown key "wordz"`},
		{"unknown type", "entities:\n  - type: shoe_size\n    words: [a]\n    positive: [a]\n    negative: [b]\n", `unknown type "shoe_size"`},
		{"no words", "entities:\n  - type: phone\n    positive: [a]\n    negative: [b]\n", "no words"},
		{"no examples", "entities:\n  - type: phone\n    words: [tel]\n", "needs positive and negative examples"},
		{"duplicate", "entities:\n  - {type: phone, words: [a], positive: [a], negative: [b]}\n  - {type: phone, words: [a], positive: [a], negative: [b]}\n", "listed twice"},
		{"window", "entities:\n  - {type: phone, before: 900, words: [a], positive: [a], negative: [b]}\n", "window sizes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parsePIIContext([]byte(tt.yaml), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestPIITypesFilter(t *testing.T) {
	text := "mail jane@x.io or call +44 20 7946 0958"
	got := typed(text, PII{Types: []string{TypePhone}}.Scan(text))
	if len(got) != 1 || got[0] != "phone=+44 20 7946 0958" {
		t.Errorf("Types filter: got %v", got)
	}
}
