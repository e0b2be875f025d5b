package pricing

import (
	"math"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/target"
)

func TestDefaultTableAndLookup(t *testing.T) {
	tab := Default()
	if len(tab) == 0 {
		t.Fatal("empty default table")
	}
	for _, tt := range []struct {
		model      string
		ok         bool
		prompt, cp float64
	}{
		{"gpt-4o-mini", true, 0.15, 0.60}, // before gpt-4o*
		{"GPT-4o-2024-08-06", true, 2.50, 10},
		{"llama3", false, 0, 0},
		{"", false, 0, 0},
	} {
		p, ok := tab.Lookup(tt.model)
		if ok != tt.ok || p.Prompt != tt.prompt || p.Completion != tt.cp {
			t.Errorf("Lookup(%q) = %+v, %v; want %v/%v, %v", tt.model, p, ok, tt.prompt, tt.cp, tt.ok)
		}
	}
	// The configuration's entries come first.
	own := tab.With(Table{{Model: "gpt-4o", Prompt: 1, Completion: 2}, {Model: "*llama*", Prompt: 0.5}})
	if p, _ := own.Lookup("gpt-4o"); p.Prompt != 1 {
		t.Errorf("override not used: %+v", p)
	}
	if p, ok := own.Lookup("meta/llama-3.1-8b"); !ok || p.Prompt != 0.5 {
		t.Errorf("*llama*: %+v %v", p, ok)
	}
	if p, _ := own.Lookup("gpt-4o-mini"); p.Prompt != 0.15 {
		t.Errorf("gpt-4o-mini should still match the default: %+v", p)
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		pat, s string
		want   bool
	}{
		{"a", "a", true}, {"a", "ab", false}, {"a*", "ab", true}, {"*b", "ab", true},
		{"a*c", "abc", true}, {"a*c", "ac", true}, {"a*a", "a", false}, {"*x*y*", "1x2y3", true},
		{"*x*y*", "1y2x3", false}, {"*", "", true},
	} {
		if got := match(tt.pat, tt.s); got != tt.want {
			t.Errorf("match(%q, %q) = %v", tt.pat, tt.s, got)
		}
	}
}

func TestCost(t *testing.T) {
	p := Price{Prompt: 2.5, Completion: 10}
	got := p.Cost(target.Usage{PromptTokens: 1000, CompletionTokens: 200})
	if want := 0.0025 + 0.002; math.Abs(got-want) > 1e-12 {
		t.Errorf("cost %v, want %v", got, want)
	}
}

func TestParseChecked(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"- {prompt: 1}\n", "model is required"},
		{"- {model: x, prompt: -1}\n", "0 or more"},
		{"- {model: x, promt: 1}\n", "promt"},
	} {
		if _, err := Parse([]byte(tt.yaml), "p.yaml"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
