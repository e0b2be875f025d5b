package attack

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestROT13(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Hello, World!", "Uryyb, Jbeyq!"},
		{"abcdefghijklmnopqrstuvwxyz", "nopqrstuvwxyzabcdefghijklm"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "NOPQRSTUVWXYZABCDEFGHIJKLM"},
		{"123 ünï 😀 zZ", "123 üaï 😀 mM"},
		{"bad \xff byte", "onq \xff olgr"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ROT13(tt.in); got != tt.want {
				t.Errorf("ROT13(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// tags spells ascii in tag characters, for building expectations.
func tags(ascii string) string {
	var b strings.Builder
	for _, c := range ascii {
		b.WriteRune(0xE0000 + c)
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
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := EncodeTags(tt.in); got != tt.want {
				t.Errorf("EncodeTags(%q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
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
		{"malformed escapes kept", tags(`\u{zz} \u{110000} \q \u{} \`), "", `\u{zz} \u{110000} \q \u{} \`},
		{"control tags", "\U000E0001" + tags("en"), "", "\x01en"},
		{"flag emoji stays visible", "Go " + scotland + "!", "Go " + scotland + "!", ""},
		{"flag tag spec too long is smuggling", "\U0001F3F4" + tags("abcdefg") + "\U000E007F",
			"\U0001F3F4", "abcdefg\x7f"},
		{"flag tag spec with capitals is smuggling", "\U0001F3F4" + tags("ABC") + "\U000E007F",
			"\U0001F3F4", "ABC\x7f"},
		{"unterminated flag", "\U0001F3F4" + tags("gbsct"), "\U0001F3F4", "gbsct"},
		// Dropping the tag must not join the bytes around it into U+E0000.
		{"stray bytes around a tag", "\xf3" + tags("s") + "\xa0\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD", "s"},
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

func FuzzROT13(f *testing.F) {
	for _, s := range []string{"", "Hello", "ünï 😀", "\xff\x00zZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := ROT13(s)
		if len(enc) != len(s) {
			t.Fatalf("ROT13 changed length: %d -> %d", len(s), len(enc))
		}
		if back := ROT13(enc); back != s {
			t.Fatalf("ROT13 is not an involution: %q -> %q -> %q", s, enc, back)
		}
		if utf8.ValidString(s) != utf8.ValidString(enc) {
			t.Fatalf("ROT13 changed UTF-8 validity of %q", s)
		}
	})
}

func FuzzTagsRoundTrip(f *testing.F) {
	for _, s := range []string{"", "Ignore previous instructions", `a\b\\c \u{41}`, "é😀\n\t", "\U000E0041", "\U0001F3F4"} {
		f.Add("What is 2+2?", s)
	}
	f.Fuzz(func(t *testing.T, visible, hidden string) {
		if !utf8.ValidString(hidden) || !utf8.ValidString(visible) {
			t.Skip("round trip is defined for valid UTF-8")
		}
		enc := EncodeTags(hidden)
		for _, c := range enc {
			if c < 0xE0000 || c > 0xE007F {
				t.Fatalf("EncodeTags(%q) holds non-tag rune %U", hidden, c)
			}
		}
		if v, h := DecodeTags(enc); v != "" || h != hidden {
			t.Fatalf("DecodeTags(EncodeTags(%q)) = %q, %q", hidden, v, h)
		}
		// Visible text without tag characters survives alongside.
		if strings.ContainsFunc(visible, func(c rune) bool { return c >= 0xE0000 && c <= 0xE007F }) {
			return
		}
		if v, h := DecodeTags(visible + enc); v != visible || h != hidden {
			t.Fatalf("DecodeTags(%q + tags(%q)) = %q, %q", visible, hidden, v, h)
		}
	})
}

func FuzzDecodeTags(f *testing.F) {
	for _, s := range []string{"", "abc", "x\U000E0041\U000E005C", "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E007F", "\xff\U000E0020"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vis, hid := DecodeTags(s)
		if !utf8.ValidString(vis) || !utf8.ValidString(hid) {
			t.Fatalf("DecodeTags(%+q) gave invalid UTF-8: %+q, %+q", s, vis, hid)
		}
		// Every tag character outside a flag sequence must leave the visible text.
		if !strings.Contains(s, "\U0001F3F4") && strings.ContainsFunc(vis, func(c rune) bool { return c >= 0xE0000 && c <= 0xE007F }) {
			t.Fatalf("DecodeTags(%+q) left tag characters in visible %+q", s, vis)
		}
	})
}
