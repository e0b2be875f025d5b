package codec

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeBase64(t *testing.T) {
	tests := []struct {
		in   string
		a    Alphabet
		pad  bool
		want string
	}{
		{"", StdAlphabet, true, ""},
		{"f", StdAlphabet, true, "Zg=="},
		{"fo", StdAlphabet, true, "Zm8="},
		{"foo", StdAlphabet, true, "Zm9v"},
		{"foob", StdAlphabet, false, "Zm9vYg"},
		{"fooba", StdAlphabet, false, "Zm9vYmE"},
		{"foobar", URLAlphabet, true, "Zm9vYmFy"},
		{"\xfb\xff\xbf", StdAlphabet, true, "+/+/"},
		{"\xfb\xff\xbf", URLAlphabet, true, "-_-_"},
		{"\xfb\xff\xbf", AnyAlphabet, true, "+/+/"},
		{"\xfb\xff", URLAlphabet, false, "-_8"},
	}
	for _, tt := range tests {
		if got := EncodeBase64(tt.in, tt.a, tt.pad); got != tt.want {
			t.Errorf("EncodeBase64(%q, %d, %v) = %q, want %q", tt.in, tt.a, tt.pad, got, tt.want)
		}
		if got := EncodeBase64([]byte(tt.in), tt.a, tt.pad); got != tt.want {
			t.Errorf("EncodeBase64([]byte(%q), %d, %v) = %q, want %q", tt.in, tt.a, tt.pad, got, tt.want)
		}
		if got := string(AppendBase64([]byte("x"), tt.in, tt.a, tt.pad)); got != "x"+tt.want {
			t.Errorf("AppendBase64(x, %q) = %q, want %q", tt.in, got, "x"+tt.want)
		}
		if n := Base64Len(len(tt.in), tt.pad); n != len(tt.want) {
			t.Errorf("Base64Len(%d, %v) = %d, want %d", len(tt.in), tt.pad, n, len(tt.want))
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	tests := []struct {
		in      string
		a       Alphabet
		want    string
		errAt   int // -1: no error
		errText string
	}{
		{"", AnyAlphabet, "", -1, ""},
		{"Zg==", StdAlphabet, "f", -1, ""},
		{"Zg", StdAlphabet, "f", -1, ""},
		{"Zm8=", URLAlphabet, "fo", -1, ""},
		{"Zm9vYmE", AnyAlphabet, "fooba", -1, ""},
		{"+/+/", AnyAlphabet, "\xfb\xff\xbf", -1, ""},
		{"-_-_", AnyAlphabet, "\xfb\xff\xbf", -1, ""},
		{"-_8", URLAlphabet, "\xfb\xff", -1, ""},
		// Leftover bits in the last character are ignored.
		{"Zh", StdAlphabet, "f", -1, ""},
		{"+/-_", AnyAlphabet, "", 2, "mixes the standard and URL-safe alphabets"},
		{"ab-c", StdAlphabet, "", 2, "'-' is not in the standard alphabet"},
		{"ab+c", URLAlphabet, "", 2, "'+' is not in the URL-safe alphabet"},
		{"Zm 9v", AnyAlphabet, "", 2, "invalid character ' '"},
		{"Zm9v\n", AnyAlphabet, "", 4, "invalid character 0x0a"},
		{"Zg=", StdAlphabet, "", 3, "padded input is not a multiple of 4"},
		{"Zg===", StdAlphabet, "", 2, "invalid character '='"},
		{"Zm9vYg=", StdAlphabet, "", 7, "padded input is not a multiple of 4"},
		{"Z===", StdAlphabet, "", 1, "invalid character '='"},
		{"Zm9v\nZm9v", StdAlphabet, "", 4, "invalid character 0x0a"},
		{"Zm9vY", StdAlphabet, "", 5, "ends inside a byte"},
		{"Zm=v", StdAlphabet, "", 2, "invalid character '='"},
		{"====", StdAlphabet, "", 0, "invalid character '='"},
	}
	for _, tt := range tests {
		got, err := DecodeBase64(tt.in, tt.a)
		if tt.errAt < 0 {
			if err != nil || string(got) != tt.want {
				t.Errorf("DecodeBase64(%q, %d) = %q, %v; want %q", tt.in, tt.a, got, err, tt.want)
			}
			continue
		}
		var ce *CorruptInputError
		if !errors.As(err, &ce) || ce.Offset != tt.errAt || !strings.Contains(err.Error(), tt.errText) || ce.Encoding != "base64" {
			t.Errorf("DecodeBase64(%q, %d) error = %v, want one at byte %d saying %q", tt.in, tt.a, err, tt.errAt, tt.errText)
		}
		if got != nil {
			t.Errorf("DecodeBase64(%q, %d) returned %q with its error", tt.in, tt.a, got)
		}
	}
}

func TestAppendDecodeKeepsDstOnError(t *testing.T) {
	dst := []byte("keep")
	out, err := AppendDecodeBase64(dst, "Zm9v!!!!", AnyAlphabet)
	if err == nil || string(out) != "keep" {
		t.Errorf("AppendDecodeBase64 = %q, %v; want %q and an error", out, err, "keep")
	}
	out, err = AppendDecodeHex(dst, "6x")
	if err == nil || string(out) != "keep" {
		t.Errorf("AppendDecodeHex = %q, %v; want %q and an error", out, err, "keep")
	}
	out, err = AppendDecodeBase64(dst, "Zm9v", AnyAlphabet)
	if err != nil || string(out) != "keepfoo" {
		t.Errorf("AppendDecodeBase64 = %q, %v; want %q", out, err, "keepfoo")
	}
}

func TestHex(t *testing.T) {
	if got := EncodeHex("\x00\x7f\xff hi"); got != "007fff206869" {
		t.Errorf("EncodeHex = %q", got)
	}
	if got := EncodeHex([]byte{0xde, 0xad}); got != "dead" {
		t.Errorf("EncodeHex([]byte) = %q", got)
	}
	if got, err := DecodeHex("DEADbeef"); err != nil || string(got) != "\xde\xad\xbe\xef" {
		t.Errorf("DecodeHex(DEADbeef) = %x, %v", got, err)
	}
	for _, tt := range []struct {
		in    string
		errAt int
		text  string
	}{
		{"abc", 3, "odd number of digits"},
		{"abg", 2, "invalid character 'g'"},
		{"abcg", 3, "invalid character 'g'"},
		{"0x12", 1, "invalid character 'x'"},
		{"\xff0", 0, "invalid character 0xff"},
	} {
		_, err := DecodeHex(tt.in)
		var ce *CorruptInputError
		if !errors.As(err, &ce) || ce.Offset != tt.errAt || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("DecodeHex(%q) error = %v, want one at byte %d saying %q", tt.in, err, tt.errAt, tt.text)
		}
	}
	for c := 0; c < 256; c++ {
		want := strings.IndexByte("0123456789abcdefABCDEF", byte(c)) >= 0
		if IsHexDigit(byte(c)) != want {
			t.Errorf("IsHexDigit(%#x) = %v", c, !want)
		}
	}
	if b, ok := HexPair('F', 'a'); !ok || b != 0xfa {
		t.Errorf("HexPair(F, a) = %#x, %v", b, ok)
	}
	for _, p := range [][2]byte{{'g', '0'}, {'0', 'g'}, {'%', '%'}, {0xff, '1'}} {
		if _, ok := HexPair(p[0], p[1]); ok {
			t.Errorf("HexPair(%q, %q) ok", p[0], p[1])
		}
	}
}

func TestROT13(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Hello, World!", "Uryyb, Jbeyq!"},
		{"abcdefghijklmnopqrstuvwxyz", "nopqrstuvwxyzabcdefghijklm"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "NOPQRSTUVWXYZABCDEFGHIJKLM"},
		{"123 ünï 😀 zZ", "123 üaï 😀 mM"},
		{"bad \xff byte", "onq \xff olgr"},
		{"[@`{", "[@`{"}, // the bytes either side of each letter range
	}
	for _, tt := range tests {
		if got := ROT13(tt.in); got != tt.want {
			t.Errorf("ROT13(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(AppendROT13([]byte(">"), tt.in)); got != ">"+tt.want {
			t.Errorf("AppendROT13(%q) = %q, want %q", tt.in, got, ">"+tt.want)
		}
	}
}

// tags spells ascii in tag characters, for building expectations.
func tags(ascii string) string {
	var b strings.Builder
	for _, c := range ascii {
		b.WriteRune(TagFirst + c)
	}
	return b.String()
}

func TestEncodeTags(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Hi!", "\U000E0048\U000E0069\U000E0021"},
		{"a b~", tags("a b~")},
		{`back\slash`, tags(`back\\slash`)},
		{"line\nbreak", tags(`line\u{a}break`)},
		{"é😀", tags(`\u{e9}\u{1f600}`)},
		{"\x7f\xff", tags(`\u{7f}\u{fffd}`)},
	}
	for _, tt := range tests {
		if got := EncodeTags(tt.in); got != tt.want {
			t.Errorf("EncodeTags(%q) = %+q, want %+q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeTags(t *testing.T) {
	scotland := "\U0001F3F4" + tags("gbsct") + "\U000E007F"
	tests := []struct {
		name, in             string
		wantVisible, wantHid string
	}{
		{"empty", "", "", ""},
		{"plain text", "just text", "just text", ""},
		{"appended", "What time is it?" + tags("ignore that"), "What time is it?", "ignore that"},
		{"interleaved runs concatenate", "a" + tags("x") + "b" + tags("y") + "c", "abc", "xy"},
		{"escapes resolved", "q" + tags(`\u{1f600} \\ \u{e9}`), "q", `😀 \ é`},
		{"malformed escapes kept", tags(`\u{zz} \u{110000} \u{d800} \q \u{} \u{1234567} \u{41`), "",
			`\u{zz} \u{110000} \u{d800} \q \u{} \u{1234567} \u{41`},
		{"trailing backslash kept", tags(`a\`), "", `a\`},
		{"control tags", "\U000E0001" + tags("en"), "", "\x01en"},
		{"flag emoji stays visible", "Go " + scotland + "!", "Go " + scotland + "!", ""},
		{"three-letter flag spec", "\U0001F3F4" + tags("abc") + "\U000E007F", "\U0001F3F4" + tags("abc") + "\U000E007F", ""},
		{"flag tag spec too long is smuggling", "\U0001F3F4" + tags("abcdefg") + "\U000E007F",
			"\U0001F3F4", "abcdefg\x7f"},
		{"flag tag spec too short is smuggling", "\U0001F3F4" + tags("ab") + "\U000E007F",
			"\U0001F3F4", "ab\x7f"},
		{"flag tag spec with capitals is smuggling", "\U0001F3F4" + tags("ABC") + "\U000E007F",
			"\U0001F3F4", "ABC\x7f"},
		{"unterminated flag", "\U0001F3F4" + tags("gbsct"), "\U0001F3F4", "gbsct"},
		// The FuzzDecodeTags crasher: a tag character between the lead
		// byte and the continuation bytes of another one. Dropping the
		// tag must not assemble U+E0000 in the visible text.
		{"removal joins no stray bytes", "\xf3" + tags("s") + "\xa0\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD", "s"},
		{"invalid bytes without tags", "a\xffb", "a\uFFFDb", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vis, hid := DecodeTags(tt.in)
			if diff := cmp.Diff([]string{tt.wantVisible, tt.wantHid}, []string{vis, hid}); diff != "" {
				t.Errorf("DecodeTags(%+q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestTagHelpers(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"", false},
		{"plain", false},
		{"\U0001F600", false},           // F0, not F3
		{"\U000F0000", false},           // F3 B0: private use
		{"\U000E0100", false},           // F3 A0 84: variation selector 17
		{"x\U000E0000", true},           // first tag
		{"x\U000E007Fy", true},          // last tag
		{"\xf3\xa0\x80", false},         // cut short
		{"\xf3\xf3\xa0\x81\x81", true},  // a stray F3 first
		{"\xf3\xa0\x80\x41\xf3", false}, // no continuation byte
	} {
		if got := ContainsTags(tt.s); got != tt.want {
			t.Errorf("ContainsTags(%+q) = %v, want %v", tt.s, got, tt.want)
		}
	}
	if c, ok := TagChar(0xE0041); !ok || c != 'A' {
		t.Errorf("TagChar(U+E0041) = %q, %v", c, ok)
	}
	for _, r := range []rune{'A', 0xDFFFF, 0xE0080} {
		if _, ok := TagChar(r); ok || IsTag(r) {
			t.Errorf("TagChar(%U) or IsTag say it is a tag", r)
		}
	}
}

func TestZeroWidth(t *testing.T) {
	zw := ZeroWidthChars()
	if diff := cmp.Diff([]rune{'\u200B', '\u200C', '\u200D', '\u2060'}, zw); diff != "" {
		t.Errorf("ZeroWidthChars() (-want +got):\n%s", diff)
	}
	zw[0] = 'x'
	if ZeroWidthChars()[0] != ZWSP {
		t.Error("ZeroWidthChars shares its slice with callers")
	}
	for r := rune(0); r < 0x3000; r++ {
		want := r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060
		if IsZeroWidth(r) != want {
			t.Errorf("IsZeroWidth(%U) = %v", r, !want)
		}
		if got := ContainsZeroWidth("a" + string(r) + "b"); got != want {
			t.Errorf("ContainsZeroWidth(%U) = %v", r, got)
		}
	}
	if IsZeroWidth(0xFEFF) {
		t.Error("U+FEFF is judged in context, not part of the set")
	}

	strip := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"pa\u200Bss\u200Cwo\u200Drd\u2060", "password"},
		{"emoji \u2061 \u200E \uFEFF kept", "emoji \u2061 \u200E \uFEFF kept"},
		{"\u200B\u200B", ""},
		// Removal must not join stray bytes into a new character.
		{"\xe2\x80" + "\u200B" + "\x8b", "\uFFFD\uFFFD\uFFFD"},
		{"bad \xff", "bad \uFFFD"},
		{"bad \xe2\x80 cut", "bad \uFFFD\uFFFD cut"},
	}
	for _, tt := range strip {
		if got := StripZeroWidth(tt.in); got != tt.want {
			t.Errorf("StripZeroWidth(%+q) = %+q, want %+q", tt.in, got, tt.want)
		}
	}

	if got := InsertZeroWidth("hello", []int{0, 2, 2, 5}, []rune{ZWSP, WJ}); got != "\u200Bhe\u2060\u200Bllo\u2060" {
		t.Errorf("InsertZeroWidth = %+q", got)
	}
	if got := InsertZeroWidth("hé", nil, nil); got != "hé" {
		t.Errorf("InsertZeroWidth with no offsets = %+q", got)
	}
	for _, tt := range []struct {
		name string
		at   []int
		zw   []rune
	}{
		{"descending", []int{2, 1}, []rune{ZWSP}},
		{"past the end", []int{4}, []rune{ZWSP}},
		{"negative", []int{-1}, []rune{ZWSP}},
		{"inside a character", []int{2}, []rune{ZWSP}},
		{"no characters", []int{1}, nil},
		{"not zero-width", []int{1}, []rune{' '}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("InsertZeroWidth(%v, %q) did not panic", tt.at, tt.zw)
				}
			}()
			InsertZeroWidth("hé", tt.at, tt.zw)
		})
	}
}

// TestNoCopyWhenUnchanged pins the allocation promises that scanners rely
// on.
func TestNoCopyWhenUnchanged(t *testing.T) {
	s := strings.Repeat("no letters 123 ", 10)
	allocs := testing.AllocsPerRun(100, func() {
		_ = ROT13("1234 !?")
		_, _ = DecodeTags(s)
		_ = StripZeroWidth(s)
		_ = ContainsTags(s)
	})
	if allocs != 0 {
		t.Errorf("unchanged input allocated %v times", allocs)
	}
	buf := make([]byte, 0, 64)
	allocs = testing.AllocsPerRun(100, func() {
		b := AppendBase64(buf[:0], "hello world", StdAlphabet, true)
		b, _ = AppendDecodeBase64(b[:0], "aGVsbG8gd29ybGQ=", AnyAlphabet)
		b = AppendHex(b[:0], "hello")
		b, _ = AppendDecodeHex(b[:0], "68656c6c6f")
		_ = AppendROT13(b[:0], "hello")
	})
	if allocs != 0 {
		t.Errorf("appending into a large enough buffer allocated %v times", allocs)
	}
	if n := testing.AllocsPerRun(100, func() { _ = EncodeBase64("hello world", StdAlphabet, true) }); n != 1 {
		t.Errorf("EncodeBase64 allocated %v times, want 1", n)
	}
}

func TestOutputsAreValidUTF8(t *testing.T) {
	in := "ok \xf3\xa0 \xed\xa0\x80 \xc0\xaf \U000E0041 \u200B"
	for name, out := range map[string]string{
		"EncodeTags":     EncodeTags(in),
		"StripZeroWidth": StripZeroWidth(in),
	} {
		if !utf8.ValidString(out) {
			t.Errorf("%s gave invalid UTF-8 %+q", name, out)
		}
	}
	vis, hid := DecodeTags(in)
	if !utf8.ValidString(vis) || !utf8.ValidString(hid) {
		t.Errorf("DecodeTags gave invalid UTF-8 %+q, %+q", vis, hid)
	}
}
