package detect

import (
	_ "embed"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/redoubt-sec/redoubt/internal/codec"
	"github.com/redoubt-sec/redoubt/internal/detect/linear"
	"github.com/redoubt-sec/redoubt/internal/detect/models"
	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// Finding types reported by the injection detector. The rule types come
// from rules/injection.yaml; the last three are the detector's own.
const (
	TypeInstructionOverride    = "instruction_override"
	TypeRolePlayJailbreak      = "role_play_jailbreak"
	TypeSystemPromptExtraction = "system_prompt_extraction"
	TypePromptLeakRequest      = "prompt_leak_request"
	TypeDeveloperMode          = "developer_mode"
	TypeRefusalSuppression     = "refusal_suppression"
	TypeFakeSystemMessage      = "fake_system_message"
	TypeIndirectInstruction    = "indirect_instruction"
	TypeEncodedPayload         = "encoded_payload"
	// TypeEncodedInjection marks an encoded piece (Base64, hex, URL
	// encoding, ROT13, tag characters) whose decoded text is an injection;
	// the span is the encoded piece.
	TypeEncodedInjection = "encoded_injection"
	// TypePromptInjection is the classifier's finding: the whole text, or
	// the segment of a long text that scored highest.
	TypePromptInjection = "prompt_injection"
)

// injectionTypes are the types a rule may have.
var injectionTypes = map[string]bool{
	TypeInstructionOverride: true, TypeRolePlayJailbreak: true, TypeSystemPromptExtraction: true,
	TypePromptLeakRequest: true, TypeDeveloperMode: true, TypeRefusalSuppression: true,
	TypeFakeSystemMessage: true, TypeIndirectInstruction: true, TypeEncodedPayload: true,
}

// Tuning of the detector.
const (
	// injClassifierFloor is the classifier score below which no
	// prompt_injection finding is reported: lower scores say "benign".
	injClassifierFloor = 0.2
	// injEncodedPrior is the evidence that hiding text in an encoding adds
	// to a rule hit inside it: honest prompts rarely encode instructions.
	injEncodedPrior = 0.3
	// injMaxRules bounds the number of rules, so that the per-rule state
	// of a scan lives on the stack.
	injMaxRules = 128
	// injMaxLine caps the line decoded when a ROT13 trigger word is seen.
	injMaxLine = 4096
)

// rot13Triggers are words whose ROT13 form, when found in a text, suggests
// a ROT13-encoded instruction worth decoding.
var rot13Triggers = []string{"ignore", "instructions", "previous", "disregard", "system prompt", "password", "jailbreak", "reveal", "forget"}

//go:embed rules/injection.yaml
var injectionRulesYAML string

// injectionRuleSpec is one rule as written in rules/injection.yaml.
type injectionRuleSpec struct {
	ID        string   `yaml:"id"`
	Type      string   `yaml:"type"`
	Weight    float64  `yaml:"weight"`
	Phrases   []string `yaml:"phrases"`
	Positives []string `yaml:"positives"`
	Negatives []string `yaml:"negatives"`
}

// injectionRule is a compiled rule.
type injectionRule struct {
	injectionRuleSpec
	phrases []*phrase
}

// injPhrase is one phrase of a rule, as tried at its anchors.
type injPhrase struct {
	rule int
	p    *phrase
}

// Injection detects prompt injection and jailbreak attempts, direct or
// hidden in documents, tool output or encodings. It works in layers:
//
//  1. the text is normalised (see Normalize), which defeats homoglyphs,
//     invisible characters, fullwidth letters and tag-character smuggling;
//  2. rules from rules/injection.yaml, phrase patterns over the tokens of
//     the normalised text tried only where their first word occurs, each
//     finding typed (instruction_override, role_play_jailbreak,
//     system_prompt_extraction, ...) and weighted;
//  3. embedded Base64, hex, URL-encoded, ROT13 and tag-character pieces
//     are decoded and scanned again, and a hit is reported on the encoded
//     span as encoded_injection;
//  4. a logistic-regression classifier trained by the project scores the
//     whole text and, for long texts, each segment, so that an injection
//     buried in a long benign document is not diluted.
//
// A rule finding's score combines its weight with the classifier's
// probability (noisy-OR), so 0.5 is a calibrated decision point for the
// scanner-level score, the maximum over findings.
//
// An Injection is immutable and safe for concurrent use.
type Injection struct {
	model   *linear.Model
	rules   []injectionRule
	phrases []injPhrase
	anchors anchorTable
	// tokens recycles the token buffers of scans, so that a scan does not
	// allocate in proportion to its input.
	tokens sync.Pool
}

// NewInjection returns the detector with the embedded rules and the
// embedded classifier (models.InjectionModel). Building it parses the
// rules and the model, so build it once and reuse it.
func NewInjection() *Injection { return NewInjectionModel(models.InjectionModel()) }

// NewInjectionModel returns the detector with the embedded rules and the
// given classifier, for instance one trained on your own data with
// internal/train. A nil model disables the classifier layer.
func NewInjectionModel(m *linear.Model) *Injection {
	rules, err := loadInjectionRules(injectionRulesYAML, "rules/injection.yaml")
	if err != nil {
		// The embedded file is checked by the tests: failing here means a
		// broken build, not bad input.
		panic(err)
	}
	d := &Injection{model: m, rules: rules}
	d.tokens.New = func() any { return new([]phraseToken) }
	for ri, r := range rules {
		for _, p := range r.phrases {
			id := int32(len(d.phrases))
			d.phrases = append(d.phrases, injPhrase{rule: ri, p: p})
			p.bind(&d.anchors)
			for _, w := range p.anchors() {
				e := d.anchors.add(w)
				e.phrases = append(e.phrases, id)
			}
		}
	}
	for _, t := range rot13Triggers {
		for _, w := range strings.Fields(codec.ROT13(t)) {
			d.anchors.add(w).rot13 = true
		}
	}
	d.anchors.build()
	return d
}

// loadInjectionRules decodes and checks the rules file.
func loadInjectionRules(data, source string) ([]injectionRule, error) {
	var file struct {
		Rules []injectionRuleSpec `yaml:"rules"`
	}
	if err := yamlx.Decode([]byte(data), source, &file); err != nil {
		return nil, fmt.Errorf("injection rules: %w", err)
	}
	seen := map[string]bool{}
	out := make([]injectionRule, 0, len(file.Rules))
	for _, s := range file.Rules {
		switch {
		case s.ID == "" || seen[s.ID]:
			return nil, fmt.Errorf("%s: rule id %q is empty or repeated", source, s.ID)
		case !injectionTypes[s.Type]:
			return nil, fmt.Errorf("%s: rule %s: unknown type %q", source, s.ID, s.Type)
		case !(s.Weight > 0 && s.Weight <= 1):
			return nil, fmt.Errorf("%s: rule %s: weight %v outside (0,1]", source, s.ID, s.Weight)
		case len(s.Phrases) == 0:
			return nil, fmt.Errorf("%s: rule %s: no phrases", source, s.ID)
		case len(out) == injMaxRules:
			return nil, fmt.Errorf("%s: more than %d rules", source, injMaxRules)
		case len(s.Positives) < 3 || len(s.Negatives) < 3:
			return nil, fmt.Errorf("%s: rule %s: needs at least 3 positive and 3 negative examples", source, s.ID)
		}
		seen[s.ID] = true
		r := injectionRule{injectionRuleSpec: s}
		for _, src := range s.Phrases {
			p, err := compilePhrase(src)
			if err != nil {
				return nil, fmt.Errorf("%s: rule %s: %w", source, s.ID, err)
			}
			for _, lit := range p.literals() {
				if want := Normalize(lit).Text; lit != want {
					return nil, fmt.Errorf("%s: rule %s: phrase %q: word %q is not normalised (want %q)", source, s.ID, src, lit, want)
				}
			}
			r.phrases = append(r.phrases, p)
		}
		out = append(out, r)
	}
	return out, nil
}

// Name implements Detector.
func (*Injection) Name() string { return "injection" }

// injHit is a rule match in normalised text.
type injHit struct {
	rule       int
	start, end int
}

// Scan implements Detector.
func (d *Injection) Scan(text string) []Finding {
	if text == "" {
		return nil
	}
	n := Normalize(text)
	hits, rotLines := d.match(n.Text)
	var c float64
	cs, ce := 0, len(n.Text)
	if d.model != nil {
		c, cs, ce = d.model.ScoreLong(n.Text)
	}
	var out []Finding
	for _, h := range hits {
		r := &d.rules[h.rule]
		s, e := n.Span(h.start, h.end)
		out = append(out, Finding{Scanner: "injection", Type: r.Type, Start: s, End: e, Score: noisyOr(r.Weight, c)})
	}
	if c >= injClassifierFloor {
		s, e := n.Span(cs, ce)
		out = append(out, Finding{Scanner: "injection", Type: TypePromptInjection, Start: s, End: e, Score: c})
	}
	// Encoded pieces are found in the original text: Base64 is
	// case-sensitive, so normalising first would destroy it.
	for _, sg := range FindEncoded(text) {
		if sc := d.scoreDecoded(sg.Decoded); sc >= injClassifierFloor {
			out = append(out, Finding{Scanner: "injection", Type: TypeEncodedInjection, Start: sg.Start, End: sg.End, Score: sc})
		}
	}
	for _, ln := range rotLines {
		if sc := d.scoreDecoded(codec.ROT13(n.Text[ln[0]:ln[1]])); sc >= injClassifierFloor {
			s, e := n.Span(ln[0], ln[1])
			out = append(out, Finding{Scanner: "injection", Type: TypeEncodedInjection, Start: s, End: e, Score: sc})
		}
	}
	sortFindings(out)
	return dedupeFindings(out)
}

// scoreDecoded scores decoded text: rules and classifier as for a whole
// text, with extra weight for a rule hit, since an honest prompt seldom
// encodes an instruction.
func (d *Injection) scoreDecoded(dec string) float64 {
	n := Normalize(dec)
	hits, _ := d.match(n.Text)
	var c float64
	if d.model != nil {
		c = d.model.Score(n.Text)
	}
	best := c
	for _, h := range hits {
		best = max(best, 1-(1-d.rules[h.rule].Weight)*(1-c)*(1-injEncodedPrior))
	}
	return best
}

// match tokenises normalised text once, looks every token up in the
// anchor table, and tries the phrases anchored on it. A rule's matches do
// not overlap. It also returns the lines holding ROT13 trigger words.
func (d *Injection) match(norm string) (hits []injHit, rotLines [][2]int) {
	buf := d.tokens.Get().(*[]phraseToken)
	defer d.tokens.Put(buf)
	in := phraseInput{text: norm, toks: tokenize(norm, &d.anchors, (*buf)[:0])}
	*buf = in.toks
	// lastEnd[r] is the token where rule r's last match ended: a later
	// try of the rule must start at or after it.
	var lastEnd [injMaxRules]int
	for i := range in.toks {
		t := &in.toks[i]
		if t.id == 0 {
			continue
		}
		ent := &d.anchors.entry[t.id-1]
		if ent.rot13 {
			s, e := int(t.s), int(t.e)
			ls := strings.LastIndexByte(norm[:s], '\n') + 1
			le := strings.IndexByte(norm[e:], '\n')
			if le < 0 {
				le = len(norm)
			} else {
				le += e
			}
			ls, le = max(ls, s-injMaxLine/2), min(le, e+injMaxLine/2)
			if k := len(rotLines); k == 0 || rotLines[k-1][1] < le {
				rotLines = append(rotLines, [2]int{ls, le})
			}
		}
		for _, pi := range ent.phrases {
			ph := &d.phrases[pi]
			if lastEnd[ph.rule] > i {
				continue
			}
			if end := ph.p.matchAt(&in, i); end > i {
				hits = append(hits, injHit{rule: ph.rule, start: int(t.s), end: int(in.toks[end-1].e)})
				lastEnd[ph.rule] = end
			}
		}
	}
	return hits, rotLines
}

// noisyOr combines two independent pieces of evidence.
func noisyOr(a, b float64) float64 { return 1 - (1-a)*(1-b) }

// dedupeFindings drops exact repeats (same type and span) from sorted
// findings, keeping the highest score.
func dedupeFindings(fs []Finding) []Finding {
	out := fs[:0]
	for _, f := range fs {
		if k := len(out); k > 0 && out[k-1].Type == f.Type && out[k-1].Start == f.Start && out[k-1].End == f.End {
			out[k-1].Score = math.Max(out[k-1].Score, f.Score)
			continue
		}
		out = append(out, f)
	}
	return out
}
