package codec

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The zero-width characters: they render as nothing, so put between two
// letters they split a word for a filter or a tokenizer while a reader
// sees it whole.
const (
	ZWSP = '\u200B' // ZERO WIDTH SPACE
	ZWNJ = '\u200C' // ZERO WIDTH NON-JOINER
	ZWJ  = '\u200D' // ZERO WIDTH JOINER
	WJ   = '\u2060' // WORD JOINER
)

// U+FEFF (ZERO WIDTH NO-BREAK SPACE) is left out of the set: its usual
// role is the byte-order mark, which readers strip or keep on their own
// terms, and the detectors judge it in context.

// ZeroWidthChars returns the zero-width characters, ZWSP, ZWNJ, ZWJ and WJ,
// in that order, in a new slice. The order is fixed: attacks pick from it
// with a seeded random source and must pick the same characters every time.
func ZeroWidthChars() []rune { return []rune{ZWSP, ZWNJ, ZWJ, WJ} }

// IsZeroWidth reports whether r is one of the zero-width characters.
func IsZeroWidth(r rune) bool {
	return r >= ZWSP && r <= ZWJ || r == WJ
}

// zeroWidthAt returns the length of the zero-width character at s[i]
// (all of them take 3 bytes: E2 80 8B-8D and E2 81 A0), or 0.
func zeroWidthAt(s string, i int) int {
	if i+2 < len(s) && s[i] == 0xE2 &&
		(s[i+1] == 0x80 && s[i+2] >= 0x8B && s[i+2] <= 0x8D || s[i+1] == 0x81 && s[i+2] == 0xA0) {
		return 3
	}
	return 0
}

// ContainsZeroWidth reports whether s holds a zero-width character.
func ContainsZeroWidth(s string) bool {
	for i := 0; ; i++ {
		k := strings.IndexByte(s[i:], 0xE2)
		if k < 0 {
			return false
		}
		i += k
		if zeroWidthAt(s, i) > 0 {
			return true
		}
	}
}

// StripZeroWidth returns s without its zero-width characters. The result
// is valid UTF-8 whatever s is: a byte of s that is not valid UTF-8
// becomes U+FFFD, because keeping it would let a removal join the stray
// bytes on either side into a new character (a zero-width one even). s
// itself is returned, without allocating, when it is valid UTF-8 with no
// zero-width character.
func StripZeroWidth(s string) string {
	valid := utf8.ValidString(s)
	if valid && !ContainsZeroWidth(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if n := zeroWidthAt(s, i); n > 0 {
			i += n
			continue
		}
		if valid || s[i] < utf8.RuneSelf {
			// Copy up to the next byte that may start a zero-width
			// character (or, in invalid text, any multi-byte sequence).
			j := i + 1
			for j < len(s) && s[j] != 0xE2 && (valid || s[j] < utf8.RuneSelf) {
				j++
			}
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r) // RuneError for an invalid byte
		i += size
	}
	return bytesString(b)
}

// InsertZeroWidth returns s with a zero-width character inserted before
// each byte offset in at: zw[k % len(zw)] goes before s[at[k]], so one
// character can serve every offset. Offsets must be ascending (repeats
// insert several characters at one place), between 0 and len(s), and on
// character boundaries: not on a UTF-8 continuation byte, so valid UTF-8
// stays valid. It panics on an offset that breaks these rules, on an empty
// zw when at is not empty, and on a rune in zw that is not a zero-width
// character: they are programming errors.
func InsertZeroWidth(s string, at []int, zw []rune) string {
	if len(at) == 0 {
		return s
	}
	if len(zw) == 0 {
		panic("codec: InsertZeroWidth with no characters to insert")
	}
	for _, r := range zw {
		if !IsZeroWidth(r) {
			panic("codec: InsertZeroWidth given " + strconv.QuoteRune(r) + ", which is not a zero-width character")
		}
	}
	b := make([]byte, 0, len(s)+3*len(at))
	last := 0
	for k, off := range at {
		if off < last || off > len(s) || off < len(s) && !utf8.RuneStart(s[off]) {
			panic("codec: InsertZeroWidth offset " + strconv.Itoa(off) + " is out of order, out of range or inside a character")
		}
		b = append(b, s[last:off]...)
		b = utf8.AppendRune(b, zw[k%len(zw)])
		last = off
	}
	b = append(b, s[last:]...)
	return bytesString(b)
}
