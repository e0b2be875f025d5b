package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Keras reads its configs with Python's json.loads, which is more lenient
// than encoding/json in two ways that a config can use to hide from a
// scanner while still loading: it decodes bytes in UTF-16 or UTF-32 (and
// strips a UTF-8 byte-order mark), and it accepts the constants NaN,
// Infinity and -Infinity. pythonJSONText undoes both, so that a config
// Keras loads is one this package parses.

// pythonJSONText returns data as the UTF-8 JSON text json.loads reads from
// it: transcoded from the encoding json.detect_encoding picks, and with the
// constants NaN, Infinity and -Infinity outside strings replaced by null
// (their values never matter to the checks). data itself is returned when
// it is UTF-8 without those constants, the usual case.
func pythonJSONText(data []byte) ([]byte, error) {
	text, err := pythonJSONDecode(data)
	if err != nil {
		return nil, err
	}
	return replaceJSONConstants(text), nil
}

// pythonJSONDecode transcodes data to UTF-8 following json.detect_encoding:
// a UTF-32 or UTF-16 byte-order mark, a UTF-8 one (dropped), or, without a
// mark, the zero bytes that an ASCII first character leaves in UTF-16 and
// UTF-32. Like Python, it fails on data that the picked encoding cannot
// decode.
func pythonJSONDecode(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}):
		return decodeUTF32(data[4:], binary.BigEndian)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		return decodeUTF32(data[4:], binary.LittleEndian)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], binary.BigEndian)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2:], binary.LittleEndian)
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case len(data) >= 4 && data[0] == 0:
		if data[1] != 0 {
			return decodeUTF16(data, binary.BigEndian)
		}
		return decodeUTF32(data, binary.BigEndian)
	case len(data) >= 4 && data[1] == 0:
		if data[2] != 0 || data[3] != 0 {
			return decodeUTF16(data, binary.LittleEndian)
		}
		return decodeUTF32(data, binary.LittleEndian)
	case len(data) == 2 && data[0] == 0:
		return decodeUTF16(data, binary.BigEndian)
	case len(data) == 2 && data[1] == 0:
		return decodeUTF16(data, binary.LittleEndian)
	}
	return data, nil
}

var errOddUnits = errors.New("text ends inside a UTF-16 or UTF-32 code unit")

// decodeUTF16 transcodes UTF-16 to UTF-8. Unpaired surrogates, which
// Python's surrogatepass keeps, become U+FFFD: no check depends on them.
func decodeUTF16(b []byte, order binary.ByteOrder) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, errOddUnits
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = order.Uint16(b[2*i:])
	}
	out := make([]byte, 0, len(b))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// decodeUTF32 transcodes UTF-32 to UTF-8; a value past U+10FFFF is an
// error, as in Python, and a surrogate becomes U+FFFD.
func decodeUTF32(b []byte, order binary.ByteOrder) ([]byte, error) {
	if len(b)%4 != 0 {
		return nil, errOddUnits
	}
	out := make([]byte, 0, len(b)/2)
	for i := 0; i < len(b); i += 4 {
		v := order.Uint32(b[i:])
		if v > utf8.MaxRune {
			return nil, fmt.Errorf("code point 0x%x at byte %d is past U+10FFFF", v, i)
		}
		out = utf8.AppendRune(out, rune(v))
	}
	return out, nil
}

// replaceJSONConstants replaces the tokens NaN, Infinity and -Infinity
// outside strings with null. Only those exact tokens are replaced, so text
// that Python rejects stays invalid.
func replaceJSONConstants(text []byte) []byte {
	if !bytes.Contains(text, []byte("NaN")) && !bytes.Contains(text, []byte("Infinity")) {
		return text
	}
	var out []byte
	last := 0
	inString, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			continue
		}
		n := 0
		switch {
		case bytes.HasPrefix(text[i:], []byte("NaN")):
			n = 3
		case bytes.HasPrefix(text[i:], []byte("Infinity")):
			n = 8
		case bytes.HasPrefix(text[i:], []byte("-Infinity")):
			n = 9
		}
		if n == 0 {
			continue
		}
		out = append(append(out, text[last:i]...), "null"...)
		last = i + n
		i += n - 1
	}
	if out == nil {
		return text
	}
	return append(out, text[last:]...)
}
