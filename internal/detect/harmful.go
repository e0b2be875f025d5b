package detect

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// Harmful-intent categories reported by the Harmful detector (the finding
// Type).
const (
	TypeWeapons            = "weapons"
	TypeExplosives         = "explosives"
	TypeDrugs              = "drugs"
	TypeSelfHarm           = "self_harm"
	TypeCybercrime         = "cybercrime"
	TypeViolence           = "violence"
	TypeSexualMinors       = "sexual_minors"
	TypeFraud              = "fraud"
	TypeExtremism          = "extremism"
	TypeChemicalBiological = "chemical_biological"
	// TypeHarmfulRequest is the whole-text finding of the classifier, when
	// set, for a text no rule categorised.
	TypeHarmfulRequest = "harmful_request"
)

// Harmful finds requests for help with serious harm: weapons, explosives,
// drugs, self-harm, cybercrime, violence, sexual content involving minors,
// fraud, extremism, and chemical or biological weapons. A category fires
// on an action verb followed, in the same clause, by one of its harmful
// objects ("how do I build a pipe bomb"), or on one of its patterns, so a
// harmful word alone does not fire and safe look-alikes ("how do I kill a
// Python process", "a killer presentation") do not match. The rules are
// data (rules/harmful.yaml).
//
// The finding spans the verb to the object and scores the category's
// weight (0.75 to 0.95), raised by request framing ("step by step") and
// lowered by educational, health-information or defensive framing
// ("history of the atomic bomb", "symptoms of an overdose", "how to protect
// against phishing"). sexual_minors stays at 0.6 or more whatever the
// framing, except a defensive one (protecting a child from grooming).
//
// Classifier, when set, scores the whole text 0..1 with 0.5 as its
// decision point (models.HarmfulModel, trained on public harmful requests
// and safe look-alikes). It catches what the rules cannot list:
// paraphrases and harms outside their categories. When no rule matches,
// its score is reported as a whole-text TypeHarmfulRequest finding; when
// rules match, they keep the category, and a classifier score of 0.5 or
// more lifts their scores to it. A low classifier score does not lower a
// rule finding: the rules are the more precise of the two.
//
// The zero value (rules only) is ready to use.
type Harmful struct {
	Classifier func(text string) float64
}

// Name implements Detector.
func (Harmful) Name() string { return "harmful" }

//go:embed rules/harmful.yaml
var harmfulYAML []byte

type harmfulFile struct {
	Sets       map[string][]string `yaml:"sets"`
	Categories []struct {
		Name     string          `yaml:"name"`
		Weight   float64         `yaml:"weight"`
		Verbs    []string        `yaml:"verbs"`
		Objects  []string        `yaml:"objects"`
		Patterns []string        `yaml:"patterns"`
		Examples lexiconExamples `yaml:"examples"`
	} `yaml:"categories"`
	Modifiers []struct {
		Cue              []string `yaml:"cue"`
		Factor           float64  `yaml:"factor"`
		LiftsMinorsFloor bool     `yaml:"lifts_minors_floor"`
	} `yaml:"modifiers"`
	NotWithin []string `yaml:"not_within"`
	NotAfter  []string `yaml:"not_after"`
}

// harmfulTable is the compiled rule set.
type harmfulTable struct {
	// first filters the words that start a rule, cues those that start
	// a modifier's cue.
	first, cues *wordFilter
	rules       []wordRule
	byFirst     map[string][]int
	modifiers   []modifier
	examples    []ruleExamples
	// notWithin and notAfter are words that make a match a harmless
	// compound when they occur inside it or right after it.
	notWithin, notAfter map[string]bool
}

// modifier scales every finding of a text that contains one of its cues.
type modifier struct {
	cues   wordSet
	filter *wordFilter
	factor float64
	// liftsFloor: when it applies, sexual_minors may score under 0.6.
	liftsFloor bool
}

var harmfulCategories = map[string]bool{
	TypeWeapons: true, TypeExplosives: true, TypeDrugs: true, TypeSelfHarm: true, TypeCybercrime: true,
	TypeViolence: true, TypeSexualMinors: true, TypeFraud: true, TypeExtremism: true, TypeChemicalBiological: true,
}

// maxVerbGap is how many words may stand between a verb and its object
// ("build a small untraceable gun").
const maxVerbGap = 5

var harmfulRules = sync.OnceValue(func() *harmfulTable {
	t, err := compileHarmful(harmfulYAML, "rules/harmful.yaml")
	if err != nil {
		panic(err)
	}
	return t
})

// compileHarmful decodes and checks the harmful rule file.
func compileHarmful(data []byte, source string) (*harmfulTable, error) {
	var f harmfulFile
	if err := yamlx.Decode(data, source, &f); err != nil {
		return nil, fmt.Errorf("harmful rules: %w", err)
	}
	sets, err := compileSets(f.Sets)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	t := &harmfulTable{byFirst: map[string][]int{}, notWithin: map[string]bool{}, notAfter: map[string]bool{}}
	for _, w := range f.NotWithin {
		t.notWithin[w] = true
	}
	for _, w := range f.NotAfter {
		t.notAfter[w] = true
	}
	addRule := func(src, typ string, weight float64) error {
		p, err := compilePattern(src, sets)
		if err != nil {
			return fmt.Errorf("%s: category %s: %w", source, typ, err)
		}
		for _, w := range p.firstWords() {
			t.byFirst[w] = append(t.byFirst[w], len(t.rules))
		}
		t.rules = append(t.rules, wordRule{p, typ, weight})
		return nil
	}
	for _, c := range f.Categories {
		if !harmfulCategories[c.Name] || c.Weight <= 0 || c.Weight > 1 {
			return nil, fmt.Errorf("%s: category %q: needs a known name and a weight in (0,1]", source, c.Name)
		}
		if (len(c.Verbs) == 0) != (len(c.Objects) == 0) || (len(c.Verbs) == 0 && len(c.Patterns) == 0) {
			return nil, fmt.Errorf("%s: category %s: needs verbs with objects, or patterns", source, c.Name)
		}
		if len(c.Verbs) > 0 {
			// The objects become a set of their own for the verb-object
			// pattern; @name entries pull in a named set.
			objName := "objects_of_" + c.Name
			obj := wordSet{}
			for _, o := range c.Objects {
				if name, ok := strings.CutPrefix(o, "@"); ok {
					named, ok := sets[name]
					if !ok {
						return nil, fmt.Errorf("%s: category %s: unknown set @%s", source, c.Name, name)
					}
					for k, v := range named {
						obj[k] = append(obj[k], v...)
					}
					continue
				}
				obj.add(o)
			}
			sets[objName] = obj
			src := fmt.Sprintf("%s *%d @%s", strings.Join(c.Verbs, "|"), maxVerbGap, objName)
			if err := addRule(src, c.Name, c.Weight); err != nil {
				return nil, err
			}
			delete(sets, objName)
		}
		for _, p := range c.Patterns {
			if err := addRule(p, c.Name, c.Weight); err != nil {
				return nil, err
			}
		}
		t.examples = append(t.examples, ruleExamples{"category " + c.Name, c.Name, 0.5, c.Examples})
	}
	if len(f.Modifiers) > 64 {
		return nil, fmt.Errorf("%s: %d modifiers, at most 64", source, len(f.Modifiers))
	}
	for i, m := range f.Modifiers {
		if len(m.Cue) == 0 || m.Factor <= 0 || m.Factor > 2 {
			return nil, fmt.Errorf("%s: modifier %d: needs cues and a factor in (0,2]", source, i+1)
		}
		cues := wordSet{}
		for _, c := range m.Cue {
			cues.add(c)
		}
		t.modifiers = append(t.modifiers, modifier{cues, cues.filter(), m.Factor, m.LiftsMinorsFloor})
	}
	t.first, t.cues = &wordFilter{}, &wordFilter{}
	for w := range t.byFirst {
		t.first.add(w)
	}
	for _, m := range t.modifiers {
		for w := range m.cues {
			t.cues.add(w)
		}
	}
	return t, nil
}

// Scan implements Detector.
func (d Harmful) Scan(text string) []Finding {
	t := harmfulRules()
	toks := tokenizeWords(text)
	var out []Finding
	for i := range toks {
		if !t.first.mayHave(&toks[i]) {
			continue
		}
		vs, nv := toks[i].variants()
		for _, v := range vs[:nv] {
			for _, ri := range t.byFirst[v] {
				r := &t.rules[ri]
				e := r.matchAt(toks, i)
				if e <= i || t.harmlessCompound(text, toks, i, e) {
					continue
				}
				f := Finding{Scanner: d.Name(), Type: r.typ, Start: toks[i].start, End: toks[e-1].end, Score: r.weight}
				out = mergeFinding(out, f)
			}
		}
	}
	if len(out) == 0 && d.Classifier == nil {
		return nil
	}
	fr := t.framing(toks)
	for i := range out {
		s := min(out[i].Score*fr.factor, 0.99)
		if out[i].Type == TypeSexualMinors {
			s = max(s, fr.floor)
		}
		out[i].Score = s
	}
	if d.Classifier != nil {
		// The classifier learnt requests, but a bag of n-grams cannot tell
		// "how to protect against ransomware" from a request for
		// ransomware; the lowering frames of the rules can.
		p := min(max(d.Classifier(text), 0), 1) * fr.lower
		switch {
		case len(out) == 0 && p > 0:
			out = append(out, Finding{Scanner: d.Name(), Type: TypeHarmfulRequest, Start: 0, End: len(text), Score: p})
		case p >= 0.5:
			for i := range out {
				out[i].Score = max(out[i].Score, p)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sortFindings(out)
	return out
}

// framing is what the modifiers found in a text do to its scores.
type framing struct {
	// factor is the product of the factors of all modifiers found, lower
	// the product of those under 1 (educational, health, defensive).
	factor, lower float64
	// floor is the least score of a sexual_minors finding.
	floor float64
}

// framing finds the modifiers of the text toks.
func (t *harmfulTable) framing(toks []normToken) framing {
	fr := framing{factor: 1, lower: 1, floor: 0.6}
	var found uint64 // bit k: modifier k was found (there are few)
	for i := range toks {
		if !t.cues.mayHave(&toks[i]) {
			continue
		}
		for k := range t.modifiers {
			m := &t.modifiers[k]
			if found&(1<<k) != 0 || !m.filter.mayHave(&toks[i]) || m.cues.matchAt(toks, i) <= i {
				continue
			}
			found |= 1 << k
			fr.factor *= m.factor
			if m.factor < 1 {
				fr.lower *= m.factor
			}
			if m.liftsFloor {
				fr.floor = 0
			}
		}
	}
	return fr
}

// harmlessCompound reports whether the match toks[i:e] is part of a
// harmless compound: a notWithin word inside it (bath bomb) or a notAfter
// word or a hyphen right after it (gun safe, bomb-proof).
func (t *harmfulTable) harmlessCompound(text string, toks []normToken, i, e int) bool {
	for k := i + 1; k < e; k++ {
		if t.notWithin[toks[k].norm] {
			return true
		}
	}
	end := toks[e-1].end
	if end < len(text) && text[end] == '-' {
		return true
	}
	return e < len(toks) && !toks[e].clause && t.notAfter[toks[e].norm]
}

// mergeFinding adds f to fs unless a finding of the same type overlaps it,
// in which case the two become one spanning both, with the higher score.
func mergeFinding(fs []Finding, f Finding) []Finding {
	for i := range fs {
		if fs[i].Type == f.Type && overlaps(fs[i].Start, fs[i].End, f.Start, f.End) {
			fs[i].Start, fs[i].End = min(fs[i].Start, f.Start), max(fs[i].End, f.End)
			fs[i].Score = max(fs[i].Score, f.Score)
			return fs
		}
	}
	return append(fs, f)
}
