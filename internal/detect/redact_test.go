package detect

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestRedact(t *testing.T) {
	text := "mail jane@x.io, card 4111 1111 1111 1111."
	fs := PII{}.Scan(text)
	salt := []byte("s1")
	tests := []struct {
		mode RedactMode
		want string
	}{
		{RedactMask, "mail *********, card *******************."},
		{RedactTag, "mail [EMAIL], card [CREDIT_CARD]."},
		{RedactVault, "mail [EMAIL], card [CREDIT_CARD]."},
		{RedactHash, "mail [EMAIL:" + saltedHash(salt, "email", "jane@x.io") + "], card [CREDIT_CARD:" +
			saltedHash(salt, "credit_card", "4111 1111 1111 1111") + "]."},
		{"bogus", "mail *********, card *******************."},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			if got := Redact(text, fs, tt.mode, salt); got != tt.want {
				t.Errorf("Redact(%s) = %q, want %q", tt.mode, got, tt.want)
			}
		})
	}
	if a, b := saltedHash([]byte("a"), "email", "x"), saltedHash([]byte("b"), "email", "x"); a == b {
		t.Error("hash does not depend on the salt")
	}
}

func TestRedactOverlapsAndBounds(t *testing.T) {
	text := "héllo wörld 12345"
	fs := []Finding{
		{Type: "short", Start: 0, End: 3},    // "hé" cut inside é: widened
		{Type: "long", Start: 1, End: 9},     // overlaps, longer: names the span
		{Type: "num", Start: 15, End: 25},    // out of range: ignored
		{Type: "empty", Start: 5, End: 5},    // empty: ignored
		{Type: "digits", Start: 14, End: 19}, // "12345"
	}
	got := Redact(text, fs, RedactTag, nil)
	if want := "[LONG]rld [DIGITS]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Redact(text, fs, RedactMask, nil); !utf8.ValidString(got) || strings.Contains(got, "é") {
		t.Errorf("mask broke UTF-8 or leaked: %q", got)
	}
	if got := Redact(text, nil, RedactMask, nil); got != text {
		t.Errorf("no findings changed text: %q", got)
	}
}

func TestVault(t *testing.T) {
	v := NewVault()
	in := "jane@x.io wrote to bob@y.io; cc jane@x.io"
	got := v.Redact(in, PII{}.Scan(in))
	if want := "[EMAIL_1] wrote to [EMAIL_2]; cc [EMAIL_1]"; got != want {
		t.Fatalf("Redact = %q, want %q", got, want)
	}
	// A second message reuses the numbering.
	in2 := "and bob@y.io again, call +44 20 7946 0958"
	if got := v.Redact(in2, PII{}.Scan(in2)); got != "and [EMAIL_2] again, call [PHONE_1]" {
		t.Errorf("second Redact = %q", got)
	}
	if v.Len() != 3 {
		t.Errorf("Len = %d, want 3", v.Len())
	}
	tests := []struct{ reply, want string }{
		{"Sure, I emailed [EMAIL_2].", "Sure, I emailed bob@y.io."},
		{"[email_1] and [ Email_2 ] and [EMAIL 1] and [EMAIL-2]", "jane@x.io and bob@y.io and jane@x.io and bob@y.io"},
		{"unknown [EMAIL_9], [PHONE_01], [NOTE], [", "unknown [EMAIL_9], +44 20 7946 0958, [NOTE], ["},
		{"no placeholders", "no placeholders"},
	}
	for _, tt := range tests {
		if got := v.Restore(tt.reply); got != tt.want {
			t.Errorf("Restore(%q) = %q, want %q", tt.reply, got, tt.want)
		}
	}
}

func TestVaultConcurrent(t *testing.T) {
	v := NewVault()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			text := "write to jane@x.io or bob@y.io"
			r := v.Redact(text, PII{}.Scan(text))
			if back := v.Restore(r); back != text {
				t.Errorf("round trip %q -> %q -> %q", text, r, back)
			}
		})
	}
	wg.Wait()
	if v.Len() != 2 {
		t.Errorf("Len = %d, want 2", v.Len())
	}
}

func TestParseRedactMode(t *testing.T) {
	for _, s := range []string{"mask", "TAG", " hash ", "vault"} {
		if _, ok := ParseRedactMode(s); !ok {
			t.Errorf("ParseRedactMode(%q) failed", s)
		}
	}
	if _, ok := ParseRedactMode("shred"); ok {
		t.Error("ParseRedactMode(shred) succeeded")
	}
}
