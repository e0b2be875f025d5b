package codec

import "slices"

// rot13Table maps each byte to its ROT13 image: ASCII letters rotate by 13
// places within their case, every other byte maps to itself.
var rot13Table = func() (t [256]byte) {
	for i := range t {
		c := byte(i)
		switch {
		case c >= 'a' && c <= 'z':
			c = 'a' + (c-'a'+13)%26
		case c >= 'A' && c <= 'Z':
			c = 'A' + (c-'A'+13)%26
		}
		t[i] = c
	}
	return t
}()

// ROT13 rotates every ASCII letter of s by 13 places and leaves every other
// byte as it is. It is its own inverse for any s, valid UTF-8 or not,
// because ASCII bytes never occur inside a multi-byte UTF-8 sequence; for
// the same reason it keeps valid UTF-8 valid and the length unchanged. s
// itself is returned, without allocating, when it has no ASCII letter.
func ROT13(s string) string {
	i := 0
	for i < len(s) && rot13Table[s[i]] == s[i] {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, len(s))
	copy(b, s[:i])
	for ; i < len(s); i++ {
		b[i] = rot13Table[s[i]]
	}
	return bytesString(b)
}

// AppendROT13 appends ROT13(s) to dst and returns the extended buffer.
func AppendROT13(dst []byte, s string) []byte {
	dst = slices.Grow(dst, len(s))
	out := dst[len(dst) : len(dst)+len(s)]
	for i := 0; i < len(s); i++ {
		out[i] = rot13Table[s[i]]
	}
	return dst[:len(dst)+len(s)]
}
