// Package codec holds the text encodings that attackers hide instructions
// in and that the detectors undo: Base64 (standard and URL-safe alphabets,
// padded or not), hex, ROT13, Unicode tag characters and zero-width
// characters.
//
// It exists so that the red-team attacks (redteam/attack), which write
// these encodings, and the detectors behind the guard (internal/detect),
// which read them, share one implementation without the guard library
// linking the attack package.
//
// The functions are written for scanners that call them on every message:
//
//   - encoders take a string or a byte slice as it is, without a copy;
//   - the Base64, hex, ROT13 and tag encoders and the Base64 and hex
//     decoders have Append forms that write into a caller's buffer, and
//     the forms that return a string allocate it once;
//   - functions that may change nothing (ROT13 of text without letters,
//     StripZeroWidth of text without zero-width characters, DecodeTags of
//     text without tag characters) return their input without allocating.
//
// Decoders never panic, whatever the input. Text functions keep valid
// UTF-8 valid; where a function's output is valid UTF-8 whatever its input
// (EncodeTags, DecodeTags, StripZeroWidth), its documentation says so.
package codec

import (
	"fmt"
	"unsafe"
)

// Bytes is the input of the encoders: text or binary data, as a string or a
// byte slice, read without copying.
type Bytes interface {
	~string | ~[]byte
}

// CorruptInputError reports input that is not valid in an encoding.
type CorruptInputError struct {
	// Encoding is "base64" or "hex".
	Encoding string
	// Offset is the byte offset of the first invalid byte, or the length
	// of the input when the input ends too early.
	Offset int
	// Reason says what is wrong at Offset.
	Reason string
}

func (e *CorruptInputError) Error() string {
	return fmt.Sprintf("codec: invalid %s at byte %d: %s", e.Encoding, e.Offset, e.Reason)
}

// bytesString returns b as a string without copying. Callers pass a buffer
// they made and never write again, so the string stays immutable.
func bytesString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
