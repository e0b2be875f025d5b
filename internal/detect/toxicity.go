package detect

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// Toxicity types reported by the Toxicity detector.
const (
	TypeInsult         = "insult"
	TypeThreat         = "threat"
	TypeIdentityAttack = "identity_attack"
	TypeProfanity      = "profanity"
	TypeSexual         = "sexual"
	// TypeToxicity is the whole-text finding of the classifier, when set.
	TypeToxicity = "toxicity"
)

// Toxicity finds insults, threats, identity attacks, profanity and sexual
// content. It matches a lexicon (rules/toxicity.yaml) word by word on
// normalised text, so obfuscation (leetspeak, stretched letters, letters
// spaced out) does not hide a word and look-alikes inside longer words
// ("Scunthorpe") do not match; and it matches patterns for threats ("I will
// kill you", "you should die") and identity attacks (a group named with a
// dehumanising predicate). Each finding spans the words matched and scores
// the weight of its entry: severe words and patterns 0.75 to 0.9, mild
// swearing and anatomy 0.3 (reported, but under the 0.5 decision point).
//
// Classifier, when set, scores the whole text 0..1 (a model trained
// elsewhere). Its score is reported as a whole-text TypeToxicity finding,
// and a confidently benign score (under 0.3) scales the lexicon findings
// down, so that "damn, this pizza is good" does not stay flagged.
//
// The zero value (lexicon only) is ready to use.
type Toxicity struct {
	Classifier func(text string) float64
}

// Name implements Detector.
func (Toxicity) Name() string { return "toxicity" }

//go:embed rules/toxicity.yaml
var toxicityYAML []byte

// lexiconExamples are the positive and negative examples of a group or
// pattern in the toxicity and harmful rule files.
type lexiconExamples struct {
	Positive []string `yaml:"positive"`
	Negative []string `yaml:"negative"`
}

type toxicityFile struct {
	Groups []struct {
		Type     string          `yaml:"type"`
		Weight   float64         `yaml:"weight"`
		Words    []string        `yaml:"words"`
		Examples lexiconExamples `yaml:"examples"`
	} `yaml:"groups"`
	Sets     map[string][]string `yaml:"sets"`
	Patterns []struct {
		Type     string          `yaml:"type"`
		Weight   float64         `yaml:"weight"`
		Pattern  string          `yaml:"pattern"`
		Examples lexiconExamples `yaml:"examples"`
	} `yaml:"patterns"`
}

// lexEntry is a typed, weighted phrase of the lexicon.
type lexEntry struct {
	rest   []string
	typ    string
	weight float64
}

// wordRule is a typed, weighted pattern.
type wordRule struct {
	pattern
	typ    string
	weight float64
}

// toxicityTable is the compiled lexicon.
type toxicityTable struct {
	// first filters the words that start a lexicon entry or a pattern.
	first    *wordFilter
	words    map[string][]lexEntry
	rules    []wordRule
	byFirst  map[string][]int
	examples []ruleExamples
}

// ruleExamples are the examples of one group or pattern, kept for tests.
type ruleExamples struct {
	name, typ string
	weight    float64
	lexiconExamples
}

var toxicityRules = sync.OnceValue(func() *toxicityTable {
	t, err := compileToxicity(toxicityYAML, "rules/toxicity.yaml")
	if err != nil {
		panic(err)
	}
	return t
})

var toxicityTypes = map[string]bool{TypeInsult: true, TypeThreat: true, TypeIdentityAttack: true, TypeProfanity: true, TypeSexual: true}

// compileToxicity decodes and checks the toxicity rule file.
func compileToxicity(data []byte, source string) (*toxicityTable, error) {
	var f toxicityFile
	if err := yamlx.Decode(data, source, &f); err != nil {
		return nil, fmt.Errorf("toxicity rules: %w", err)
	}
	t := &toxicityTable{first: &wordFilter{}, words: map[string][]lexEntry{}, byFirst: map[string][]int{}}
	for i, g := range f.Groups {
		if !toxicityTypes[g.Type] || g.Weight <= 0 || g.Weight > 1 || len(g.Words) == 0 {
			return nil, fmt.Errorf("%s: group %d: needs a known type, a weight in (0,1] and words", source, i+1)
		}
		for _, w := range g.Words {
			ws := wordSet{}
			ws.add(w)
			for first, rests := range ws {
				t.words[first] = append(t.words[first], lexEntry{rest: rests[0], typ: g.Type, weight: g.Weight})
			}
		}
		t.examples = append(t.examples, ruleExamples{fmt.Sprintf("group %d (%s)", i+1, g.Type), g.Type, g.Weight, g.Examples})
	}
	sets, err := compileSets(f.Sets)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	for _, p := range f.Patterns {
		if !toxicityTypes[p.Type] || p.Weight <= 0 || p.Weight > 1 {
			return nil, fmt.Errorf("%s: pattern %q: needs a known type and a weight in (0,1]", source, p.Pattern)
		}
		cp, err := compilePattern(p.Pattern, sets)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		for _, w := range cp.firstWords() {
			t.byFirst[w] = append(t.byFirst[w], len(t.rules))
		}
		t.rules = append(t.rules, wordRule{cp, p.Type, p.Weight})
		t.examples = append(t.examples, ruleExamples{"pattern " + p.Pattern, p.Type, p.Weight, p.Examples})
	}
	for w := range t.words {
		t.first.add(w)
	}
	for w := range t.byFirst {
		t.first.add(w)
	}
	return t, nil
}

// compileSets builds the named word sets of a rule file.
func compileSets(src map[string][]string) (map[string]wordSet, error) {
	sets := map[string]wordSet{}
	for name, words := range src {
		if len(words) == 0 {
			return nil, fmt.Errorf("set %s: no words", name)
		}
		s := wordSet{}
		for _, w := range words {
			s.add(w)
		}
		sets[name] = s
	}
	return sets, nil
}

// Scan implements Detector.
func (d Toxicity) Scan(text string) []Finding {
	t := toxicityRules()
	toks := tokenizeWords(text)
	var out []Finding
	add := func(typ string, s, e int, score float64) {
		for k := range out { // by index: no Finding copies in this quadratic check
			if f := &out[k]; f.Type == typ && f.Start == s && f.End == e {
				return
			}
		}
		out = append(out, Finding{Scanner: d.Name(), Type: typ, Start: s, End: e, Score: score})
	}
	for i := range toks {
		if !t.first.mayHave(&toks[i]) {
			continue
		}
		vs, nv := toks[i].variants()
		for _, v := range vs[:nv] {
			for _, le := range t.words[v] {
				if e := matchRest(toks, i, le.rest); e >= 0 {
					add(le.typ, toks[i].start, toks[e-1].end, le.weight)
				}
			}
			for _, ri := range t.byFirst[v] {
				r := &t.rules[ri]
				if e := r.matchAt(toks, i); e > i {
					add(r.typ, toks[i].start, toks[e-1].end, r.weight)
				}
			}
		}
	}
	if d.Classifier != nil {
		p := min(max(d.Classifier(text), 0), 1)
		if p < 0.3 {
			for i := range out {
				out[i].Score *= 0.6 + p
			}
		}
		if p > 0 {
			out = append(out, Finding{Scanner: d.Name(), Type: TypeToxicity, Start: 0, End: len(text), Score: p})
		}
	}
	sortFindings(out)
	return out
}

// matchRest returns the end token index of a phrase whose first word is
// toks[i] and whose other words are rest, or -1.
func matchRest(toks []normToken, i int, rest []string) int {
	if i+1+len(rest) > len(toks) {
		return -1
	}
	for k, w := range rest {
		if toks[i+1+k].norm != w || toks[i+1+k].clause {
			return -1
		}
	}
	return i + 1 + len(rest)
}

// ---- Word engine shared by the toxicity and harmful scanners. ----

// This file holds the word-level engine shared by the toxicity and harmful
// scanners: an obfuscation-tolerant tokenizer, and a matcher for phrases
// and slot patterns over its tokens. Matching is by whole normalised word,
// which gives word boundaries for free (Scunthorpe is one word, not two)
// and costs one map lookup per word.

// normToken is a word of the scanned text: its byte span in the original
// text and its normalised form (lower case, leetspeak undone).
type normToken struct {
	start, end int
	norm       string
	// h is wordHash(norm), for the word filters.
	h uint32
	// clause: a sentence or clause boundary (. ! ? ; : newline) comes
	// before this word, so patterns do not join words across it.
	clause bool
	// run: norm has a letter repeated three or more times, so it is also
	// looked up under the forms of wordVariants.
	run bool
}

// wordHash is FNV-1a over the bytes of a normalised word.
func wordHash(w string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(w); i++ {
		h = (h ^ uint32(w[i])) * 16777619
	}
	return h
}

// hasRun reports whether w has a byte repeated three times in a row.
func hasRun(w string) bool {
	for i := 2; i < len(w); i++ {
		if w[i] == w[i-1] && w[i] == w[i-2] {
			return true
		}
	}
	return false
}

// wordFilter is a Bloom filter (4096 bits, two probes) over the words a
// set or a rule table can start with. Most words of a text are in no set;
// the filter rejects them with two bit tests instead of a map lookup per
// word and per variant, which is what kept the scanners over 50 us on a
// 2 KiB text. It has false positives (about 2% at 300 words), never false
// negatives, so the map lookup that follows decides.
type wordFilter [64]uint64

// add adds a normalised word.
func (f *wordFilter) add(w string) {
	h := wordHash(w)
	f[h>>6&63] |= 1 << (h & 63)
	f[h>>18&63] |= 1 << (h >> 12 & 63)
}

// mayHave reports whether t, or one of its variants, may be in the filter.
func (f *wordFilter) mayHave(t *normToken) bool {
	h := t.h
	return t.run || f[h>>6&63]&(1<<(h&63)) != 0 && f[h>>18&63]&(1<<(h>>12&63)) != 0
}

// leet maps the digits and symbols people put in words for letters.
var leet = [128]byte{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', '$': 's', '!': 'i', '|': 'l'}

// wordByte reports whether an ASCII byte can be part of a word: letters,
// digits and, inside or at the end of a word, the leetspeak symbols and
// the * of masked words (f*ck).
func wordByte(b byte) bool {
	return isAlnum(b) || b == '@' || b == '$' || b == '!' || b == '*' || b == '|'
}

// ASCII byte classes for the tokenizer: one table lookup replaces the
// rune decoding and the unicode calls that used to be half of a scan.
const (
	clsWord   = 1 << iota // can be part of a word (wordByte)
	clsLetter             // a-z or A-Z
	clsLower              // a-z: kept as it is in the normalised word
	clsClause             // ends a clause: . ! ? ; : newline
)

var asciiClass = func() (c [utf8.RuneSelf]uint8) {
	for b := range c {
		if wordByte(byte(b)) {
			c[b] |= clsWord
		}
		if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' {
			c[b] |= clsLetter
		}
		if 'a' <= b && b <= 'z' {
			c[b] |= clsLower
		}
	}
	for _, b := range ".!?;:\n" {
		c[b] |= clsClause
	}
	return c
}()

// tokenizeWords splits text into normalised words. Letters spaced out one
// by one ("i d i o t", "k.i.l.l") are joined into one word.
//
// It is the hot loop of the toxicity and harmful scanners, so ASCII goes
// through a class table, and a word of lower-case ASCII letters (most
// words of most texts) is its own normalised form: a substring of text,
// not a copy.
func tokenizeWords(text string) []normToken {
	toks := make([]normToken, 0, len(text)/5+1)
	// The other words are normalised into one buffer, turned into one
	// string at the end; offs holds their token index and [start,end) in
	// buf meanwhile.
	var buf []byte
	var offs []int
	clause := true
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			cl := asciiClass[c]
			if cl&clsWord == 0 || ((c == '!' || c == '|' || c == '*') && !nextIsWordLetter(text, i)) {
				if cl&clsClause != 0 {
					clause = true
				}
				i++
				continue
			}
		} else if r, n := utf8.DecodeRuneInString(text[i:]); !isWordRune(r) {
			if r == '\u3002' {
				clause = true
			}
			i += n
			continue
		}
		// A word: a symbol only stays inside it when a letter or digit is
		// on both sides ("sh!t") or at its end for $ and * ("a$$").
		j := i
		letters, lower := false, true
		for j < len(text) {
			c := text[j]
			if c < utf8.RuneSelf {
				cl := asciiClass[c]
				if cl&clsWord == 0 || ((c == '!' || c == '|') && !nextIsWordLetter(text, j)) {
					break
				}
				letters = letters || cl&clsLetter != 0
				lower = lower && cl&clsLower != 0
				j++
				continue
			}
			r, n := utf8.DecodeRuneInString(text[j:])
			if !isWordRune(r) {
				break
			}
			letters = letters || unicode.IsLetter(r)
			lower = false
			j += n
		}
		for j > i+1 && (text[j-1] == '!' || text[j-1] == '@' || text[j-1] == '|') {
			j--
		}
		if lower {
			toks = append(toks, normToken{start: i, end: j, norm: text[i:j], clause: clause})
			clause = false
			i = j
			continue
		}
		if buf == nil {
			buf = make([]byte, 0, len(text)-i)
		}
		b0 := len(buf)
		for k := i; k < j; {
			r, n := decodeRune(text, k)
			k += n
			switch {
			case r >= utf8.RuneSelf:
				buf = utf8.AppendRune(buf, unicode.ToLower(r))
			case 'A' <= r && r <= 'Z':
				buf = append(buf, byte(r)+'a'-'A')
			case letters && leet[r] != 0 && !(k-n == i && r == '@'):
				buf = append(buf, leet[r])
			case r == '@' || r == '$' || r == '!' || r == '|':
				// Symbols in a word of no letters: drop them.
			default:
				buf = append(buf, byte(r))
			}
		}
		if len(buf) > b0 {
			offs = append(offs, len(toks), b0, len(buf))
			toks = append(toks, normToken{start: i, end: j, clause: clause})
			clause = false
		}
		i = j
	}
	if len(offs) > 0 {
		all := string(buf)
		for k := 0; k < len(offs); k += 3 {
			toks[offs[k]].norm = all[offs[k+1]:offs[k+2]]
		}
	}
	toks = joinSpelled(text, toks)
	for k := range toks {
		toks[k].h, toks[k].run = wordHash(toks[k].norm), hasRun(toks[k].norm)
	}
	return toks
}

// decodeRune decodes the rune at text[i], with a fast path for ASCII.
func decodeRune(text string, i int) (rune, int) {
	if c := text[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(text[i:])
}

// isWordRune reports whether r can be part of a word: a letter, a digit, a
// combining mark, or one of the ASCII symbols of leetspeak and masking.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return wordByte(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func nextIsWordLetter(text string, i int) bool {
	return i+1 < len(text) && isAlnum(text[i+1]) && i > 0 && isAlnum(text[i-1])
}

// joinSpelled joins runs of three or more one-letter words separated by a
// single space, dot, dash or underscore: "i d i o t" -> "idiot".
func joinSpelled(text string, toks []normToken) []normToken {
	out := toks[:0]
	for i := 0; i < len(toks); {
		j := i + 1
		if len(toks[i].norm) == 1 {
			for j < len(toks) && len(toks[j].norm) == 1 && toks[j].start-toks[j-1].end == 1 &&
				strings.IndexByte(" .-_", text[toks[j-1].end]) >= 0 {
				j++
			}
		}
		if j-i >= 3 {
			var b strings.Builder
			for k := i; k < j; k++ {
				b.WriteString(toks[k].norm)
			}
			out = append(out, normToken{start: toks[i].start, end: toks[j-1].end, norm: b.String(), clause: toks[i].clause})
		} else {
			out = append(out, toks[i:j]...)
		}
		i = j
	}
	return out
}

// variants returns wordVariants(t.norm), without a second look for runs.
func (t *normToken) variants() ([3]string, int) {
	if !t.run {
		return [3]string{t.norm}, 1
	}
	return wordVariants(t.norm)
}

// wordVariants returns the forms a word is looked up under, in v[:n]:
// itself, and, when it has a letter repeated three or more times
// ("stuuupid"), the forms with such runs cut to two and to one letter.
func wordVariants(w string) (v [3]string, n int) {
	v[0] = w
	if !hasRun(w) {
		return v, 1
	}
	squeeze := func(keep int) string {
		var b strings.Builder
		n := 0
		for i := 0; i < len(w); i++ {
			if i > 0 && w[i] == w[i-1] {
				n++
			} else {
				n = 1
			}
			if n <= keep {
				b.WriteByte(w[i])
			}
		}
		return b.String()
	}
	v[1], v[2] = squeeze(2), squeeze(1)
	return v, 3
}

// wordSet is a set of words and multi-word phrases, indexed by first word.
type wordSet map[string][][]string

// add adds a phrase, split into words by the tokenizer that splits the
// scanned text, so that both agree ("ex's" is two words, "f*ck" one).
func (s wordSet) add(phrase string) {
	toks := tokenizeWords(phrase)
	if len(toks) == 0 {
		return
	}
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.norm
	}
	s[words[0]] = append(s[words[0]], words[1:])
}

// filter returns a filter of the first words of the set.
func (s wordSet) filter() *wordFilter {
	f := &wordFilter{}
	for w := range s {
		f.add(w)
	}
	return f
}

// matchAt returns the end token index (exclusive) of the longest phrase of
// the set that starts at toks[i], or -1.
func (s wordSet) matchAt(toks []normToken, i int) int {
	best := -1
	vs, nv := toks[i].variants()
	for _, v := range vs[:nv] {
		for _, rest := range s[v] {
			if i+1+len(rest) > len(toks) || 1+len(rest) <= best-i {
				continue
			}
			ok := true
			for k, w := range rest {
				if toks[i+1+k].norm != w || toks[i+1+k].clause {
					ok = false
					break
				}
			}
			if ok {
				best = i + 1 + len(rest)
			}
		}
	}
	return best
}

// slot is one position of a pattern: a set of words (or of named sets'
// phrases), optional or not, or a gap of up to n words.
type slot struct {
	set      wordSet
	filter   *wordFilter
	optional bool
	gap      int
}

// pattern is a sequence of slots matched against consecutive words of one
// clause.
type pattern struct {
	src   string
	slots []slot
}

// compilePattern parses a pattern: slots separated by spaces; a slot is
// alternatives separated by | (a word, or @name for a named set, with _
// joining the words of a phrase), a trailing ? makes it optional, and *N
// is a gap of up to N words.
func compilePattern(src string, sets map[string]wordSet) (pattern, error) {
	p := pattern{src: src}
	for _, f := range strings.Fields(src) {
		if strings.HasPrefix(f, "*") {
			n, err := strconv.Atoi(f[1:])
			if err != nil || n < 1 || n > 8 {
				return p, fmt.Errorf("pattern %q: gap %q must be *1 to *8", src, f)
			}
			p.slots = append(p.slots, slot{gap: n})
			continue
		}
		s := slot{set: wordSet{}}
		if strings.HasSuffix(f, "?") {
			s.optional = true
			f = strings.TrimSuffix(f, "?")
		}
		for _, alt := range strings.Split(f, "|") {
			if name, ok := strings.CutPrefix(alt, "@"); ok {
				named, ok := sets[name]
				if !ok {
					return p, fmt.Errorf("pattern %q: unknown set @%s", src, name)
				}
				for k, v := range named {
					s.set[k] = append(s.set[k], v...)
				}
				continue
			}
			if alt == "" {
				return p, fmt.Errorf("pattern %q: empty alternative", src)
			}
			s.set.add(strings.ReplaceAll(alt, "_", " "))
		}
		s.filter = s.set.filter()
		p.slots = append(p.slots, s)
	}
	if len(p.slots) == 0 || p.slots[0].gap > 0 || p.slots[0].optional {
		return p, fmt.Errorf("pattern %q: must start with a required word slot", src)
	}
	return p, nil
}

// matchAt returns the end token index (exclusive) of a match of p starting
// at toks[i], or -1. Words in a match never cross a clause boundary.
func (p *pattern) matchAt(toks []normToken, i int) int {
	return p.match(toks, i, 0, i)
}

func (p *pattern) match(toks []normToken, i, k, first int) int {
	if k == len(p.slots) {
		return i
	}
	s := &p.slots[k]
	if s.gap > 0 {
		for g := 0; g <= s.gap && i+g <= len(toks); g++ {
			if g > 0 && i+g-1 < len(toks) && toks[i+g-1].clause && i+g-1 != first {
				break
			}
			if e := p.match(toks, i+g, k+1, first); e >= 0 {
				return e
			}
		}
		return -1
	}
	if i < len(toks) && !(toks[i].clause && i != first) && s.filter.mayHave(&toks[i]) {
		if e := s.set.matchAt(toks, i); e >= 0 {
			if r := p.match(toks, e, k+1, first); r >= 0 {
				return r
			}
		}
	}
	if s.optional {
		return p.match(toks, i, k+1, first)
	}
	return -1
}

// firstWords returns the words a match of p can start with.
func (p *pattern) firstWords() []string {
	words := make([]string, 0, len(p.slots[0].set))
	for w := range p.slots[0].set {
		words = append(words, w)
	}
	return words
}
