package detect

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	ahocorasick "github.com/BobuSumisu/aho-corasick"

	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// Output-handling finding types (besides the rule types in
// rules/output_handling.yaml: sql, shell, code_exec, xss,
// template_injection, path_traversal).
const (
	TypeOHSQL               = "sql"
	TypeOHShell             = "shell"
	TypeOHCodeExec          = "code_exec"
	TypeOHXSS               = "xss"
	TypeOHTemplateInjection = "template_injection"
	TypeOHPathTraversal     = "path_traversal"
	TypeOHMarkdownExfil     = "markdown_exfil"
)

//go:embed rules/output_handling.yaml
var ohRulesYAML []byte

// ohRuleFile is the decoded form of rules/output_handling.yaml.
type ohRuleFile struct {
	Rules []ohRuleSpec `yaml:"rules"`
}

// ohRuleSpec is one rule as written in the YAML file.
type ohRuleSpec struct {
	ID       string   `yaml:"id"`
	Type     string   `yaml:"type"`
	Keywords []string `yaml:"keywords"`
	Pattern  string   `yaml:"pattern"`
	Score    float64  `yaml:"score"`
	Examples struct {
		Positive []string `yaml:"positive"`
		Negative []string `yaml:"negative"`
	} `yaml:"examples"`
}

// ohRule is a compiled rule.
type ohRule struct {
	ohRuleSpec
	re *regexp.Regexp
}

// ohCompiled holds the compiled rules and their keyword automaton; it is
// built once and never modified.
type ohCompiled struct {
	rules   []ohRule
	trie    *ahocorasick.Trie
	keyRule [][]int // keyword index -> indexes of the rules that use it
}

// ohTable is the compiled embedded rule set.
var ohTable = mustOHRules(ohRulesYAML)

// mustOHRules compiles the embedded rules; a broken file is a programming
// error that every test run catches.
func mustOHRules(data []byte) *ohCompiled {
	c, err := compileOHRules(data, "rules/output_handling.yaml")
	if err != nil {
		panic(err)
	}
	return c
}

// compileOHRules decodes and compiles a rule file.
func compileOHRules(data []byte, source string) (*ohCompiled, error) {
	var f ohRuleFile
	if err := yamlx.Decode(data, source, &f); err != nil {
		return nil, err
	}
	c := &ohCompiled{}
	var keywords []string
	keyIndex := map[string]int{} // the automaton keeps one pattern per string
	seen := map[string]bool{}
	for i, spec := range f.Rules {
		switch {
		case spec.ID == "" || seen[spec.ID]:
			return nil, fmt.Errorf("%s: rule %d: missing or duplicate id %q", source, i+1, spec.ID)
		case spec.Type == "" || spec.Pattern == "" || len(spec.Keywords) == 0:
			return nil, fmt.Errorf("%s: rule %s: type, pattern and keywords are required", source, spec.ID)
		case spec.Score <= 0 || spec.Score > 1:
			return nil, fmt.Errorf("%s: rule %s: score %v out of (0,1]", source, spec.ID, spec.Score)
		}
		seen[spec.ID] = true
		re, err := regexp.Compile("(?i)" + spec.Pattern)
		if err != nil {
			return nil, fmt.Errorf("%s: rule %s: pattern: %w", source, spec.ID, err)
		}
		for _, k := range spec.Keywords {
			if k != strings.ToLower(k) || k == "" {
				return nil, fmt.Errorf("%s: rule %s: keyword %q must be lower-case and not empty", source, spec.ID, k)
			}
			ki, ok := keyIndex[k]
			if !ok {
				ki = len(keywords)
				keyIndex[k] = ki
				keywords = append(keywords, k)
				c.keyRule = append(c.keyRule, nil)
			}
			c.keyRule[ki] = append(c.keyRule[ki], len(c.rules))
		}
		c.rules = append(c.rules, ohRule{ohRuleSpec: spec, re: re})
	}
	c.trie = ahocorasick.NewTrieBuilder().AddStrings(keywords).Build()
	return c, nil
}

// OutputHandling finds payloads in model output that would do harm if the
// application passed the output on without care (OWASP LLM05, improper
// output handling): SQL injection, destructive or chained shell commands,
// interpreter code execution, HTML/JavaScript that runs in a browser (XSS),
// template injection (Jinja dunder access, JNDI and EL lookups, ERB/JSP
// tags), path traversal, and markdown images that exfiltrate data through
// their query string (found by the urls detector).
//
// Rules are data (rules/output_handling.yaml), each with a keyword
// prefilter, so a reply with none of the keywords costs one automaton pass.
//
// What matters to an application is whether the output CONTAINS an
// executable payload, not why: a reply that explains SQL injection by
// quoting "' OR 1=1 --" is just as dangerous to an app that pastes replies
// into queries. The one exception is HTML: markdown renderers escape fenced
// code blocks, so an XSS payload inside a fence scores half.
type OutputHandling struct {
	urls *URLs
}

// NewOutputHandling returns an OutputHandling detector.
func NewOutputHandling() *OutputHandling { return &OutputHandling{urls: NewURLs(nil)} }

// Name implements Detector.
func (*OutputHandling) Name() string { return "output_handling" }

// Scan implements Detector.
func (o *OutputHandling) Scan(text string) []Finding {
	var out []Finding
	lower := []byte(text)
	for i, c := range lower {
		if c >= 'A' && c <= 'Z' {
			lower[i] = c + 0x20
		}
	}
	var candidates []bool
	ohTable.trie.Walk(lower, func(_, _, pattern int64) bool {
		if candidates == nil {
			candidates = make([]bool, len(ohTable.rules))
		}
		for _, r := range ohTable.keyRule[pattern] {
			candidates[r] = true
		}
		return true
	})
	var fences [][2]int
	if candidates != nil {
		fences = ohFencedBlocks(text)
	}
	for i, ok := range candidates {
		if !ok {
			continue
		}
		r := &ohTable.rules[i]
		for _, m := range r.re.FindAllStringIndex(text, -1) {
			if m[1] <= m[0] {
				continue
			}
			score := r.Score
			if r.Type == TypeOHXSS && ohInside(fences, m[0], m[1]) {
				score /= 2
			}
			out = append(out, Finding{Scanner: o.Name(), Type: r.Type, Start: m[0], End: m[1], Score: score})
		}
	}
	for _, f := range o.urls.Scan(text) {
		if f.Type == TypeMarkdownImage && f.Score >= 0.85 {
			out = append(out, Finding{Scanner: o.Name(), Type: TypeOHMarkdownExfil, Start: f.Start, End: f.End, Score: 0.9})
		}
	}
	sortFindings(out)
	return ohDedupe(out)
}

// ohDedupe drops a finding when another of the same type covers its span
// with at least its score (two rules matching one payload).
func ohDedupe(fs []Finding) []Finding {
	var out []Finding
	for i, f := range fs {
		covered := false
		for j, g := range fs {
			if i != j && g.Type == f.Type && g.Start <= f.Start && f.End <= g.End && g.Score >= f.Score &&
				(g.Start != f.Start || g.End != f.End || g.Score > f.Score || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, f)
		}
	}
	return out
}

// ohFencedBlocks returns the spans of fenced markdown code blocks.
func ohFencedBlocks(text string) [][2]int {
	if !strings.Contains(text, "```") && !strings.Contains(text, "~~~") {
		return nil
	}
	var out [][2]int
	lines := codeLines(text)
	for i := 0; i < len(lines); i++ {
		fence, _, ok := codeFenceOpen(lines[i].text)
		if !ok {
			continue
		}
		end := len(lines) - 1
		for j := i + 1; j < len(lines); j++ {
			if codeFenceClose(lines[j].text, fence) {
				end = j
				break
			}
		}
		out = append(out, [2]int{lines[i].start, lines[end].end})
		i = end
	}
	return out
}

// ohInside reports whether [s,e) lies within one of spans.
func ohInside(spans [][2]int, s, e int) bool {
	for _, sp := range spans {
		if s >= sp[0] && e <= sp[1] {
			return true
		}
	}
	return false
}
