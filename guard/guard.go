// Package guard applies policies over redoubt's text detectors: which
// scanners run on a prompt (input) and on a reply (output), with what
// threshold, and whether a hit blocks, redacts, warns or only logs. It is a Go
// library first; the CLI (redoubt guard) and the gateway are thin layers over
// it.
//
// A Guard is safe for concurrent use. Detectors do no I/O, so checks take no
// context and cannot fail: a text a scanner cannot make sense of simply has
// no findings from it.
package guard

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/internal/suggest"
)

// Decision is the result of checking one text.
type Decision struct {
	// Flagged is true when a rule whose action is block, redact or warn
	// fired (log rules record findings without flagging).
	Flagged bool `json:"flagged"`
	// Action is the strongest action of the rules that fired, or allow.
	Action Action `json:"action"`
	// Scores holds each scanner's highest score, fired or not, 0..1.
	Scores map[string]float64 `json:"scores"`
	// Findings are the findings at or above their rule's threshold, in
	// text order. Offsets are bytes into the checked text.
	Findings []finding.Finding `json:"findings"`
	// Sanitized is the text with redactions applied; it equals the checked
	// text when nothing was redacted.
	Sanitized string `json:"-"`
	// Redacted reports whether Sanitized differs from the checked text.
	Redacted bool `json:"-"`
}

// Blocked reports whether the text must not be passed on.
func (d Decision) Blocked() bool { return d.Action == Block }

// Guard checks texts against a policy.
type Guard struct {
	input, output []compiled
	salt          []byte
}

// compiled is a rule ready to run: its detector built and its settings
// resolved, so that a check reads no registry and no defaults.
type compiled struct {
	rule      Rule
	det       detect.Detector
	threshold float64
	types     map[string]bool // nil: every type
	mode      detect.RedactMode
	spans     bool // findings mark bytes (spec.spans)
	echo      bool // output findings the prompt contained do not count (spec.echo)
}

// Option configures New.
type Option func(*Guard)

// WithHashSalt sets the salt of the hash redaction mode, so that hashes
// cannot be reversed by a dictionary of common values. Default: a fixed
// salt, which keeps hashes comparable across processes.
func WithHashSalt(salt []byte) Option { return func(g *Guard) { g.salt = slices.Clone(salt) } }

// New compiles a policy: it builds every scanner once, with its options.
func New(p *Policy, opts ...Option) (*Guard, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	g := &Guard{salt: []byte("redoubt-guard")}
	for _, o := range opts {
		o(g)
	}
	var err error
	if g.input, err = compile(p.source, Input, p.Input); err != nil {
		return nil, err
	}
	if g.output, err = compile(p.source, Output, p.Output); err != nil {
		return nil, err
	}
	return g, nil
}

// Default returns a guard with DefaultPolicy.
func Default() *Guard {
	g, err := New(DefaultPolicy())
	if err != nil {
		panic("guard: default policy does not compile: " + err.Error())
	}
	return g
}

// compile builds the detectors of validated rules; errors name the policy
// file and the rule.
func compile(source string, dir Direction, rules []Rule) ([]compiled, error) {
	out := make([]compiled, 0, len(rules))
	for i, r := range rules {
		s := registry[r.Scanner]
		det, err := s.build(r)
		if err != nil {
			return nil, ruleError(source, dir, i, r, err)
		}
		c := compiled{rule: r, det: det, threshold: r.threshold(), mode: detect.RedactMode(r.Redact), spans: s.spans, echo: s.echo}
		if c.mode == "" {
			c.mode = detect.RedactTag
		}
		if len(r.Types) > 0 {
			c.types = map[string]bool{}
			for _, t := range r.Types {
				c.types[t] = true
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// CheckInput checks a prompt against the input rules.
func (g *Guard) CheckInput(text string) Decision { return g.check(g.input, text, "", nil) }

// CheckOutput checks a reply against the output rules. prompt is the
// prompt that produced it: data the user supplied is not a leak when the
// reply echoes it, so PII and secrets found in both are not counted.
func (g *Guard) CheckOutput(prompt, output string) Decision {
	return g.check(g.output, output, prompt, nil)
}

// parallelMin is the text size from which scanners run concurrently: below
// it, goroutine hand-off costs more than it saves (docs/benchmarks.md).
const parallelMin = 16 << 10

func (g *Guard) check(rules []compiled, text, prompt string, vault *detect.Vault) Decision {
	d, redact := g.evaluate(rules, text, prompt)
	if len(redact) > 0 && d.Action != Block {
		d.Sanitized = g.redact(text, redact, vault)
		d.Redacted = d.Sanitized != text
	}
	return d
}

// redaction is a finding a redact rule fired on, with the rule's mode.
type redaction struct {
	f    finding.Finding
	mode detect.RedactMode
}

// evaluate runs the rules over text and decides, without redacting: it
// returns the decision (Sanitized is text) and the findings that redact
// rules fired on.
func (g *Guard) evaluate(rules []compiled, text, prompt string) (Decision, []redaction) {
	d := Decision{Action: Allow, Scores: make(map[string]float64, len(rules)), Sanitized: text}
	results := make([][]finding.Finding, len(rules))
	if len(text) >= parallelMin && len(rules) > 1 {
		var wg sync.WaitGroup
		for i := range rules {
			wg.Go(func() { results[i] = rules[i].det.Scan(text) })
		}
		wg.Wait()
	} else {
		for i := range rules {
			results[i] = rules[i].det.Scan(text)
		}
	}

	var redact []redaction
	for i, c := range rules {
		name := c.rule.Scanner
		fired := false
		for _, f := range results[i] {
			if c.types != nil && !c.types[f.Type] {
				continue
			}
			if c.echo && prompt != "" && echoes(text, prompt, f) {
				continue
			}
			if f.Score > d.Scores[name] {
				d.Scores[name] = f.Score
			}
			if f.Score < c.threshold {
				continue
			}
			fired = true
			d.Findings = append(d.Findings, f)
			if c.rule.Action == Redact {
				redact = append(redact, redaction{f, c.mode})
			}
		}
		if _, ok := d.Scores[name]; !ok {
			d.Scores[name] = 0
		}
		if fired && c.rule.Action.rank() > d.Action.rank() {
			d.Action = c.rule.Action
		}
	}
	d.Flagged = d.Action.rank() >= Warn.rank()
	sort.SliceStable(d.Findings, func(i, j int) bool { return d.Findings[i].Start < d.Findings[j].Start })
	return d, redact
}

// redact replaces each redaction's span in its rule's mode. Overlapping
// spans are merged so that no part of either value survives.
func (g *Guard) redact(text string, rs []redaction, vault *detect.Vault) string {
	fs := make([]finding.Finding, len(rs))
	mixed := false
	for i, r := range rs {
		fs[i] = r.f
		mixed = mixed || r.mode != rs[0].mode
	}
	if !mixed {
		return g.redactAs(text, fs, rs[0].mode, vault)
	}
	// Rules with different modes fired. Merge the spans (widened to whole
	// UTF-8 characters, as detect.Redact does) and give each merged span
	// the type and mode of its longest finding, then replace span by span,
	// left to right so that vault placeholders are numbered in text order.
	type span struct {
		start, end, longest int
		typ                 string
		mode                detect.RedactMode
	}
	spans := make([]span, 0, len(rs))
	for _, r := range rs {
		st, en := r.f.Start, r.f.End
		if st < 0 || en > len(text) || st >= en {
			continue
		}
		for st > 0 && !utf8.RuneStart(text[st]) {
			st--
		}
		for en < len(text) && !utf8.RuneStart(text[en]) {
			en++
		}
		spans = append(spans, span{st, en, en - st, r.f.Type, r.mode})
	}
	slices.SortStableFunc(spans, func(a, b span) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end)) })
	merged := spans[:0]
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp.start < merged[n-1].end {
			last := &merged[n-1]
			last.end = max(last.end, sp.end)
			if sp.longest > last.longest {
				last.longest, last.typ, last.mode = sp.longest, sp.typ, sp.mode
			}
			continue
		}
		merged = append(merged, sp)
	}
	var b strings.Builder
	b.Grow(len(text))
	prev := 0
	for _, sp := range merged {
		b.WriteString(text[prev:sp.start])
		// Every mode's replacement depends only on the type and the value,
		// so a span can be redacted on its own.
		value := text[sp.start:sp.end]
		b.WriteString(g.redactAs(value, []finding.Finding{{Type: sp.typ, Start: 0, End: len(value)}}, sp.mode, vault))
		prev = sp.end
	}
	b.WriteString(text[prev:])
	return b.String()
}

// redactAs replaces findings in one mode.
func (g *Guard) redactAs(text string, fs []finding.Finding, mode detect.RedactMode, vault *detect.Vault) string {
	if mode == detect.RedactVault {
		if vault != nil {
			return vault.Redact(text, fs)
		}
		// Without a session there is nothing to restore from: a vault
		// placeholder degrades to a type tag.
		mode = detect.RedactTag
	}
	return detect.Redact(text, fs, mode, g.salt)
}

// echoes reports whether a finding of a data scanner in an output is a value
// the prompt already contained (the user's own data, repeated back).
func echoes(output, prompt string, f finding.Finding) bool {
	return f.Start >= 0 && f.End <= len(output) && f.Start < f.End && containsFold(prompt, output[f.Start:f.End])
}

// containsFold reports whether s contains sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// ScannerNames lists every scanner a policy may use, sorted.
func ScannerNames() []string { return slices.Sorted(maps.Keys(registry)) }

// Direction is the side of a conversation a rule applies to.
type Direction string

// Directions.
const (
	Input  Direction = "input"
	Output Direction = "output"
)

// Scanner is a compiled rule: its settings and its built detector.
type Scanner struct {
	Rule Rule
	det  detect.Detector
}

// Scan runs the scanner alone on text and returns all its findings, before
// the rule's threshold, types and action apply (for tools that measure
// scanners one by one).
func (s Scanner) Scan(text string) []finding.Finding { return s.det.Scan(text) }

// Scanners returns the compiled rules of a direction, in policy order.
func (g *Guard) Scanners(dir Direction) []Scanner {
	cs := g.input
	if dir == Output {
		cs = g.output
	}
	out := make([]Scanner, len(cs))
	for i, c := range cs {
		out[i] = Scanner{Rule: c.rule, det: c.det}
	}
	return out
}

// With returns a guard that runs exactly the named scanners in a
// direction: each keeps its rule when the guard has one there, and gets a
// warn rule with the default threshold otherwise (the CLI's --scanners).
// Scanners that need options (canary, language, tokens) must be in the
// policy.
func (g *Guard) With(dir Direction, names []string) (*Guard, error) {
	have := g.input
	if dir == Output {
		have = g.output
	}
	var picked []compiled
	for _, n := range names {
		if _, ok := registry[n]; !ok {
			return nil, fmt.Errorf("unknown scanner %q%s", n, suggest.HintOrList(n, ScannerNames()))
		}
		i := slices.IndexFunc(have, func(c compiled) bool { return c.rule.Scanner == n })
		if i >= 0 {
			picked = append(picked, have[i])
			continue
		}
		r := Rule{Scanner: n, Action: Warn}
		err := r.validate()
		if err != nil {
			err = ruleError("", dir, len(picked), r, err)
		}
		var c []compiled
		if err == nil {
			c, err = compile("", dir, []Rule{r})
		}
		if err != nil {
			return nil, fmt.Errorf("%w (give its options in a --policy file)", err)
		}
		picked = append(picked, c...)
	}
	ng := &Guard{salt: g.salt}
	if dir == Output {
		ng.output = picked
	} else {
		ng.input = picked
	}
	return ng, nil
}

// Check checks text in a direction; prompt is used for output only.
func (g *Guard) Check(dir Direction, prompt, text string) Decision {
	if dir == Output {
		return g.CheckOutput(prompt, text)
	}
	return g.CheckInput(text)
}
