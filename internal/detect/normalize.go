package detect

import (
	"sort"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"

	"github.com/redoubt-sec/redoubt/internal/codec"
)

// Normalized is a text brought to a canonical form for matching, with the
// way back to the original: detectors match on Text and report spans in
// the original through Orig and OrigEnd.
//
// Normalize applies, in order: Unicode NFKC (fullwidth and mathematical
// letters become ASCII, ligatures split), lower-casing, homoglyph folding
// (Cyrillic, Greek and other letters that look Latin become that Latin
// letter), removal of invisible characters (zero-width, bidi controls,
// variation selectors, soft hyphen), and whitespace collapsing: a run of
// whitespace becomes one space, or one newline when it holds a line break,
// so lines and paragraphs stay visible to later stages.
//
// Unicode tag characters (U+E0000-U+E007F) are invisible yet read by many
// models, which makes them a channel for smuggled text. Normalize decodes
// them into ASCII and appends the result to Text after a newline, from
// byte HiddenStart on, so matching sees the hidden instruction as text;
// its offsets map back to the tag characters that carried it.
type Normalized struct {
	// Text is the normalised text.
	Text string
	// HiddenStart is the offset in Text where text decoded from tag
	// characters begins (including the newline that separates it);
	// len(Text) when there is none.
	HiddenStart int

	origLen int
	// marks maps Text back to the original; nil means the identity.
	marks []normMark
}

// normMark says that Text from byte n on (up to the next mark) came from the
// original bytes [o, oe). When lin is set the bytes correspond one to one;
// otherwise the whole piece replaces the original piece, and every byte of
// it maps to o (start) or oe (end), which are rune boundaries.
type normMark struct {
	n, o, oe int32
	lin      bool
}

// Orig maps an offset in Text to the offset in the original text where the
// byte at i came from. Offsets out of range are clamped; len(Text) maps to
// the end of the original. The result is always a rune boundary of the
// original when i is a rune boundary of Text.
func (n Normalized) Orig(i int) int {
	if i >= len(n.Text) {
		return n.origLen
	}
	i = max(i, 0)
	if n.marks == nil {
		return i
	}
	m := n.find(i)
	if m.lin {
		return int(m.o) + i - int(m.n)
	}
	return int(m.o)
}

// OrigEnd maps the end offset of a span in Text (exclusive) to the end of
// the corresponding original span, so that [Orig(s), OrigEnd(e)) covers
// every original byte that produced Text[s:e].
func (n Normalized) OrigEnd(e int) int {
	if e <= 0 {
		return n.Orig(0)
	}
	e = min(e, len(n.Text))
	if n.marks == nil {
		return e
	}
	m := n.find(e - 1)
	if m.lin {
		return int(m.o) + e - int(m.n)
	}
	return int(m.oe)
}

// Span maps the span Text[s:e] to the original, as (Orig(s), OrigEnd(e)),
// and never returns an end before the start.
func (n Normalized) Span(s, e int) (int, int) {
	os, oe := n.Orig(s), n.OrigEnd(e)
	if oe < os {
		// A hidden-text span maps to tag characters out of order with
		// respect to the visible text only if it straddles both; keep a
		// valid span covering the start.
		oe = os
	}
	return os, oe
}

// find returns the last mark at or before i; marks[0].n is 0.
func (n Normalized) find(i int) normMark {
	k := sort.Search(len(n.marks), func(k int) bool { return int(n.marks[k].n) > i })
	return n.marks[max(k-1, 0)]
}

// Normalize brings text to the canonical form described on Normalized.
// Pure-ASCII text takes a fast path: lower-casing and whitespace
// collapsing only, and no allocation at all when the text is already
// lower-case with single spaces.
func Normalize(text string) Normalized {
	// OR-ing every byte has no branch to mispredict: a text is nearly
	// always all ASCII or not, and the answer is only needed at the end.
	var or byte
	for i := 0; i < len(text); i++ {
		or |= text[i]
	}
	if or >= utf8.RuneSelf {
		return normUnicode(text)
	}
	return normASCII(text)
}

// ASCII byte classes of the normaliser.
const (
	normPlain      = iota // kept as it is
	normUpper             // lower-cased
	normSpaceKeep         // ' ' or '\n': kept when alone
	normSpaceOther        // other whitespace: always replaced
)

var normClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= 'A' && c <= 'Z':
			t[c] = normUpper
		case c == ' ' || c == '\n':
			t[c] = normSpaceKeep
		case c == '\t' || c == '\r' || c == '\v' || c == '\f':
			t[c] = normSpaceOther
		}
	}
	return t
}()

// normIsSpace reports whether b is ASCII whitespace.
func normIsSpace(b byte) bool { return normClass[b] >= normSpaceKeep }

// normNeedsWork reports whether ASCII text would change under
// normalisation.
func normNeedsWork(text string) bool {
	prevSpace := false
	for i := 0; i < len(text); i++ {
		switch normClass[text[i]] {
		case normPlain:
			prevSpace = false
		case normSpaceKeep:
			if prevSpace {
				return true
			}
			prevSpace = true
		default:
			return true
		}
	}
	return false
}

func normASCII(text string) Normalized {
	if !normNeedsWork(text) {
		return Normalized{Text: text, HiddenStart: len(text), origLen: len(text)}
	}
	b := normBuilder{out: make([]byte, 0, len(text)), ident: true}
	for i := 0; i < len(text); {
		// Copy the longest run that only needs lower-casing: visible
		// bytes and lone spaces or newlines. Whitespace that collapses or
		// changes ends it.
		j := i
		for j < len(text) {
			if k := normClass[text[j]]; k >= normSpaceKeep && (k == normSpaceOther || j+1 < len(text) && normIsSpace(text[j+1])) {
				break
			}
			j++
		}
		if j > i {
			b.copyLower(i, j, text[i:j])
			i = j
			continue
		}
		j, nl := i, false
		for j < len(text) && normIsSpace(text[j]) {
			nl = nl || text[j] == '\n'
			j++
		}
		b.space(i, j, nl)
		i = j
	}
	return b.done(len(text))
}

// normBuilder accumulates normalised bytes and the marks that map them back.
type normBuilder struct {
	out   []byte
	marks []normMark
	// ident holds while every output byte so far sits at the same offset
	// as its source byte; marks are only created once that stops.
	ident bool
	// hidden collects text decoded from tag characters, with the original
	// offset of each character.
	hidden    []byte
	hiddenPos []int32
}

// leaveIdent records the identity prefix as a mark before the first
// non-identity piece.
func (b *normBuilder) leaveIdent() {
	if !b.ident {
		return
	}
	b.ident = false
	if len(b.out) > 0 {
		b.marks = append(b.marks, normMark{n: 0, o: 0, oe: int32(len(b.out)), lin: true})
	}
}

// copyLower appends s, which is text[o:oe], lower-casing ASCII letters; the
// bytes correspond one to one.
func (b *normBuilder) copyLower(o, oe int, s string) {
	n := len(b.out)
	b.out = append(b.out, s...)
	for i, c := range b.out[n:] {
		if c-'A' < 26 {
			b.out[n+i] = c + 'a' - 'A'
		}
	}
	if b.ident && n == o {
		return
	}
	b.leaveIdent()
	if k := len(b.marks) - 1; k >= 0 {
		last := &b.marks[k]
		if last.lin && int(last.oe) == o && int(last.n)+int(last.oe-last.o) == n {
			last.oe = int32(oe)
			return
		}
	}
	b.marks = append(b.marks, normMark{n: int32(n), o: int32(o), oe: int32(oe), lin: true})
}

// replace appends s as the normalised form of the original bytes [o, oe).
// An empty s drops them.
func (b *normBuilder) replace(o, oe int, s string) {
	if s == "" {
		return
	}
	if len(s) == 1 && oe-o == 1 {
		// One byte for one byte (a tab turned space) keeps the mapping
		// linear.
		b.copyLower(o, oe, s)
		return
	}
	b.leaveIdent()
	b.marks = append(b.marks, normMark{n: int32(len(b.out)), o: int32(o), oe: int32(oe)})
	b.out = append(b.out, s...)
}

// replaceBytes is replace for a byte slice, which it does not retain.
func (b *normBuilder) replaceBytes(o, oe int, s []byte) {
	if len(s) == 1 && oe-o == 1 {
		b.copyLower(o, oe, string(s))
		return
	}
	if len(s) == 0 {
		return
	}
	b.leaveIdent()
	b.marks = append(b.marks, normMark{n: int32(len(b.out)), o: int32(o), oe: int32(oe)})
	b.out = append(b.out, s...)
}

// space appends the collapsed form of the whitespace run [o, oe).
func (b *normBuilder) space(o, oe int, newline bool) {
	s := " "
	if newline {
		s = "\n"
	}
	b.replace(o, oe, s)
}

// done appends the hidden text and returns the result.
func (b *normBuilder) done(origLen int) Normalized {
	hiddenStart := len(b.out)
	if len(b.hidden) > 0 {
		first := int(b.hiddenPos[0])
		b.replace(first, first+4, "\n")
		for i, c := range b.hidden {
			o := int(b.hiddenPos[i])
			b.leaveIdent()
			b.marks = append(b.marks, normMark{n: int32(len(b.out)), o: int32(o), oe: int32(o + 4)})
			b.out = append(b.out, c)
		}
	}
	// The builder's buffer is never written again: the text can share it
	// rather than copy it.
	n := Normalized{Text: unsafe.String(unsafe.SliceData(b.out), len(b.out)), HiddenStart: hiddenStart, origLen: origLen}
	if !b.ident {
		n.marks = b.marks
	}
	return n
}

// normInvisible reports whether r is a format or selector character that
// renders as nothing and so can hide inside or between words: zero-width
// characters, bidi controls, variation selectors, the soft hyphen and the
// combining grapheme joiner.
func normInvisible(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, // zero-width space/joiners, LRM, RLM
		r >= 0x202A && r <= 0x202E, // bidi embeddings and overrides
		r >= 0x2060 && r <= 0x2064, // word joiner, invisible operators
		r >= 0x2066 && r <= 0x2069, // bidi isolates
		r == 0xFEFF,                // zero-width no-break space (BOM)
		r >= 0xFE00 && r <= 0xFE0F, // variation selectors
		r >= 0xE0100 && r <= 0xE01EF,
		r >= 0x180B && r <= 0x180F, // Mongolian selectors and vowel separator
		r == 0x00AD, r == 0x034F, r == 0x061C, r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0:
		return true
	}
	return false
}

// normHomoglyphs maps lower-case letters of other scripts that look like a
// Latin letter to that letter. NFKC already handles fullwidth,
// mathematical and most compatibility forms; this table covers the
// look-alikes Unicode does not consider equivalent. Upper-case forms are
// covered because lower-casing runs first.
var normHomoglyphs = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'һ': 'h', 'н': 'h', 'і': 'i', 'ї': 'i',
	'ј': 'j', 'к': 'k', 'ӏ': 'l', 'м': 'm', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'ѕ': 's',
	'т': 't', 'у': 'y', 'ү': 'y', 'х': 'x', 'с': 'c', 'ԁ': 'd', 'ԝ': 'w', 'ѵ': 'v',
	'ɡ': 'g', 'ԍ': 'g', 'ԥ': 'p', 'ʏ': 'y',
	// Greek
	'α': 'a', 'β': 'b', 'γ': 'y', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v',
	'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'ϲ': 'c', 'ϳ': 'j',
	'ζ': 'z', 'μ': 'u',
	// Armenian
	'օ': 'o', 'ս': 'u', 'ց': 'g', 'հ': 'h', 'ո': 'n', 'զ': 'q',
	// Latin letters that pass for others
	'ı': 'i', 'ȷ': 'j', 'ɑ': 'a', 'ɩ': 'i', 'ɪ': 'i', 'ʀ': 'r', 'ᴄ': 'c', 'ᴏ': 'o',
	'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ᴢ': 'z', 'ɴ': 'n', 'ʜ': 'h', 'ᴋ': 'k', 'ᴍ': 'm',
	'ᴛ': 't', 'ᴀ': 'a', 'ʙ': 'b', 'ᴅ': 'd', 'ᴇ': 'e', 'ғ': 'f', 'ʟ': 'l', 'ᴘ': 'p',
	'ꜱ': 's',
	// Typographic quotes, so that "I’m" matches "i'm".
	'\u2018': '\'', '\u2019': '\'', '\u201B': '\'', '\u2032': '\'', '\u201C': '"', '\u201D': '"', '\u201E': '"',
}

// normFoldRune lower-cases r and folds it to a Latin look-alike when it has one.
func normFoldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	r = unicode.ToLower(r)
	if l, ok := normHomoglyphs[r]; ok {
		return l
	}
	return r
}

func normUnicode(text string) Normalized {
	u := unicodeNormalizer{text: text, b: normBuilder{out: make([]byte, 0, len(text)+8), ident: true}, wsStart: -1}
	var it norm.Iter
	it.InitString(norm.NFKC, text)
	for !it.Done() {
		o := it.Pos()
		nb := it.Next()
		oe := it.Pos()
		if string(nb) == text[o:oe] {
			// NFKC left the piece as it was (the usual case, and the
			// iterator hands out long runs of such text): map rune by
			// rune so that offsets stay exact.
			for i := 0; i < len(nb); {
				r, size := utf8.DecodeRune(nb[i:])
				u.rune(o+i, o+i+size, r)
				i += size
			}
			continue
		}
		// NFKC rewrote the piece (a ligature, a fullwidth or mathematical
		// letter, a composed accent): its output maps to the piece as a
		// whole.
		u.seg = u.seg[:0]
		for i := 0; i < len(nb); {
			r, size := utf8.DecodeRune(nb[i:])
			i += size
			u.fold(o, oe, r)
		}
		if len(u.seg) > 0 {
			u.flush()
			u.b.replaceBytes(o, oe, u.seg)
		}
	}
	u.flush()
	return u.b.done(len(text))
}

// unicodeNormalizer is the state of one Normalize call on non-ASCII text.
type unicodeNormalizer struct {
	text string
	b    normBuilder
	// seg collects the folded form of the current piece.
	seg []byte
	// A pending whitespace run [wsStart, wsEnd), flushed by the next
	// visible character; wsStart < 0 when there is none.
	wsStart, wsEnd int
	wsNL           bool
}

// flush writes the pending whitespace run.
func (u *unicodeNormalizer) flush() {
	if u.wsStart < 0 {
		return
	}
	u.b.space(u.wsStart, u.wsEnd, u.wsNL)
	u.wsStart, u.wsNL = -1, false
}

// fold handles rune r of the original piece [o, oe): tag characters go to
// the hidden text, invisible ones are dropped, whitespace extends the
// pending run, and anything else is folded into u.seg.
func (u *unicodeNormalizer) fold(o, oe int, r rune) {
	switch {
	case codec.IsTag(r):
		if c, _ := codec.TagChar(r); c >= 0x20 && c < 0x7F {
			u.b.hidden = append(u.b.hidden, byte(normFoldRune(rune(c))))
			u.b.hiddenPos = append(u.b.hiddenPos, int32(o))
		}
	case normInvisible(r):
	case unicode.IsSpace(r):
		if u.wsStart < 0 {
			u.wsStart = o
		}
		u.wsEnd = oe
		u.wsNL = u.wsNL || r == '\n' || r == 0x2028 || r == 0x2029 || r == 0x85
	default:
		u.seg = utf8.AppendRune(u.seg, normFoldRune(r))
	}
}

// rune handles one original rune text[o:oe] that NFKC left unchanged.
func (u *unicodeNormalizer) rune(o, oe int, r rune) {
	u.seg = u.seg[:0]
	u.fold(o, oe, r)
	if len(u.seg) == 0 {
		return
	}
	u.flush()
	if string(u.seg) == u.text[o:oe] {
		u.b.copyLower(o, oe, u.text[o:oe])
	} else {
		u.b.replaceBytes(o, oe, u.seg)
	}
}
