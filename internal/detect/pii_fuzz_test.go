package detect

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPIIText checks the PII scanner's invariants on arbitrary text built
// around the shapes its recognisers key on.
func FuzzPIIText(f *testing.F) {
	for _, s := range []string{
		"Mr. John Smith, 221B Baker Street, Apt 4, London", "(415) 555-2671 x204", "+44 (20) 7946 0958",
		"DE89 3704 0044 0532 0130 00", "2001:db8::1 00:1A:2B:3C:4D:5E 10.0.0.0/8", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "my name is Ines", "USS Ohio\nFPO AP 96543", "(",
		"born 1/2/1990", "https://u:p@h", "a@b.cd", "12 March 1985", "Émile's", "AB 12 34 56 C", "1-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fs := PII{}.Scan(text)
		checkFindings(t, PII{}, text, fs)
		for i := 1; i < len(fs); i++ {
			if fs[i].Start < fs[i-1].End {
				t.Fatalf("overlapping findings %v", fs)
			}
		}
	})
}

// FuzzVaultRestore checks that Restore never panics, keeps valid UTF-8
// valid, and round-trips redacted text.
func FuzzVaultRestore(f *testing.F) {
	for _, s := range []string{"[EMAIL_1]", "[ email 1 ]", "[[EMAIL_1]]", "[_1]", "[A_0]", "[", "x]y[", "[EMAIL_99999999999999999999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		v := NewVault()
		text := "jane@x.io " + reply
		red := v.Redact(text, PII{}.Scan(text))
		out := v.Restore(reply)
		if utf8.ValidString(reply) && !utf8.ValidString(out) {
			t.Fatalf("Restore broke UTF-8: %q", out)
		}
		if !strings.Contains(reply, "[") && out != reply {
			t.Fatalf("Restore changed text without placeholders: %q", out)
		}
		if back := v.Restore(red); !strings.HasPrefix(back, "jane@x.io") {
			t.Fatalf("round trip lost the value: %q", back)
		}
	})
}

// FuzzRedact checks that Redact keeps valid UTF-8 valid and never panics
// on arbitrary spans.
func FuzzRedact(f *testing.F) {
	f.Add("héllo wörld", 1, 4, 3, 9)
	f.Fuzz(func(t *testing.T, text string, a, b, c, d int) {
		fs := []Finding{{Type: "x", Start: a, End: b}, {Type: "y_z", Start: c, End: d}}
		for _, m := range []RedactMode{RedactMask, RedactTag, RedactHash} {
			out := Redact(text, fs, m, nil)
			if utf8.ValidString(text) && !utf8.ValidString(out) {
				t.Fatalf("%s broke UTF-8: %q -> %q", m, text, out)
			}
		}
	})
}
