package attack

import "github.com/redoubt-sec/redoubt/internal/codec"

// The encodings themselves live in internal/codec, shared with the
// detectors. These wrappers keep them in this package's public API, for
// programs that build or check attack payloads.

// ROT13 rotates every ASCII letter by 13 places and leaves every other byte
// as it is. It is its own inverse: ROT13(ROT13(s)) == s for any s, valid
// UTF-8 or not, because ASCII letter bytes never occur inside a multi-byte
// UTF-8 sequence.
func ROT13(s string) string { return codec.ROT13(s) }

// EncodeTags writes s as invisible Unicode tag characters (U+E0000-U+E007F).
// Printable ASCII maps one-to-one onto the tag block. Everything else
// (newlines, other controls, non-ASCII letters, emoji) has no tag
// counterpart, so it is written as the tag-encoded escape \u{HEX}, and a
// literal backslash as \\; DecodeTags undoes both, so DecodeTags(EncodeTags(s))
// gives back s for any valid UTF-8 s. Invalid UTF-8 bytes are encoded as
// U+FFFD.
func EncodeTags(s string) string { return codec.EncodeTags(s) }

// DecodeTags splits s into the text a reader sees and the text hidden in
// Unicode tag characters, decoded back to ASCII and with the escapes
// written by EncodeTags resolved. Tag runs are concatenated in order. Emoji
// tag sequences (a black flag, 3 to 6 tag letters or digits and a cancel
// tag, as in the flag of Scotland) are legitimate and stay in visible. A
// guard can scan hidden for instructions and flag any non-empty hidden text
// as smuggling. Both results are valid UTF-8: invalid bytes of s become
// U+FFFD in visible, so that removing a tag character never joins stray
// bytes into a new character.
func DecodeTags(s string) (visible, hidden string) { return codec.DecodeTags(s) }
