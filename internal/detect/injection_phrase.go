package detect

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the phrase patterns of the injection rules: sequences of
// tokens with alternatives, optional parts, repetitions and bounded gaps,
// matched over the token stream of normalised text. They replace regular
// expressions on the hot path: a phrase is only tried where its first
// token occurs (one hash lookup per token of the text), and a failed try
// usually stops at the second token, so the cost of the rules follows the
// number of suspicious words rather than the length of the text.
//
// Syntax (elements separated by spaces):
//
//	word         the token "word" (a word, or one punctuation character)
//	word*        any word token starting with "word"
//	_            any word token
//	(a b|c|d*)   one of the alternatives, each a sequence of the above
//	x? x{m,n}    an element (word, _ or group) optional, or repeated m..n times
//	~N           a gap of 0..N tokens, none of them across a line break
//	\c           the character c as a literal token: \( \) \| \? \* \_ \~
//
// Tokens: a word is a run of letters, digits, marks and '_', with ' and -
// kept inside it ("don't", "e-mail", "gpt-4"); any other visible character
// is a token of its own, and so is each Han, Hiragana and Katakana
// character. Whitespace separates tokens; a line break is remembered so
// that gaps stay on one line.

// phraseAtom matches one token.
type phraseAtom struct {
	lit    string
	id     int32 // lit's id in the detector's vocabulary, set by bind
	prefix bool  // lit is a prefix of the token
	any    bool  // any word token
}

// phraseElem is one element of a phrase: a group of alternatives repeated
// min..max times, or a gap.
type phraseElem struct {
	alts     [][]phraseAtom
	min, max int
	gap      int // > 0: a gap of up to gap tokens; alts is nil
}

// phrase is a compiled phrase pattern.
type phrase struct {
	src   string
	elems []phraseElem
}

// phraseMaxGap and phraseMaxRepeat bound what a phrase may ask for, which
// bounds the work of one try.
const (
	phraseMaxGap    = 40
	phraseMaxRepeat = 8
)

// compilePhrase parses a phrase pattern. The first element must be a
// required group of exact words (no prefix, no "_"), since its words are
// the anchors where the phrase is tried.
func compilePhrase(src string) (*phrase, error) {
	p := &phrase{src: src}
	toks, err := phraseLex(src)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		var el phraseElem
		switch {
		case t.group:
			for _, alt := range strings.Split(t.text, "\x00") {
				atoms, err := phraseAtoms(alt)
				if err != nil {
					return nil, err
				}
				el.alts = append(el.alts, atoms)
			}
		case strings.HasPrefix(t.text, "~") && !t.escaped:
			n, err := strconv.Atoi(t.text[1:])
			if err != nil || n < 1 || n > phraseMaxGap {
				return nil, fmt.Errorf("gap %q: want ~1..~%d", t.text, phraseMaxGap)
			}
			if i == 0 || i == len(toks)-1 {
				return nil, fmt.Errorf("gap %q at the start or end of the phrase", t.text)
			}
			p.elems = append(p.elems, phraseElem{gap: n, min: 1, max: 1})
			continue
		default:
			a, err := phraseAtomOf(t.text, t.escaped)
			if err != nil {
				return nil, err
			}
			el.alts = [][]phraseAtom{{a}}
		}
		el.min, el.max = t.min, t.max
		p.elems = append(p.elems, el)
	}
	if len(p.elems) == 0 {
		return nil, fmt.Errorf("empty phrase")
	}
	first := p.elems[0]
	if first.gap > 0 || first.min < 1 {
		return nil, fmt.Errorf("phrase %q: the first element must be required", src)
	}
	for _, alt := range first.alts {
		if alt[0].prefix || alt[0].any {
			return nil, fmt.Errorf("phrase %q: the first element must start with exact words", src)
		}
	}
	return p, nil
}

// anchors returns the words a match of p can start with.
func (p *phrase) anchors() []string {
	var out []string
	for _, alt := range p.elems[0].alts {
		out = append(out, alt[0].lit)
	}
	return out
}

// literals returns the literal words of p, so that the rules loader can
// check that they are normalised (a word with a capital letter never
// matches normalised text).
func (p *phrase) literals() []string {
	var out []string
	for _, el := range p.elems {
		for _, alt := range el.alts {
			for _, a := range alt {
				if !a.any {
					out = append(out, a.lit)
				}
			}
		}
	}
	return out
}

// phraseLexTok is an element of a phrase as written, before compilation.
type phraseLexTok struct {
	text     string // for a group: the alternatives separated by NUL
	group    bool
	escaped  bool
	min, max int
}

// phraseLex splits a pattern into elements and their quantifiers.
func phraseLex(src string) ([]phraseLexTok, error) {
	var out []phraseLexTok
	for i := 0; i < len(src); {
		if src[i] == ' ' {
			i++
			continue
		}
		t := phraseLexTok{min: 1, max: 1}
		switch {
		case src[i] == '(':
			j := i + 1
			var b strings.Builder
			for ; j < len(src) && src[j] != ')'; j++ {
				switch {
				case src[j] == '\\' && j+1 < len(src):
					b.WriteByte(src[j])
					j++
					b.WriteByte(src[j])
				case src[j] == '|':
					b.WriteByte(0)
				case src[j] == '(':
					return nil, fmt.Errorf("phrase %q: nested group at byte %d", src, j)
				default:
					b.WriteByte(src[j])
				}
			}
			if j == len(src) {
				return nil, fmt.Errorf("phrase %q: unclosed group at byte %d", src, i)
			}
			t.text, t.group = b.String(), true
			i = j + 1
		default:
			j := i
			for j < len(src) && src[j] != ' ' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j, len(src))
			word := src[i:j]
			// A trailing ? or {m,n} quantifies a word longer than one
			// character; "?" alone is the literal question mark.
			if k := strings.IndexByte(word, '{'); k > 0 && strings.HasSuffix(word, "}") && word[k-1] != '\\' {
				word, t.text = word[:k], word[k:]
			} else if len(word) > 1 && word[len(word)-1] == '?' && word[len(word)-2] != '\\' {
				word, t.text = word[:len(word)-1], "?"
			}
			q := t.text
			t.text, t.escaped = word, strings.HasPrefix(word, "\\")
			if err := t.quantify(q); err != nil {
				return nil, fmt.Errorf("phrase %q: %w", src, err)
			}
			out = append(out, t)
			i = j
			continue
		}
		j := i
		for j < len(src) && src[j] != ' ' {
			j++
		}
		if err := t.quantify(src[i:j]); err != nil {
			return nil, fmt.Errorf("phrase %q: %w", src, err)
		}
		out = append(out, t)
		i = j
	}
	return out, nil
}

// quantify applies a quantifier written after an element: "", "?" or
// "{m,n}".
func (t *phraseLexTok) quantify(q string) error {
	switch {
	case q == "":
	case q == "?":
		t.min, t.max = 0, 1
	case strings.HasPrefix(q, "{") && strings.HasSuffix(q, "}"):
		lo, hi, ok := strings.Cut(q[1:len(q)-1], ",")
		m, err1 := strconv.Atoi(lo)
		n, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || m < 0 || n < max(m, 1) || n > phraseMaxRepeat {
			return fmt.Errorf("bad repetition %q (want {m,n}, 0 <= m <= n <= %d)", q, phraseMaxRepeat)
		}
		t.min, t.max = m, n
	default:
		return fmt.Errorf("unexpected %q after an element", q)
	}
	return nil
}

// phraseAtoms parses one alternative of a group.
func phraseAtoms(alt string) ([]phraseAtom, error) {
	var out []phraseAtom
	for _, w := range strings.Fields(alt) {
		a, err := phraseAtomOf(w, strings.HasPrefix(w, "\\"))
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty alternative in a group")
	}
	return out, nil
}

// phraseAtomOf parses one word of a pattern.
func phraseAtomOf(w string, escaped bool) (phraseAtom, error) {
	if escaped {
		if len(w) != 2 {
			return phraseAtom{}, fmt.Errorf("escape %q: want one character after \\", w)
		}
		return phraseAtom{lit: w[1:]}, nil
	}
	switch {
	case w == "_":
		return phraseAtom{any: true}, nil
	case len(w) > 1 && strings.HasSuffix(w, "*"):
		w = w[:len(w)-1]
		if !phraseIsOneToken(w) {
			return phraseAtom{}, fmt.Errorf("prefix %q is not one word", w)
		}
		return phraseAtom{lit: w, prefix: true}, nil
	}
	if !phraseIsOneToken(w) {
		return phraseAtom{}, fmt.Errorf("%q is not one token (write punctuation as separate words)", w)
	}
	return phraseAtom{lit: w}, nil
}

// phraseIsOneToken reports whether w is exactly one token of the token
// stream, so that a literal can ever match.
func phraseIsOneToken(w string) bool {
	if w == "" {
		return false
	}
	toks := tokenize(w, &anchorTable{}, nil)
	return len(toks) == 1 && toks[0].s == 0 && int(toks[0].e) == len(w)
}

// Byte classes of the tokenizer.
const (
	tokSpace = iota
	tokNewline
	tokWord   // ASCII letter, digit or '_'
	tokJoiner // ' and -: part of a word when between word characters
	tokPunct
	tokHigh // first or continuation byte of a multi-byte rune
)

var tokClass = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		switch {
		case c >= 0x80:
			t[i] = tokHigh
		case c == '\n' || c == '\r':
			t[i] = tokNewline
		case c <= ' ' || c == 0x7F:
			t[i] = tokSpace
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			t[i] = tokWord
		case c == '\'' || c == '-':
			t[i] = tokJoiner
		default:
			t[i] = tokPunct
		}
	}
	return t
}()

// wordRuneAt reports whether text[i:] starts with a rune that belongs to a
// word, and its size.
func wordRuneAt(text string, i int) (bool, int) {
	c := text[i]
	if c < utf8.RuneSelf {
		return tokClass[c] == tokWord, 1
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r), size
}

// isCJKRuneAt reports whether text[i:] starts with a Han, Hiragana or
// Katakana character. Those scripts write no spaces between words, so the
// tokenizer makes each such character a token of its own: a phrase can then
// spell a Chinese or Japanese word as a sequence of characters ("忽 略")
// instead of needing the whole unbroken run of text as one token.
func isCJKRuneAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return r >= 0x3040 && (unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) || r == 'ー')
}

// wordEnd returns the end of the word that continues at j.
func wordEnd(text string, j int) int {
	for j < len(text) {
		switch tokClass[text[j]] {
		case tokWord:
			j++
			continue
		case tokJoiner:
			if j+1 < len(text) {
				if w, _ := wordRuneAt(text, j+1); w {
					j++
					continue
				}
			}
		case tokHigh:
			if w, size := wordRuneAt(text, j); w && !isCJKRuneAt(text, j) {
				j += size
				continue
			}
		}
		break
	}
	return j
}

// phraseToken is one token of a text, as the matcher sees it.
type phraseToken struct {
	s, e int32 // text[s:e]
	id   int32 // vocabulary id; 0 when the token is no word of any phrase
	nl   bool  // a line break precedes the token
	word bool  // a word, not a punctuation character
}

// tokenize appends the tokens of text to toks, with their vocabulary ids,
// and returns it.
func tokenize(text string, vocab *anchorTable, toks []phraseToken) []phraseToken {
	nl := false
	for i := 0; i < len(text); {
		c := text[i]
		switch tokClass[c] {
		case tokSpace:
			i++
			continue
		case tokNewline:
			nl = true
			i++
			continue
		case tokWord:
			// The common case: an ASCII word, hashed as it is read.
			var v uint64
			j := i
			for j < len(text) && tokClass[text[j]] == tokWord {
				v = bits.RotateLeft64(v, 8) ^ uint64(text[j])
				j++
			}
			if j < len(text) && tokClass[text[j]] >= tokJoiner && tokClass[text[j]] != tokPunct {
				// A joiner or a non-ASCII byte may continue the word.
				if k := wordEnd(text, j); k > j {
					j = k
					v = tokenKey(text[i:j])
				}
			}
			toks = append(toks, phraseToken{s: int32(i), e: int32(j), id: vocab.id(text[i:j], v), nl: nl, word: true})
			i, nl = j, false
			continue
		}
		word, size := wordRuneAt(text, i)
		j := i + size
		if word && !isCJKRuneAt(text, i) {
			j = wordEnd(text, j)
		}
		toks = append(toks, phraseToken{s: int32(i), e: int32(j), id: vocab.id(text[i:j], tokenKey(text[i:j])), nl: nl, word: word})
		i, nl = j, false
	}
	return toks
}

// phraseInput is a text and its tokens.
type phraseInput struct {
	text string
	toks []phraseToken
}

// matchAt tries p at token i; it returns the index after the last token
// of the match, or -1.
func (p *phrase) matchAt(in *phraseInput, i int) int {
	return phraseElems(in, p.elems, i)
}

// phraseElems matches elems from token i on and returns the end, or -1.
func phraseElems(in *phraseInput, elems []phraseElem, i int) int {
	if len(elems) == 0 {
		return i
	}
	el := &elems[0]
	if el.gap == 0 {
		return phraseRepeat(in, el, elems[1:], i, 0)
	}
	next := &elems[1]
	for k := 0; ; k++ {
		if i >= len(in.toks) || in.toks[i].nl {
			return -1 // a gap, and what follows it, stay on the line
		}
		if next.firstMayBe(in, &in.toks[i]) {
			if r := phraseElems(in, elems[1:], i); r >= 0 {
				return r
			}
		}
		if k == el.gap {
			return -1
		}
		i++
	}
}

// firstMayBe reports whether a match of el can start with t: a cheap test
// that lets a gap skip tokens without trying the rest of the phrase.
func (el *phraseElem) firstMayBe(in *phraseInput, t *phraseToken) bool {
	if el.min == 0 || el.gap > 0 {
		return true
	}
	for _, alt := range el.alts {
		if alt[0].matches(in, t) {
			return true
		}
	}
	return false
}

// phraseRepeat matches element el, already seen count times, greedily,
// then the rest.
func phraseRepeat(in *phraseInput, el *phraseElem, rest []phraseElem, i, count int) int {
	if count < el.max && i < len(in.toks) {
		t := &in.toks[i]
		for _, alt := range el.alts {
			if !alt[0].matches(in, t) {
				continue
			}
			j := phraseSeq(in, alt[1:], i+1)
			if j < 0 {
				continue
			}
			if r := phraseRepeat(in, el, rest, j, count+1); r >= 0 {
				return r
			}
		}
	}
	if count >= el.min {
		return phraseElems(in, rest, i)
	}
	return -1
}

// matches reports whether the atom matches token t.
func (a *phraseAtom) matches(in *phraseInput, t *phraseToken) bool {
	switch {
	case a.any:
		return t.word
	case a.prefix:
		return t.word && strings.HasPrefix(in.text[t.s:t.e], a.lit)
	}
	return t.id == a.id
}

// phraseSeq matches a sequence of atoms from token i on and returns the
// end, or -1.
func phraseSeq(in *phraseInput, atoms []phraseAtom, i int) int {
	for k := range atoms {
		if i >= len(in.toks) || !atoms[k].matches(in, &in.toks[i]) {
			return -1
		}
		i++
	}
	return i
}

// bind gives every exact word of p its id in vocab, adding the words
// that are missing.
func (p *phrase) bind(vocab *anchorTable) {
	for ei := range p.elems {
		for _, alt := range p.elems[ei].alts {
			for k := range alt {
				if a := &alt[k]; !a.any && !a.prefix {
					a.id = vocab.add(a.lit).id
				}
			}
		}
	}
}

// anchorTable is the vocabulary of the phrases: it maps a token to its id
// and to the phrases anchored on it. It is an open-addressing table probed
// once per token of the text, where nearly every probe lands on an empty
// slot.
type anchorTable struct {
	mask  uint32
	slots []anchorSlot
	entry []anchorEntry
}

// anchorSlot is a slot of the table: the hash of an entry, kept here so
// that a probe reads one small array, and the entry's id (0: empty).
type anchorSlot struct {
	key uint64
	id  int32
}

// anchorEntry is one word of the vocabulary: its id (from 1), the phrases
// that start with it, and whether it is the ROT13 form of a trigger word.
type anchorEntry struct {
	word    string
	key     uint64
	id      int32
	phrases []int32
	rot13   bool
}

// tokenKey packs a token into 64 bits: its bytes rotated in one by one,
// which is the token itself for tokens of up to 8 bytes (the usual case),
// so that those are compared as one integer. The rotation has a one-cycle
// dependency per byte, which keeps tokenising fast.
func tokenKey(tok string) uint64 {
	var v uint64
	for i := 0; i < len(tok); i++ {
		v = bits.RotateLeft64(v, 8) ^ uint64(tok[i])
	}
	return v
}

// tokenSlot spreads a key over the table's slots.
func tokenSlot(v uint64) uint32 { return uint32((v * 0x9E3779B97F4A7C15) >> 32) }

// add returns the entry for word, creating it.
func (t *anchorTable) add(word string) *anchorEntry {
	if e := t.lookup(word, tokenKey(word)); e != nil {
		return e
	}
	t.entry = append(t.entry, anchorEntry{word: word, key: tokenKey(word), id: int32(len(t.entry) + 1)})
	return &t.entry[len(t.entry)-1]
}

// id returns the id of tok, whose key is v, or 0.
func (t *anchorTable) id(tok string, v uint64) int32 {
	if len(t.slots) == 0 {
		return 0
	}
	for k := tokenSlot(v) & t.mask; t.slots[k].id != 0; k = (k + 1) & t.mask {
		if sl := t.slots[k]; sl.key == v && (len(tok) <= 8 || t.entry[sl.id-1].word == tok) {
			return sl.id
		}
	}
	return 0
}

// build sizes the slots for the entries at a load of at most 1/4.
func (t *anchorTable) build() {
	n := 64
	for n < 4*len(t.entry) {
		n *= 2
	}
	t.mask = uint32(n - 1)
	t.slots = make([]anchorSlot, n)
	for _, e := range t.entry {
		k := tokenSlot(e.key) & t.mask
		for t.slots[k].id != 0 {
			k = (k + 1) & t.mask
		}
		t.slots[k] = anchorSlot{key: e.key, id: e.id}
	}
}

// lookup returns the entry for tok, whose key is v, or nil.
func (t *anchorTable) lookup(tok string, v uint64) *anchorEntry {
	if t.slots == nil {
		// Still being built: a linear search.
		for i := range t.entry {
			if t.entry[i].word == tok {
				return &t.entry[i]
			}
		}
		return nil
	}
	if id := t.id(tok, v); id != 0 {
		return &t.entry[id-1]
	}
	return nil
}
