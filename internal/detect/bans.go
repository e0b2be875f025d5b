package detect

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
)

// Ban finding types; topics report "topic:<name>".
const (
	TypeBannedSubstring = "substring"
	TypeBannedRegex     = "regex"
	TypeCompetitor      = "competitor"
	TypeTopicPrefix     = "topic:"
)

// BanOptions configures a Bans detector.
type BanOptions struct {
	// Substrings are banned outright.
	Substrings []string
	// Regexes are banned outright (Go RE2 syntax).
	Regexes []string
	// Competitors are names that must not appear; they always match whole
	// words, so "Acme" does not fire inside "Acmeville".
	Competitors []string
	// Topics maps a topic name to its keywords. A topic matches when at
	// least TopicMinMatches distinct keywords occur.
	Topics map[string][]string
	// TopicMinMatches is how many distinct keywords make a topic match;
	// 0 means 2, so a single ambiguous word does not.
	TopicMinMatches int
	// CaseSensitive turns off case folding (ASCII letters only: folding
	// keeps byte offsets unchanged, which Unicode case folding does not).
	CaseSensitive bool
	// WholeWords makes substrings and topic keywords match only at word
	// boundaries.
	WholeWords bool
}

// Bans reports text that an application has banned: substrings (searched
// with one Aho-Corasick automaton), regular expressions, competitor names
// and topics recognised by keyword sets. Explicit bans score 1; a topic
// scores 0.6 at TopicMinMatches keywords and 0.1 more per extra keyword,
// with one finding spanning the first to the last keyword.
type Bans struct {
	opts     BanOptions
	trie     *ahocorasick.Trie
	patterns []banPattern
	byWord   [][]int // automaton pattern -> indexes in patterns (one word may serve several bans)
	regexes  []*regexp.Regexp
	topics   []string // sorted topic names
	minTopic int
}

// banPattern is one automaton pattern and what it stands for.
type banPattern struct {
	kind  string // TypeBannedSubstring, TypeCompetitor or TypeTopicPrefix
	topic int    // index in topics for topic keywords
	key   int    // distinct keyword id within its topic
	whole bool   // match whole words only
}

// NewBans builds a Bans detector. An invalid regular expression is an error
// that names it.
func NewBans(opts BanOptions) (*Bans, error) {
	b := &Bans{opts: opts, minTopic: opts.TopicMinMatches}
	if b.minTopic <= 0 {
		b.minTopic = 2
	}
	var words []string
	wordIndex := map[string]int{} // the automaton keeps one pattern per string
	add := func(w string, p banPattern) {
		w = strings.TrimSpace(w)
		if w == "" {
			return
		}
		if !opts.CaseSensitive {
			w = banLower(w)
		}
		wi, ok := wordIndex[w]
		if !ok {
			wi = len(words)
			wordIndex[w] = wi
			words = append(words, w)
			b.byWord = append(b.byWord, nil)
		}
		b.byWord[wi] = append(b.byWord[wi], len(b.patterns))
		b.patterns = append(b.patterns, p)
	}
	for _, s := range opts.Substrings {
		add(s, banPattern{kind: TypeBannedSubstring, whole: opts.WholeWords})
	}
	for _, s := range opts.Competitors {
		add(s, banPattern{kind: TypeCompetitor, whole: true})
	}
	for name := range opts.Topics {
		b.topics = append(b.topics, name)
	}
	slices.Sort(b.topics)
	for ti, name := range b.topics {
		for ki, kw := range opts.Topics[name] {
			add(kw, banPattern{kind: TypeTopicPrefix, topic: ti, key: ki, whole: opts.WholeWords})
		}
	}
	if len(words) > 0 {
		b.trie = ahocorasick.NewTrieBuilder().AddStrings(words).Build()
	}
	for i, expr := range opts.Regexes {
		if !opts.CaseSensitive {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("bans: regex %d %q: %w", i+1, opts.Regexes[i], err)
		}
		b.regexes = append(b.regexes, re)
	}
	return b, nil
}

// Name implements Detector.
func (*Bans) Name() string { return "bans" }

// Scan implements Detector.
func (b *Bans) Scan(text string) []Finding {
	var out []Finding
	type topicHit struct {
		keys       map[int]bool
		start, end int
	}
	var topics map[int]*topicHit
	if b.trie != nil {
		hay := []byte(text)
		if !b.opts.CaseSensitive {
			hay = []byte(banLower(text))
		}
		b.trie.Walk(hay, func(end, n, word int64) bool {
			s, e := int(end-n+1), int(end+1)
			for _, pi := range b.byWord[word] {
				p := b.patterns[pi]
				if p.whole && !banWordBoundary(text, s, e) {
					continue
				}
				if p.kind != TypeTopicPrefix {
					out = append(out, Finding{Scanner: b.Name(), Type: p.kind, Start: s, End: e, Score: 1})
					continue
				}
				if topics == nil {
					topics = map[int]*topicHit{}
				}
				h := topics[p.topic]
				if h == nil {
					h = &topicHit{keys: map[int]bool{}, start: s, end: e}
					topics[p.topic] = h
				}
				h.keys[p.key] = true
				h.start, h.end = min(h.start, s), max(h.end, e)
			}
			return true
		})
	}
	for ti, h := range topics {
		if n := len(h.keys); n >= b.minTopic {
			score := min(1, 0.6+0.1*float64(n-b.minTopic))
			out = append(out, Finding{Scanner: b.Name(), Type: TypeTopicPrefix + b.topics[ti], Start: h.start, End: h.end, Score: score})
		}
	}
	for _, re := range b.regexes {
		for _, m := range re.FindAllStringIndex(text, -1) {
			if m[1] > m[0] {
				out = append(out, Finding{Scanner: b.Name(), Type: TypeBannedRegex, Start: m[0], End: m[1], Score: 1})
			}
		}
	}
	sortFindings(out)
	return slices.Compact(out)
}

// banLower lower-cases ASCII letters only, so byte offsets do not move.
func banLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 0x20
				}
			}
			return string(b)
		}
	}
	return s
}

// banWordBoundary reports whether text[s:e] is not glued to a letter or
// digit on either side (Unicode-aware).
func banWordBoundary(text string, s, e int) bool {
	if s > 0 {
		if r, _ := utf8.DecodeLastRuneInString(text[:s]); banWordRune(r) && banWordRune(banFirstRune(text[s:e])) {
			return false
		}
	}
	if e < len(text) {
		if r, _ := utf8.DecodeRuneInString(text[e:]); banWordRune(r) && banWordRune(banLastRune(text[s:e])) {
			return false
		}
	}
	return true
}

// banWordRune reports whether r is part of a word.
func banWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// banFirstRune and banLastRune return the first and last rune of s.
func banFirstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }
func banLastRune(s string) rune  { r, _ := utf8.DecodeLastRuneInString(s); return r }
