package codec

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The Unicode tag block mirrors ASCII at U+E0000-U+E007F. Most renderers
// show nothing for it, yet many tokenizers keep it, which makes it a
// channel for text that a human reviewer never sees.
const (
	// TagFirst is the tag character for byte 0x00 (LANGUAGE TAG).
	TagFirst = 0xE0000
	// TagLast is the tag character for byte 0x7F (CANCEL TAG), which also
	// ends an emoji tag sequence.
	TagLast = 0xE007F
	// blackFlag (U+1F3F4) starts the emoji tag sequences of subdivision
	// flags, such as the flag of Scotland.
	blackFlag = 0x1F3F4
)

// IsTag reports whether r is a tag character.
func IsTag(r rune) bool { return r >= TagFirst && r <= TagLast }

// TagChar returns the ASCII byte that the tag character r stands for; ok
// is false when r is not a tag character.
func TagChar(r rune) (c byte, ok bool) {
	if !IsTag(r) {
		return 0, false
	}
	return byte(r - TagFirst), true
}

// ContainsTags reports whether s holds a tag character. Every tag
// character is encoded in UTF-8 as F3 A0 80-81 xx, and F3 is rare in text,
// so this is one vectorised byte search for most inputs.
func ContainsTags(s string) bool {
	for i := 0; ; {
		k := strings.IndexByte(s[i:], 0xF3)
		if k < 0 {
			return false
		}
		i += k + 1
		if i+2 < len(s) && s[i] == 0xA0 && s[i+1]&^1 == 0x80 && s[i+2]&0xC0 == 0x80 {
			return true
		}
	}
}

// appendTag appends the tag character for the ASCII byte c (c < 0x80).
func appendTag(dst []byte, c byte) []byte {
	return append(dst, 0xF3, 0xA0, 0x80|c>>6, 0x80|c&0x3F)
}

// EncodeTags writes s as invisible tag characters. Printable ASCII maps
// one to one onto the tag block. Everything else (newlines and other
// controls, non-ASCII letters, emoji) has no tag counterpart, so it is
// written as the tag-encoded escape \u{HEX}, and a literal backslash as \\.
// DecodeTags undoes both, so DecodeTags(EncodeTags(s)) gives back "" and s
// for any valid UTF-8 s. A byte of s that is not valid UTF-8 is encoded as
// U+FFFD. The result is valid UTF-8 made of tag characters only.
func EncodeTags(s string) string {
	if s == "" {
		return ""
	}
	return bytesString(AppendTags(make([]byte, 0, 4*len(s)), s))
}

// AppendTags appends EncodeTags(s) to dst and returns the extended buffer.
func AppendTags(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			dst = appendTag(appendTag(dst, '\\'), '\\')
			i++
			continue
		case c >= 0x20 && c <= 0x7E:
			dst = appendTag(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		var esc [16]byte
		for _, e := range strconv.AppendInt(append(esc[:0], `\u{`...), int64(r), 16) {
			dst = appendTag(dst, e)
		}
		dst = appendTag(dst, '}')
	}
	return dst
}

// DecodeTags splits s into the text a reader sees and the text hidden in
// tag characters, decoded back to ASCII with the escapes that EncodeTags
// writes resolved (any other backslash is kept as it is). Tag runs are
// joined in order. Emoji tag sequences (a black flag, 3 to 6 tag letters or
// digits and a cancel tag, as in the flag of Scotland) are legitimate and
// stay in visible; the short length limit keeps the exemption useless for
// smuggling.
//
// Both results are valid UTF-8 whatever s is: a byte of s that is not
// valid UTF-8 becomes U+FFFD in visible. Keeping such bytes would let the
// removal of a tag character join the stray bytes on either side into a
// new character, a tag character even, that s did not show. s itself is
// returned as visible, without allocating, when it is valid UTF-8 with no
// tag character.
func DecodeTags(s string) (visible, hidden string) {
	if !ContainsTags(s) && utf8.ValidString(s) {
		return s, ""
	}
	vis := make([]byte, 0, len(s))
	var hid []byte
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf {
				j++
			}
			vis = append(vis, s[i:j]...)
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case IsTag(r):
			hid = append(hid, byte(r-TagFirst))
		case r == blackFlag:
			size += flagTagLen(s[i+size:])
			vis = append(vis, s[i:i+size]...)
		case r == utf8.RuneError && size == 1:
			vis = utf8.AppendRune(vis, utf8.RuneError)
		default:
			vis = append(vis, s[i:i+size]...)
		}
		i += size
	}
	return bytesString(vis), unescapeTags(hid)
}

// flagTagLen returns the byte length of the tag spec and cancel tag that
// follow a black flag in a subdivision flag, or 0 when s does not start
// with one.
func flagTagLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == TagLast {
			if n >= 3 {
				return i
			}
			return 0
		}
		c := r - TagFirst
		if n == 6 || !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return 0
		}
		n++
	}
	return 0
}

// unescapeTags resolves the \\ and \u{HEX} escapes in the decoded tag
// bytes b and returns the text. Anything that is not a well-formed escape
// is kept as written, so text hidden by other tools decodes as it was
// written. b holds ASCII only, so the result is valid UTF-8.
func unescapeTags(b []byte) string {
	k := 0
	for k < len(b) && b[k] != '\\' {
		k++
	}
	if k == len(b) {
		return bytesString(b)
	}
	// Unescaping only shortens: rewrite b in place.
	out := b[:k]
	for i := k; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == '\\' {
			out = append(out, '\\')
			i++
			continue
		}
		if r, n := parseRuneEscape(b[i:]); n > 0 {
			out = utf8.AppendRune(out, r)
			i += n - 1
			continue
		}
		out = append(out, '\\')
	}
	return bytesString(out)
}

// parseRuneEscape parses a leading \u{HEX}, 1 to 6 hex digits naming a
// valid rune, and returns the rune and the escape's length, or 0, 0.
func parseRuneEscape(b []byte) (rune, int) {
	if len(b) < 5 || b[1] != 'u' || b[2] != '{' {
		return 0, 0
	}
	var v rune
	for j := 3; j < len(b) && j < 10; j++ {
		if b[j] == '}' {
			if j == 3 || !utf8.ValidRune(v) {
				return 0, 0
			}
			return v, j + 1
		}
		d := hexTable[b[j]]
		if d == 0xFF {
			return 0, 0
		}
		v = v<<4 | rune(d)
	}
	return 0, 0
}
