package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/internal/codec"
)

// Invisible finding types.
const (
	TypeTagSmuggling      = "tag_smuggling"
	TypeZeroWidth         = "zero_width"
	TypeBidiControl       = "bidi_control"
	TypePrivateUse        = "private_use"
	TypeVariationSelector = "variation_selector"
	TypeControlChar       = "control_char"
)

// Invisible finds characters that render as nothing (or change how the
// rest renders) and so let a text say something to a model that a human
// reviewer does not see: Unicode tag characters (the "ASCII smuggling"
// trick; HiddenText decodes them), zero-width characters that split words
// or encode bits, bidi controls that reorder what is displayed (Trojan
// Source), private-use code points, runs of variation selectors (which can
// encode bytes) and control characters other than tab, newline and carriage
// return (an ESC starts a terminal escape sequence).
//
// Legitimate uses are left alone: a zero-width joiner or non-joiner
// between two non-ASCII characters (emoji sequences, Indic and Arabic
// shaping), tag characters inside an emoji flag sequence, one variation
// selector after a character, and a byte-order mark at the start.
//
// Consecutive characters of one kind form one finding. Scores grow with
// the kind's total count in the text: one stray zero-width space (common in
// text copied from web pages) stays under 0.5, tag characters and bidi
// overrides do not.
type Invisible struct{}

// NewInvisible returns an Invisible detector.
func NewInvisible() *Invisible { return &Invisible{} }

// Name implements Detector.
func (*Invisible) Name() string { return "invisible" }

// invSpan is one run of invisible characters of one kind.
type invSpan struct {
	kind       string
	start, end int
	n          int // characters in the run
	strong     int // characters that weigh more, e.g. bidi overrides or ESC
}

// Scan implements Detector.
func (d *Invisible) Scan(text string) []Finding {
	spans := invisibleSpans(text)
	if len(spans) == 0 {
		return nil
	}
	counts := map[string]int{}
	strong := map[string]int{}
	for _, s := range spans {
		counts[s.kind] += s.n
		strong[s.kind] += s.strong
	}
	out := make([]Finding, 0, len(spans))
	for _, s := range spans {
		out = append(out, Finding{Scanner: d.Name(), Type: s.kind, Start: s.start, End: s.end,
			Score: invisibleScore(s.kind, counts[s.kind], strong[s.kind])})
	}
	return out
}

// invisibleScore calibrates a finding's score from its kind, the number of
// characters of that kind in the whole text and how many of them are the
// strong variety.
func invisibleScore(kind string, n, strong int) float64 {
	switch kind {
	case TypeTagSmuggling:
		// Outside flag sequences tag characters have no use in text.
		if n >= 3 {
			return 0.95
		}
		return 0.7
	case TypeZeroWidth:
		switch {
		case n >= 16: // enough to encode a message in bits
			return 0.95
		case n >= 5:
			return 0.8
		case n >= 3:
			return 0.65
		case n == 2:
			return 0.5
		}
		return 0.35
	case TypeBidiControl:
		switch {
		case strong > 0: // embeddings, overrides and isolates
			return min(1, 0.75+0.05*float64(strong))
		case n >= 4: // many marks: unusual even in RTL text
			return 0.55
		}
		return 0.3
	case TypePrivateUse:
		switch {
		case n >= 8:
			return 0.8
		case n >= 3:
			return 0.6
		}
		return 0.4
	case TypeVariationSelector:
		// A run of selectors after one character encodes bytes.
		switch {
		case n >= 8:
			return 0.95
		case n >= 3:
			return 0.75
		}
		return 0.55
	case TypeControlChar:
		switch {
		case strong > 0: // ESC, NUL, C1: terminal escapes and truncation tricks
			return min(1, 0.7+0.05*float64(strong))
		case n >= 3:
			return 0.55
		}
		return 0.3
	}
	return 0.5
}

// invisibleSpans walks text once; ASCII bytes cost one comparison each.
func invisibleSpans(text string) []invSpan {
	var spans []invSpan
	add := func(kind string, start, end int, strongChar bool) {
		st := 0
		if strongChar {
			st = 1
		}
		if k := len(spans) - 1; k >= 0 && spans[k].kind == kind && spans[k].end == start {
			spans[k].end = end
			spans[k].n++
			spans[k].strong += st
			return
		}
		spans = append(spans, invSpan{kind: kind, start: start, end: end, n: 1, strong: st})
	}
	for i := 0; i < len(text); {
		// Skip 8 plain printable ASCII bytes at a time: most prompts are
		// almost entirely that.
		for i+8 <= len(text) && plainASCII8(text, i) {
			i += 8
		}
		if i >= len(text) {
			break
		}
		b := text[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != 0x7f || b == '\n' || b == '\t' || b == '\r' {
				i++
				continue
			}
			add(TypeControlChar, i, i+1, b == 0x1b || b == 0)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if kind, strongChar := invisibleKind(text, i, r, size); kind != "" {
			add(kind, i, i+size, strongChar)
		}
		i += size
	}
	return spans
}

// plainASCII8 reports whether text[i:i+8] holds only bytes 0x20..0x7E,
// testing all eight at once (SWAR): no high bit set, no byte below 0x20,
// no DEL.
func plainASCII8(text string, i int) bool {
	w := uint64(text[i]) | uint64(text[i+1])<<8 | uint64(text[i+2])<<16 | uint64(text[i+3])<<24 |
		uint64(text[i+4])<<32 | uint64(text[i+5])<<40 | uint64(text[i+6])<<48 | uint64(text[i+7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below20 := (w - ones*0x20) & ^w & highs // a byte < 0x20 (given none >= 0x80)
	del := w ^ (ones * 0x7f)
	isDel := (del - ones) & ^del & highs // a byte == 0x7F
	return (w&highs)|below20|isDel == 0
}

// invisibleKind classifies the rune r at text[i:i+size]; "" means visible
// or legitimately invisible in its context.
func invisibleKind(text string, i int, r rune, size int) (kind string, strong bool) {
	switch {
	case codec.IsTag(r):
		if inFlagSequence(text, i) {
			return "", false
		}
		return TypeTagSmuggling, true
	case r == codec.ZWNJ || r == codec.ZWJ:
		if joinerInContext(text, i, size) {
			return "", false
		}
		return TypeZeroWidth, false
	case r == 0xFEFF:
		if i == 0 {
			return "", false
		}
		return TypeZeroWidth, false
	case r == codec.ZWSP, r == codec.WJ, r == 0x180E, r >= 0x2061 && r <= 0x2064,
		r == 0x034F, r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0, r == 0x00AD:
		return TypeZeroWidth, false
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return TypeBidiControl, true
	case r == 0x200E || r == 0x200F || r == 0x061C:
		return TypeBidiControl, false
	case r >= 0xE000 && r <= 0xF8FF, r >= 0xF0000 && r <= 0xFFFFD, r >= 0x100000 && r <= 0x10FFFD:
		return TypePrivateUse, false
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		// One selector right after a base character picks a glyph variant
		// (emoji presentation, CJK ideograph variants): that is normal.
		if prev, _ := utf8.DecodeLastRuneInString(text[:i]); i > 0 && !isVariationSelector(prev) && !unicode.IsSpace(prev) {
			if next, _ := utf8.DecodeRuneInString(text[i+size:]); !isVariationSelector(next) {
				return "", false
			}
		}
		return TypeVariationSelector, false
	case r >= 0x80 && r <= 0x9F:
		return TypeControlChar, true
	case r >= 0xFFF9 && r <= 0xFFFB: // interlinear annotation controls
		return TypeControlChar, false
	case r == utf8.RuneError && size == 1:
		return "", false // invalid UTF-8 is not this detector's business
	}
	return "", false
}

// isVariationSelector reports whether r is one of the 256 variation selectors.
func isVariationSelector(r rune) bool {
	return r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF
}

// inFlagSequence reports whether the tag character at text[i] belongs to an
// emoji tag sequence: a black flag (U+1F3F4) followed by at most 6 tag
// letters or digits and a cancel tag (U+E007F), as in the flags of England,
// Scotland and Wales.
func inFlagSequence(text string, i int) bool {
	// Walk back over tag characters to the base.
	start := i
	for k := 0; start > 0; k++ {
		if k > 7 {
			return false // longer than any flag sequence
		}
		r, size := utf8.DecodeLastRuneInString(text[:start])
		if r < 0xE0020 || r > 0xE007E {
			break
		}
		start -= size
	}
	if base, _ := utf8.DecodeLastRuneInString(text[:start]); base != 0x1F3F4 {
		return false
	}
	n := 0
	for j := start; j < len(text); {
		r, size := utf8.DecodeRuneInString(text[j:])
		switch {
		case r == 0xE007F:
			return n > 0 && j+size > i
		case r >= 0xE0030 && r <= 0xE0039, r >= 0xE0061 && r <= 0xE007A:
			n++
			if n > 6 {
				return false
			}
		default:
			return false
		}
		j += size
	}
	return false
}

// joinerInContext reports whether a ZWJ or ZWNJ at text[i:i+size] sits
// between two non-ASCII, non-space characters, where it shapes emoji
// sequences or Indic and Arabic letters. Between ASCII letters it only
// splits words, which is how filters are dodged.
func joinerInContext(text string, i, size int) bool {
	prev, _ := utf8.DecodeLastRuneInString(text[:i])
	next, _ := utf8.DecodeRuneInString(text[i+size:])
	ok := func(r rune) bool {
		return r >= utf8.RuneSelf && r != utf8.RuneError && !unicode.IsSpace(r) && r != 0x200B && r != 0x200C && r != 0x200D
	}
	// An emoji sequence may put a variation selector before the joiner.
	return ok(prev) && ok(next)
}

// StripInvisible returns text without the characters Invisible reports,
// keeping the legitimate ones (emoji joiners, flag tags, a single variation
// selector, a leading BOM). It returns text itself, without copying, when
// there is nothing to strip.
func StripInvisible(text string) string {
	spans := invisibleSpans(text)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, s := range spans {
		b.WriteString(text[last:s.start])
		last = s.end
	}
	b.WriteString(text[last:])
	return b.String()
}

// HiddenText decodes the ASCII that invisible characters in s carry: tag
// characters U+E0020..U+E007E map to ASCII 0x20..0x7E, and variation
// selectors map to bytes (VS1..VS16 to 0..15, VS17..VS256 to 16..255, the
// scheme used to hide data behind an emoji). Other characters are skipped.
// Callers pass the span of a tag_smuggling or variation_selector finding to
// show what it hides.
func HiddenText(s string) string {
	var b []byte
	for _, r := range s {
		switch {
		case codec.IsTag(r):
			if c, _ := codec.TagChar(r); c >= 0x20 && c < 0x7F {
				b = append(b, c)
			}
		case r >= 0xFE00 && r <= 0xFE0F:
			b = append(b, byte(r-0xFE00))
		case r >= 0xE0100 && r <= 0xE01EF:
			b = append(b, byte(r-0xE0100+16))
		}
	}
	return string(b)
}
