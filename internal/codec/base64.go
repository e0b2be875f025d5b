package codec

import (
	"encoding/binary"
	"slices"
)

// Alphabet selects one of the two Base64 alphabets of RFC 4648.
type Alphabet uint8

const (
	// AnyAlphabet decodes whichever alphabet the input uses; input that
	// mixes the two is an error. It encodes as StdAlphabet.
	AnyAlphabet Alphabet = iota
	// StdAlphabet is the standard alphabet, with '+' and '/'.
	StdAlphabet
	// URLAlphabet is the URL- and filename-safe alphabet, with '-' and '_'.
	URLAlphabet
)

const (
	b64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// b64Table describes each byte for the decoder: the low byte is its 6-bit
// value in either alphabet, or b64Invalid; the high byte marks the
// characters that belong to one alphabet only. One table (one load per
// character) serves every alphabet: the decoder ORs the entries of all
// characters together and looks at the alphabet bits once, at the end.
var b64Table = func() (t [256]uint16) {
	for i := range t {
		t[i] = b64Invalid
	}
	for i := 0; i < 64; i++ {
		t[b64Std[i]] = uint16(i)
		t[b64URL[i]] = uint16(i)
	}
	t['+'] |= b64OnlyStd
	t['/'] |= b64OnlyStd
	t['-'] |= b64OnlyURL
	t['_'] |= b64OnlyURL
	return t
}()

const (
	b64Invalid = 0xFF
	b64OnlyStd = 1 << 8
	b64OnlyURL = 1 << 9
)

// Base64Len returns the length of the Base64 encoding of n bytes.
func Base64Len(n int, pad bool) int {
	if pad {
		return (n + 2) / 3 * 4
	}
	return (n*8 + 5) / 6
}

// EncodeBase64 returns the Base64 encoding of src in alphabet a, padded
// with '=' to a multiple of 4 characters when pad is set.
func EncodeBase64[T Bytes](src T, a Alphabet, pad bool) string {
	if len(src) == 0 {
		return ""
	}
	return bytesString(AppendBase64(make([]byte, 0, Base64Len(len(src), pad)), src, a, pad))
}

// AppendBase64 appends the Base64 encoding of src to dst, as EncodeBase64
// writes it, and returns the extended buffer.
func AppendBase64[T Bytes](dst []byte, src T, a Alphabet, pad bool) []byte {
	chars := b64Std
	if a == URLAlphabet {
		chars = b64URL
	}
	n := Base64Len(len(src), pad)
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	i, j := 0, 0
	for ; i+3 <= len(src); i, j = i+3, j+4 {
		v := uint(src[i])<<16 | uint(src[i+1])<<8 | uint(src[i+2])
		out[j] = chars[v>>18&0x3F]
		out[j+1] = chars[v>>12&0x3F]
		out[j+2] = chars[v>>6&0x3F]
		out[j+3] = chars[v&0x3F]
	}
	switch len(src) - i {
	case 1:
		v := uint(src[i]) << 16
		out[j] = chars[v>>18&0x3F]
		out[j+1] = chars[v>>12&0x3F]
		if pad {
			out[j+2], out[j+3] = '=', '='
		}
	case 2:
		v := uint(src[i])<<16 | uint(src[i+1])<<8
		out[j] = chars[v>>18&0x3F]
		out[j+1] = chars[v>>12&0x3F]
		out[j+2] = chars[v>>6&0x3F]
		if pad {
			out[j+3] = '='
		}
	}
	return dst[:len(dst)+n]
}

// DecodeBase64 decodes s, written in alphabet a (or either, with
// AnyAlphabet). Padding is optional, but when s ends in '=' it must be
// padded correctly: its length a multiple of 4. Bits left over in the last
// character are ignored, as encoding/base64 does by default. Nothing is
// skipped: whitespace and line breaks are errors.
func DecodeBase64(s string, a Alphabet) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	return AppendDecodeBase64(nil, s, a)
}

// AppendDecodeBase64 appends the bytes that s decodes to, as DecodeBase64
// reads it, to dst and returns the extended buffer. On error it returns
// dst with its length unchanged.
func AppendDecodeBase64(dst []byte, s string, a Alphabet) ([]byte, error) {
	n, pad := len(s), 0
	for pad < 2 && n > 0 && s[n-1] == '=' {
		n--
		pad++
	}
	if pad > 0 && len(s)%4 != 0 || n%4 == 1 {
		// A bad character says more than a bad length: report it first.
		if err := base64Error(s[:n], a); err != nil {
			return dst, err
		}
		if n%4 == 1 {
			// Six bits cannot make a byte: the input was cut short.
			return dst, &CorruptInputError{Encoding: "base64", Offset: n, Reason: "input ends inside a byte"}
		}
		return dst, &CorruptInputError{Encoding: "base64", Offset: len(s), Reason: "padded input is not a multiple of 4 characters"}
	}
	size := n / 4 * 3
	if r := n % 4; r > 0 {
		size += r - 1
	}
	orig := dst
	dst = slices.Grow(dst, size)
	// The main loop stores 8 bytes for every 6 it decodes, into spare
	// capacity where there is some.
	out := dst[len(dst):cap(dst)]
	var seen uint16
	i, j := 0, 0
	for ; i+8 <= n && j+8 <= len(out); i, j = i+8, j+6 {
		// Eight characters make 48 bits: assemble them in one word and
		// store it at once, as encoding/base64 does.
		c0, c1, c2, c3 := b64Table[s[i]], b64Table[s[i+1]], b64Table[s[i+2]], b64Table[s[i+3]]
		c4, c5, c6, c7 := b64Table[s[i+4]], b64Table[s[i+5]], b64Table[s[i+6]], b64Table[s[i+7]]
		seen |= c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7
		v := uint64(c0&0x3F)<<58 | uint64(c1&0x3F)<<52 | uint64(c2&0x3F)<<46 | uint64(c3&0x3F)<<40 |
			uint64(c4&0x3F)<<34 | uint64(c5&0x3F)<<28 | uint64(c6&0x3F)<<22 | uint64(c7&0x3F)<<16
		binary.BigEndian.PutUint64(out[j:], v)
	}
	for ; i+4 <= n; i, j = i+4, j+3 {
		c0, c1, c2, c3 := b64Table[s[i]], b64Table[s[i+1]], b64Table[s[i+2]], b64Table[s[i+3]]
		seen |= c0 | c1 | c2 | c3
		v := uint(c0&0x3F)<<18 | uint(c1&0x3F)<<12 | uint(c2&0x3F)<<6 | uint(c3&0x3F)
		out[j], out[j+1], out[j+2] = byte(v>>16), byte(v>>8), byte(v)
	}
	switch n - i {
	case 2:
		c0, c1 := b64Table[s[i]], b64Table[s[i+1]]
		seen |= c0 | c1
		out[j] = byte(c0&0x3F<<2 | c1&0x3F>>4)
	case 3:
		c0, c1, c2 := b64Table[s[i]], b64Table[s[i+1]], b64Table[s[i+2]]
		seen |= c0 | c1 | c2
		v := uint(c0&0x3F)<<12 | uint(c1&0x3F)<<6 | uint(c2&0x3F)
		out[j], out[j+1] = byte(v>>10), byte(v>>2)
	}
	if seen&b64Invalid == b64Invalid || !alphabetOK(seen, a) {
		// The rare case: find the culprit for the error.
		return orig, base64Error(s[:n], a)
	}
	return dst[:len(dst)+size], nil
}

// alphabetOK reports whether the alphabet bits gathered from the input fit a.
func alphabetOK(seen uint16, a Alphabet) bool {
	switch a {
	case StdAlphabet:
		return seen&b64OnlyURL == 0
	case URLAlphabet:
		return seen&b64OnlyStd == 0
	}
	return seen&(b64OnlyStd|b64OnlyURL) != b64OnlyStd|b64OnlyURL
}

// base64Error describes the first byte of s (padding removed) that is
// outside alphabet a, or returns nil when there is none.
func base64Error(s string, a Alphabet) error {
	var seen uint16
	for i := 0; i < len(s); i++ {
		c := b64Table[s[i]]
		if c&b64Invalid == b64Invalid {
			return &CorruptInputError{Encoding: "base64", Offset: i, Reason: "invalid character " + quoteByte(s[i])}
		}
		seen |= c
		if !alphabetOK(seen, a) {
			reason := "mixes the standard and URL-safe alphabets"
			switch a {
			case StdAlphabet:
				reason = quoteByte(s[i]) + " is not in the standard alphabet"
			case URLAlphabet:
				reason = quoteByte(s[i]) + " is not in the URL-safe alphabet"
			}
			return &CorruptInputError{Encoding: "base64", Offset: i, Reason: reason}
		}
	}
	return nil
}

// quoteByte writes c for an error message: printable ASCII quoted, any
// other byte in hex.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7F {
		return "'" + string(rune(c)) + "'"
	}
	return "0x" + string(hexLower[c>>4]) + string(hexLower[c&0xF])
}
