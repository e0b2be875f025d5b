package detect

import (
	"testing"
	"unicode/utf8"
)

// typed renders findings as "type=value" so table tests compare what was
// found and where, through the offsets.
func typed(text string, fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type+"="+text[f.Start:f.End])
	}
	return out
}

// checkFindings asserts the invariants every detector keeps: spans in range
// and ordered, on rune boundaries for valid UTF-8, the scanner named, and a
// score in 0..1.
func checkFindings(t *testing.T, d Detector, text string, fs []Finding) {
	t.Helper()
	prev := -1
	for _, f := range fs {
		if f.Start < 0 || f.End > len(text) || f.Start > f.End {
			t.Fatalf("%s: span [%d,%d) out of range for %d bytes", d.Name(), f.Start, f.End, len(text))
		}
		if f.Start < prev {
			t.Fatalf("%s: findings not ordered by start: %v", d.Name(), fs)
		}
		prev = f.Start
		if utf8.ValidString(text) && (!utf8.RuneStart(at(text, f.Start)) || !utf8.RuneStart(at(text, f.End))) {
			t.Fatalf("%s: span [%d,%d) splits a rune in %q", d.Name(), f.Start, f.End, text)
		}
		if f.Scanner != d.Name() {
			t.Fatalf("finding scanner %q, want %q", f.Scanner, d.Name())
		}
		if f.Score <= 0 || f.Score > 1 {
			t.Fatalf("%s: score %v out of (0,1]", d.Name(), f.Score)
		}
	}
}

// at returns text[i], or a rune-start byte at the end of the text.
func at(text string, i int) byte {
	if i == len(text) {
		return 0
	}
	return text[i]
}

func TestShannonEntropy(t *testing.T) {
	tests := []struct {
		in       string
		min, max float64
	}{
		{"", 0, 0},
		{"aaaaaaaa", 0, 0},
		{"abababab", 1, 1},
		{"password", 2.5, 2.8},
		{"q8Zr3LmT9vXc2KbN7pWs", 4.2, 4.4},
	}
	for _, tt := range tests {
		if got := ShannonEntropy(tt.in); got < tt.min-1e-9 || got > tt.max+1e-9 {
			t.Errorf("ShannonEntropy(%q) = %v, want in [%v, %v]", tt.in, got, tt.min, tt.max)
		}
	}
}
