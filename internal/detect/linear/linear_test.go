package linear

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testModel builds a small model with deterministic pseudo-random weights.
func testModel(t testing.TB, cfg Config) *Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, 1<<cfg.Bits)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	m, err := New(cfg, w, -0.5, 0.3, [32]byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMarshalLoadRoundTrip(t *testing.T) {
	m := testModel(t, Config{Bits: 12, CharMin: 2, CharMax: 4, Words: true, Bigrams: true})
	data := m.Marshal()
	got, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Marshal(), data) {
		t.Error("Marshal(Load(data)) differs from data")
	}
	if diff := cmp.Diff(m.Config(), got.Config()); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
	if got.Recipe() != m.Recipe() || math.Abs(got.Threshold()-0.3) > 1e-6 {
		t.Errorf("recipe or threshold not kept: %x %v", got.Recipe(), got.Threshold())
	}
	for _, s := range []string{"", "hello", "Ignore previous instructions"} {
		if a, b := m.Score(s), got.Score(s); a != b {
			t.Errorf("Score(%q): %v before, %v after round trip", s, a, b)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	good := testModel(t, Config{Bits: 10, CharMin: 3, CharMax: 5, Words: true}).Marshal()
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than its header"},
		{"magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		{"version", mutate(func(b []byte) []byte { b[4] = 9; return b }), "version 9"},
		{"bits", mutate(func(b []byte) []byte { b[6] = 40; return b }), "bits 40"},
		{"char range", mutate(func(b []byte) []byte { b[7] = 6; return b }), "char n-gram range"},
		{"flags", mutate(func(b []byte) []byte { b[9] = 0x80; return b }), "unknown feature flags"},
		{"truncated", good[:len(good)-10], "want"},
		{"corrupted weight", mutate(func(b []byte) []byte { b[100] ^= 0xFF; return b }), "checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	cfg := Config{Bits: 10, CharMax: 0, Words: true}
	w := make([]float32, 1<<10)
	if _, err := New(cfg, w[:5], 0, 0.5, [32]byte{}); err == nil {
		t.Error("New accepted the wrong number of weights")
	}
	if _, err := New(cfg, w, 0, 1.5, [32]byte{}); err == nil {
		t.Error("New accepted threshold 1.5")
	}
	w[3] = float32(math.NaN())
	if _, err := New(cfg, w, 0, 0.5, [32]byte{}); err == nil {
		t.Error("New accepted a NaN weight")
	}
}

// TestScoreMatchesFeatures checks that the allocation-free Score computes
// the same log-odds as the explicit feature vector the trainer uses.
func TestScoreMatchesFeatures(t *testing.T) {
	// DefaultConfig takes the single-length fast path of the character
	// n-grams; the other configuration the general one.
	for _, cfg := range []Config{{Bits: 14, CharMin: 3, CharMax: 5, Words: true, Bigrams: true}, DefaultConfig} {
		m := testModel(t, cfg)
		for _, s := range []string{"", "a", "abcd", "ignore all previous instructions", "Ünïcode wörds and ASCII", strings.Repeat("abc def ", 50)} {
			z := m.Logit(m.Config().Features(s))
			raw := 1 / (1 + math.Exp(-z))
			if got := m.Raw(s); math.Abs(got-raw) > 1e-6 {
				t.Errorf("%+v: Raw(%q) = %v, features give %v", cfg, s, got, raw)
			}
			if got, want := m.Score(s), m.Calibrate(raw); math.Abs(got-want) > 1e-6 {
				t.Errorf("%+v: Score(%q) = %v, want Calibrate(raw) = %v", cfg, s, got, want)
			}
		}
	}
}

func TestCalibrateThresholdIsHalf(t *testing.T) {
	m := testModel(t, Config{Bits: 10, CharMax: 0, Words: true})
	if got := m.Calibrate(m.Threshold()); math.Abs(got-0.5) > 1e-9 {
		t.Errorf("Calibrate(threshold) = %v, want 0.5", got)
	}
}

func TestFeaturesCaseInsensitive(t *testing.T) {
	c := DefaultConfig
	if diff := cmp.Diff(c.Features("ignore previous"), c.Features("IGNORE\tPrevious")); diff != "" {
		t.Errorf("features differ by case or whitespace (-lower +upper):\n%s", diff)
	}
}

func TestSegments(t *testing.T) {
	text := strings.Repeat("para one line.\n", 100) + strings.Repeat("x", 3000) + " tail"
	segs := Segments(text, 256)
	pos := 0
	for _, s := range segs {
		if s[0] != pos || s[1] <= s[0] {
			t.Fatalf("segments do not tile the text: %v at %d", s, pos)
		}
		pos = s[1]
	}
	if pos != len(text) {
		t.Fatalf("segments end at %d, want %d", pos, len(text))
	}
}

func TestScoreNoAlloc(t *testing.T) {
	m := testModel(t, DefaultConfig)
	text := strings.Repeat("some benign words here ", 90)
	if n := testing.AllocsPerRun(10, func() { _ = m.Score(text) }); n != 0 {
		t.Errorf("Score allocated %v times, want 0", n)
	}
}

func FuzzLoad(f *testing.F) {
	good := testModel(f, Config{Bits: 10, CharMin: 3, CharMax: 4, Words: true}).Marshal()
	f.Add(good)
	f.Add(good[:60])
	f.Add([]byte("RDLM"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(data)
		if err != nil {
			return
		}
		if s := m.Score("ignore previous instructions"); !(s >= 0 && s <= 1) {
			t.Fatalf("score %v outside 0..1", s)
		}
	})
}

func BenchmarkLinearScore2KiB(b *testing.B) {
	m := testModel(b, DefaultConfig)
	text := strings.Repeat("Please review the onboarding guide and ignore formatting nits; focus on the on-call runbook. ", 23)[:2048]
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Score(text)
	}
}
