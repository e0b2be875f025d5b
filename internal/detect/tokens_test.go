package detect

import (
	"strings"
	"testing"
)

func TestCountTokens(t *testing.T) {
	// Reference counts from OpenAI's tiktoken (as pinned by the tokenizer
	// module's own tests).
	tests := []struct {
		text, enc string
		want      int
	}{
		{"hello world", "", 2},
		{"hello world", "cl100k_base", 2},
		{"hello world", "o200k_base", 2},
		{"", "", 0},
		{"supercalifragilistic", "cl100k_base", 7},
		{"supercalifragilistic", "o200k_base", 6},
		{"We know what we are, but know not what we may be.", "o200k_base", 14},
	}
	for _, tt := range tests {
		got, err := CountTokens(tt.text, tt.enc)
		if err != nil {
			t.Fatalf("CountTokens(%q, %q): %v", tt.text, tt.enc, err)
		}
		if got != tt.want {
			t.Errorf("CountTokens(%q, %q) = %d, want %d", tt.text, tt.enc, got, tt.want)
		}
	}
	if _, err := CountTokens("x", "nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("CountTokens with an unknown encoding: error %v, want one naming it", err)
	}
}

func TestTokens(t *testing.T) {
	if _, err := NewTokens(0, ""); err == nil {
		t.Error("NewTokens(0) succeeded, want an error")
	}
	if _, err := NewTokens(10, "bogus"); err == nil {
		t.Error("NewTokens with a bogus encoding succeeded, want an error")
	}
	tests := []struct {
		name      string
		limit     int
		text      string
		wantStart int // -1: no finding
	}{
		{"short by bytes", 5, "hello", -1},
		{"under limit", 3, "hello world", -1},
		{"at limit", 2, "hello world", -1},
		{"over limit", 1, "hello world", 5},
		{"multibyte", 2, "日本語のテキストです", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewTokens(tt.limit, "")
			if err != nil {
				t.Fatal(err)
			}
			fs := d.Scan(tt.text)
			checkFindings(t, d, tt.text, fs)
			switch {
			case tt.wantStart < 0 && len(fs) > 0:
				t.Errorf("Scan(%q) = %v, want none", tt.text, fs)
			case tt.wantStart >= 0 && (len(fs) != 1 || tt.name != "multibyte" && fs[0].Start != tt.wantStart):
				t.Errorf("Scan(%q) = %v, want one finding from %d", tt.text, fs, tt.wantStart)
			}
			if len(fs) == 1 {
				if n := d.Count(tt.text[:fs[0].Start]); n > tt.limit {
					t.Errorf("text before the finding has %d tokens, over the limit %d", n, tt.limit)
				}
			}
		})
	}
}

func FuzzTokens(f *testing.F) {
	d, err := NewTokens(8, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("the quick brown fox jumps over the lazy dog, twice over")
	fuzzDetector(f, d)
}

func BenchmarkTokens2KiB(b *testing.B) {
	for _, tc := range []struct {
		name  string
		limit int
	}{{"under_by_bytes", 4096}, {"counted", 1000}} {
		d, err := NewTokens(tc.limit, "")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(miscPrompt2KiB)))
			b.ReportAllocs()
			for b.Loop() {
				_ = d.Scan(miscPrompt2KiB)
			}
		})
	}
}
