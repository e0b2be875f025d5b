package codec

import "slices"

const hexLower = "0123456789abcdef"

// hexTable maps a hex digit, in either case, to its value and every other
// byte to 0xFF.
var hexTable = func() (t [256]uint8) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := 0; i < 16; i++ {
		t[hexLower[i]] = uint8(i)
		t["0123456789ABCDEF"[i]] = uint8(i)
	}
	return t
}()

// IsHexDigit reports whether c is a hex digit, in either case.
func IsHexDigit(c byte) bool { return hexTable[c] != 0xFF }

// HexPair decodes the two hex digits hi and lo (either case) into a byte;
// ok is false when either is not a hex digit.
func HexPair(hi, lo byte) (b byte, ok bool) {
	h, l := hexTable[hi], hexTable[lo]
	return h<<4 | l, (h|l)&0xF0 == 0
}

// EncodeHex returns the lower-case hex encoding of src.
func EncodeHex[T Bytes](src T) string {
	if len(src) == 0 {
		return ""
	}
	return bytesString(AppendHex(make([]byte, 0, 2*len(src)), src))
}

// AppendHex appends the lower-case hex encoding of src to dst and returns
// the extended buffer.
func AppendHex[T Bytes](dst []byte, src T) []byte {
	dst = slices.Grow(dst, 2*len(src))
	out := dst[len(dst) : len(dst)+2*len(src)]
	for i := 0; i < len(src); i++ {
		out[2*i], out[2*i+1] = hexLower[src[i]>>4], hexLower[src[i]&0xF]
	}
	return dst[:len(dst)+2*len(src)]
}

// DecodeHex decodes s, an even number of hex digits in either case, with
// no prefix and no separators.
func DecodeHex(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	return AppendDecodeHex(nil, s)
}

// AppendDecodeHex appends the bytes that s decodes to, as DecodeHex reads
// it, to dst and returns the extended buffer. On error it returns dst with
// its length unchanged.
func AppendDecodeHex(dst []byte, s string) ([]byte, error) {
	if len(s)%2 != 0 {
		// A bad character says more than a bad length: report it first.
		if err := hexError(s); err != nil {
			return dst, err
		}
		return dst, &CorruptInputError{Encoding: "hex", Offset: len(s), Reason: "odd number of digits"}
	}
	n := len(s) / 2
	orig := dst
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	var seen uint8
	for i := range n {
		h, l := hexTable[s[2*i]], hexTable[s[2*i+1]]
		seen |= h | l
		out[i] = h<<4 | l
	}
	if seen&0xF0 != 0 {
		return orig, hexError(s)
	}
	return dst[:len(dst)+n], nil
}

// hexError describes the first byte of s that is not a hex digit, or
// returns nil when there is none.
func hexError(s string) error {
	for i := 0; i < len(s); i++ {
		if !IsHexDigit(s[i]) {
			return &CorruptInputError{Encoding: "hex", Offset: i, Reason: "invalid character " + quoteByte(s[i])}
		}
	}
	return nil
}
