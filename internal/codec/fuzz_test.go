package codec

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"
)

// textSeeds are inputs with the shapes that trip text codecs: empty,
// ASCII, multi-byte text, emoji, tag and zero-width characters, a flag
// sequence and invalid UTF-8 (a lone lead byte, a cut sequence, a
// surrogate, an overlong form).
var textSeeds = []string{
	"", "Hello, World!", "ünï 😀 zZ", "a\\b\\\\c \\u{41}", "é😀\n\t",
	"x\U000E0041\U000E005C", "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
	"pa\u200Bss\u2060word", "\xff\xfe", "\xf3\xa0\x80", "\xed\xa0\x80", "\xc0\xaf",
	"\xf3\U000e0073\xa0\x80\x80", "\xe2\x80\u200B\x8b",
}

// stdlibBase64 returns encoding/base64's encoding for a and pad, the reference
// that the fuzzers compare against.
func stdlibBase64(a Alphabet, pad bool) *base64.Encoding {
	switch {
	case a == URLAlphabet && pad:
		return base64.URLEncoding
	case a == URLAlphabet:
		return base64.RawURLEncoding
	case pad:
		return base64.StdEncoding
	}
	return base64.RawStdEncoding
}

// FuzzBase64 checks the encoder against encoding/base64 and the round trip
// through every decoding alphabet.
func FuzzBase64(f *testing.F) {
	for _, s := range textSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte{0xfb, 0xff, 0xbf, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, a := range []Alphabet{StdAlphabet, URLAlphabet} {
			for _, pad := range []bool{true, false} {
				enc := EncodeBase64(data, a, pad)
				if want := stdlibBase64(a, pad).EncodeToString(data); enc != want {
					t.Fatalf("EncodeBase64(%x, %d, %v) = %q, encoding/base64 gives %q", data, a, pad, enc, want)
				}
				if s := EncodeBase64(string(data), a, pad); s != enc {
					t.Fatalf("EncodeBase64 differs for string and []byte input: %q, %q", s, enc)
				}
				for _, da := range []Alphabet{a, AnyAlphabet} {
					dec, err := DecodeBase64(enc, da)
					if err != nil || !bytes.Equal(dec, data) {
						t.Fatalf("DecodeBase64(%q, %d) = %x, %v; want %x", enc, da, dec, err, data)
					}
				}
			}
		}
	})
}

// FuzzDecodeBase64 feeds arbitrary text to the decoder: it must never
// panic, must agree with encoding/base64 (which skips line breaks, so
// those inputs are only checked for errors), and an error must point
// inside the input.
func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "Zg==", "Zm9vYmE", "+/-_", "Zg=", "Z===", "====", "Zm=v", "aGk\n", "QQ=\n="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := map[Alphabet][]byte{}
		for _, a := range []Alphabet{AnyAlphabet, StdAlphabet, URLAlphabet} {
			dec, err := DecodeBase64(s, a)
			if err != nil {
				ce, ok := err.(*CorruptInputError)
				if !ok || ce.Offset < 0 || ce.Offset > len(s) || dec != nil {
					t.Fatalf("DecodeBase64(%q, %d) = %x, %#v", s, a, dec, err)
				}
				continue
			}
			got[a] = dec
			if a == AnyAlphabet {
				continue
			}
			if strings.ContainsAny(s, "\r\n") {
				t.Fatalf("DecodeBase64(%q, %d) accepted a line break", s, a)
			}
			ref := stdlibBase64(a, strings.HasSuffix(s, "="))
			if want, err := ref.DecodeString(s); err != nil || !bytes.Equal(dec, want) {
				t.Fatalf("DecodeBase64(%q, %d) = %x; encoding/base64 gives %x, %v", s, a, dec, want, err)
			}
		}
		if !strings.ContainsAny(s, "\r\n") {
			for _, a := range []Alphabet{StdAlphabet, URLAlphabet} {
				ref := stdlibBase64(a, strings.HasSuffix(s, "="))
				if _, ok := got[a]; !ok {
					if _, err := ref.DecodeString(s); err == nil {
						t.Fatalf("DecodeBase64(%q, %d) failed where encoding/base64 succeeds", s, a)
					}
				}
			}
		}
		// AnyAlphabet accepts exactly what one of the two alphabets does.
		std, okStd := got[StdAlphabet]
		url, okURL := got[URLAlphabet]
		anyDec, okAny := got[AnyAlphabet]
		if okAny != (okStd || okURL) {
			t.Fatalf("DecodeBase64(%q): any %v, std %v, url %v", s, okAny, okStd, okURL)
		}
		if okAny && !bytes.Equal(anyDec, std) && !bytes.Equal(anyDec, url) {
			t.Fatalf("DecodeBase64(%q, AnyAlphabet) = %x, neither alphabet's result", s, anyDec)
		}
	})
}

// FuzzHex checks the hex encoder and decoder against encoding/hex.
func FuzzHex(f *testing.F) {
	for _, s := range append(textSeeds, "deadBEEF", "0x12", "abc", "6g") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := EncodeHex(s)
		if want := hex.EncodeToString([]byte(s)); enc != want {
			t.Fatalf("EncodeHex(%q) = %q, encoding/hex gives %q", s, enc, want)
		}
		if dec, err := DecodeHex(enc); err != nil || string(dec) != s {
			t.Fatalf("DecodeHex(EncodeHex(%q)) = %q, %v", s, dec, err)
		}
		// Arbitrary input: same verdict and bytes as encoding/hex.
		dec, err := DecodeHex(s)
		want, wantErr := hex.DecodeString(s)
		if (err == nil) != (wantErr == nil) || err == nil && !bytes.Equal(dec, want) {
			t.Fatalf("DecodeHex(%q) = %x, %v; encoding/hex gives %x, %v", s, dec, err, want, wantErr)
		}
		if err != nil {
			if ce, ok := err.(*CorruptInputError); !ok || ce.Offset < 0 || ce.Offset > len(s) {
				t.Fatalf("DecodeHex(%q) error %#v", s, err)
			}
		}
		for i := 0; i+1 < len(s); i += 2 {
			b, ok := HexPair(s[i], s[i+1])
			w, werr := hex.DecodeString(s[i : i+2])
			if ok != (werr == nil) || ok && b != w[0] {
				t.Fatalf("HexPair(%q, %q) = %#x, %v; encoding/hex gives %x, %v", s[i], s[i+1], b, ok, w, werr)
			}
		}
	})
}

// FuzzROT13 checks that ROT13 is an involution that keeps length and
// UTF-8 validity, and that it matches its Append form.
func FuzzROT13(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := ROT13(s)
		if len(enc) != len(s) {
			t.Fatalf("ROT13 changed the length: %d -> %d", len(s), len(enc))
		}
		if back := ROT13(enc); back != s {
			t.Fatalf("ROT13 is not an involution: %q -> %q -> %q", s, enc, back)
		}
		if utf8.ValidString(s) != utf8.ValidString(enc) {
			t.Fatalf("ROT13 changed the UTF-8 validity of %q", s)
		}
		if app := AppendROT13([]byte("#"), s); string(app) != "#"+enc {
			t.Fatalf("AppendROT13(%q) = %q, ROT13 gives %q", s, app, enc)
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; (c|0x20 < 'a' || c|0x20 > 'z') && enc[i] != c {
				t.Fatalf("ROT13(%q) changed the non-letter byte %#x", s, c)
			}
		}
	})
}

// FuzzTagsRoundTrip checks that hidden text survives EncodeTags and
// DecodeTags, next to visible text.
func FuzzTagsRoundTrip(f *testing.F) {
	for _, s := range textSeeds {
		f.Add("What is 2+2?", s)
	}
	f.Fuzz(func(t *testing.T, visible, hidden string) {
		enc := EncodeTags(hidden)
		if !utf8.ValidString(enc) {
			t.Fatalf("EncodeTags(%q) gave invalid UTF-8", hidden)
		}
		for _, c := range enc {
			if !IsTag(c) {
				t.Fatalf("EncodeTags(%q) holds the non-tag rune %U", hidden, c)
			}
		}
		if string(AppendTags([]byte("v"), hidden)) != "v"+enc {
			t.Fatalf("AppendTags(%q) differs from EncodeTags", hidden)
		}
		// Each invalid byte is encoded as U+FFFD.
		want := validPerByte(hidden)
		if v, h := DecodeTags(enc); v != "" || h != want {
			t.Fatalf("DecodeTags(EncodeTags(%q)) = %q, %q; want \"\", %q", hidden, v, h, want)
		}
		// Visible text without tag characters or black flags survives
		// alongside.
		if !utf8.ValidString(visible) || strings.ContainsFunc(visible, func(c rune) bool { return IsTag(c) || c == blackFlag }) {
			return
		}
		if v, h := DecodeTags(visible + enc + visible); v != visible+visible || h != want {
			t.Fatalf("DecodeTags(%q + tags(%q) + same) = %q, %q", visible, hidden, v, h)
		}
	})
}

// validPerByte replaces each byte of s that is not valid UTF-8 by U+FFFD,
// as ranging over s does.
func validPerByte(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// FuzzDecodeTags checks DecodeTags on arbitrary text: it never panics,
// both results are valid UTF-8, no tag character is left in the visible
// text outside a subdivision flag, and the visible text is the input
// without its tag characters.
func FuzzDecodeTags(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vis, hid := DecodeTags(s)
		if !utf8.ValidString(vis) || !utf8.ValidString(hid) {
			t.Fatalf("DecodeTags(%+q) gave invalid UTF-8: %+q, %+q", s, vis, hid)
		}
		if len(vis) > 3*len(s) {
			t.Fatalf("DecodeTags(%+q) visible text grew to %d bytes", s, len(vis))
		}
		// Outside flag sequences, the visible text is the input, made
		// valid, without tag characters.
		if !strings.ContainsRune(s, blackFlag) {
			want := strings.Map(func(c rune) rune {
				if IsTag(c) {
					return -1
				}
				return c
			}, validPerByte(s))
			if vis != want {
				t.Fatalf("DecodeTags(%+q) visible = %+q, want %+q", s, vis, want)
			}
		}
		// What tag characters are left belong to subdivision flags.
		for i := 0; i < len(vis); {
			r, size := utf8.DecodeRuneInString(vis[i:])
			if r == blackFlag {
				size += flagTagLen(vis[i+size:])
			} else if IsTag(r) {
				t.Fatalf("DecodeTags(%+q) left the tag %U at %d in visible %+q", s, r, i, vis)
			}
			i += size
		}
		// Decoding again finds nothing more.
		if v2, h2 := DecodeTags(vis); v2 != vis || h2 != "" {
			t.Fatalf("DecodeTags is not idempotent on %+q: %+q, %+q", vis, v2, h2)
		}
	})
}

// FuzzZeroWidth checks that stripping removes every zero-width character
// and gives valid UTF-8, and that inserting at every character boundary
// and stripping again gives the text back.
func FuzzZeroWidth(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, pick uint8) {
		stripped := StripZeroWidth(s)
		if !utf8.ValidString(stripped) || ContainsZeroWidth(stripped) {
			t.Fatalf("StripZeroWidth(%+q) = %+q", s, stripped)
		}
		if StripZeroWidth(stripped) != stripped {
			t.Fatalf("StripZeroWidth is not idempotent on %+q", stripped)
		}
		if !utf8.ValidString(s) {
			return
		}
		if want := strings.Map(func(c rune) rune {
			if IsZeroWidth(c) {
				return -1
			}
			return c
		}, s); stripped != want {
			t.Fatalf("StripZeroWidth(%+q) = %+q, want %+q", s, stripped, want)
		}
		// Insert before every character (and at the end) of the stripped
		// text, with characters chosen by pick.
		var at []int
		for i := range stripped {
			at = append(at, i)
		}
		at = append(at, len(stripped))
		all := ZeroWidthChars()
		zw := []rune{all[pick%4], all[pick/4%4]}
		ins := InsertZeroWidth(stripped, at, zw)
		if !utf8.ValidString(ins) || len(ins) != len(stripped)+3*len(at) {
			t.Fatalf("InsertZeroWidth(%+q) = %+q", stripped, ins)
		}
		if back := StripZeroWidth(ins); back != stripped {
			t.Fatalf("StripZeroWidth(InsertZeroWidth(%+q)) = %+q", stripped, back)
		}
	})
}
