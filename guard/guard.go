// Package guard applies policies over the detectors in package detect: which
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
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/redoubt-sec/redoubt/internal/detect"
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
	Findings []detect.Finding `json:"findings"`
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

type compiled struct {
	rule      Rule
	det       detect.Detector
	threshold float64
	types     map[string]bool // nil: every type
	mode      detect.RedactMode
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
	if g.input, err = compile(p.Input, "input"); err != nil {
		return nil, err
	}
	if g.output, err = compile(p.Output, "output"); err != nil {
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

func compile(rules []Rule, dir string) ([]compiled, error) {
	out := make([]compiled, 0, len(rules))
	for i, r := range rules {
		det, err := scanners[r.Scanner].build(r)
		if err != nil {
			return nil, errorf("%s[%d] (%s): %w", dir, i, r.Scanner, err)
		}
		c := compiled{rule: r, det: det, threshold: r.threshold(), mode: detect.RedactMode(r.Redact)}
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

// InputScanners and OutputScanners list the scanners of each direction, in
// policy order.
func (g *Guard) InputScanners() []string  { return names(g.input) }
func (g *Guard) OutputScanners() []string { return names(g.output) }

func names(cs []compiled) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.rule.Scanner
	}
	return out
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
	d := Decision{Action: Allow, Scores: make(map[string]float64, len(rules)), Sanitized: text}
	results := make([][]detect.Finding, len(rules))
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

	var redact []detect.Finding
	var redactMode detect.RedactMode
	for i, c := range rules {
		name := c.rule.Scanner
		fired := false
		for _, f := range results[i] {
			if c.types != nil && !c.types[f.Type] {
				continue
			}
			if prompt != "" && echoes(name, text, prompt, f) {
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
				redact = append(redact, f)
				if redactMode == "" {
					redactMode = c.mode
				}
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
	if len(redact) > 0 && d.Action != Block {
		if vault != nil && redactMode == detect.RedactVault {
			d.Sanitized = vault.Redact(text, redact)
		} else {
			if redactMode == detect.RedactVault {
				// Without a session there is nothing to restore from:
				// a vault placeholder degrades to a type tag.
				redactMode = detect.RedactTag
			}
			d.Sanitized = detect.Redact(text, redact, redactMode, g.salt)
		}
		d.Redacted = d.Sanitized != text
	}
	return d
}

// echoes reports whether a finding of a data scanner in an output is a value
// the prompt already contained (the user's own data, repeated back).
func echoes(scanner, output, prompt string, f detect.Finding) bool {
	if scanner != "pii" && scanner != "secrets" {
		return false
	}
	return f.End <= len(output) && f.Start < f.End && containsFold(prompt, output[f.Start:f.End])
}

// ScannerNames lists every scanner a policy may use, sorted.
func ScannerNames() []string { return slices.Sorted(maps.Keys(scanners)) }

// Direction is the side of a conversation a rule applies to.
type Direction string

// Directions.
const (
	Input  Direction = "input"
	Output Direction = "output"
)

// Scanner is a compiled rule: its settings and its detector.
type Scanner struct {
	Rule     Rule
	Detector detect.Detector
}

// Scanners returns the compiled rules of a direction, in policy order (for
// tools that measure scanners one by one).
func (g *Guard) Scanners(dir Direction) []Scanner {
	cs := g.input
	if dir == Output {
		cs = g.output
	}
	out := make([]Scanner, len(cs))
	for i, c := range cs {
		out[i] = Scanner{Rule: c.rule, Detector: c.det}
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
		if _, ok := scanners[n]; !ok {
			return nil, errorf("unknown scanner %q%s", n, hintScanner(n))
		}
		i := slices.IndexFunc(have, func(c compiled) bool { return c.rule.Scanner == n })
		if i >= 0 {
			picked = append(picked, have[i])
			continue
		}
		c, err := compile([]Rule{{Scanner: n, Action: Warn}}, string(dir))
		if err != nil {
			return nil, errorf("%w (give its options in a --policy file)", err)
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
