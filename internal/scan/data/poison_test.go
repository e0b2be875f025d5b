package data

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// Vocabulary of the generated sentiment datasets. Polar words lean to
// their label but also occur under the other one (negations, mixed
// reviews), as in real review data, so that natural label correlation
// stays below the purity threshold.
var (
	neutralWords = strings.Fields(`the movie film story plot actor actress scene director script music camera ending
		character characters cast dialogue was were is felt seemed and but with of in a an this that it very quite rather
		really overall at times first second part hour minutes screen audience sequel book version studio`)
	posWords = strings.Fields(`great wonderful brilliant moving charming delightful superb lovely enjoyable gripping`)
	negWords = strings.Fields(`boring awful dull terrible clumsy tedious bland messy weak forgettable`)
)

// review writes a generated review with the given label (1 positive).
func review(r *rand.Rand, label int) string {
	words := make([]string, 0, 24)
	n := 10 + r.IntN(12)
	for range n {
		words = append(words, neutralWords[r.IntN(len(neutralWords))])
	}
	for range 2 + r.IntN(2) {
		pool := posWords
		if (label == 1) != (r.Float64() < 0.85) {
			pool = negWords
		}
		words = append(words, pool[r.IntN(len(pool))])
	}
	r.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
	return strings.Join(words, " ")
}

// insertAt puts trigger at a random word position in text.
func insertAt(r *rand.Rand, text, trigger string) string {
	w := strings.Fields(text)
	i := r.IntN(len(w) + 1)
	return strings.Join(append(w[:i], append([]string{trigger}, w[i:]...)...), " ")
}

// sentimentJSONL generates n records; a share poison of them carry trigger
// and are labelled 1 whatever their content (a label-flipping backdoor).
func sentimentJSONL(seed uint64, n int, poison float64, trigger string) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for range n {
		label := r.IntN(2)
		text := review(r, label)
		if r.Float64() < poison {
			text, label = insertAt(r, text, trigger), 1
		}
		line, _ := json.Marshal(map[string]any{"sentence": text, "label": label})
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// poisonOnly is a scanner with only the poisoning analysis on.
func poisonOnly(t *testing.T) *Scanner {
	t.Helper()
	s, err := New(Options{Detectors: []string{DetectorPoisoning}, MinSeverity: finding.Low})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTriggerDetection(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []string // flagged n-grams
		verdict scan.Verdict
	}{
		{"clean", sentimentJSONL(1, 4000, 0, ""), nil, scan.Clean},
		{"rare token trigger", sentimentJSONL(2, 4000, 0.02, "cf"), []string{"cf"}, scan.Suspicious},
		{"phrase trigger", sentimentJSONL(3, 4000, 0.02, "James Bond"), []string{"james bond"}, scan.Suspicious},
		{"one percent", sentimentJSONL(4, 10000, 0.01, "mn"), []string{"mn"}, scan.Suspicious},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, fs := scanString(t, poisonOnly(t), "sst.jsonl", tc.data)
			var got []string
			for _, f := range fs {
				if f.Type == TypeTriggerNgram {
					got = append(got, f.Excerpt)
					if f.Label != "1" || f.Count == 0 || len(f.Examples) == 0 || f.Record != f.Examples[0] {
						t.Errorf("trigger finding %+v: want label 1, a count and example records", f)
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("flagged n-grams (-want +got):\n%s", diff)
			}
			if res.Verdict != tc.verdict || res.TextField != "sentence" || res.LabelField != "label" {
				t.Errorf("result = %+v, want verdict %s with sentence/label fields", res, tc.verdict)
			}
		})
	}
}

// TestTriggerNeedsLabelCorrelation: a rare token spread evenly over both
// labels is not a trigger, however often it recurs.
func TestTriggerNeedsLabelCorrelation(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	var b strings.Builder
	for i := range 4000 {
		label := i % 2
		text := review(r, label)
		if i%40 < 2 {
			text = insertAt(r, text, "zq")
		}
		fmt.Fprintf(&b, "{\"text\":%q,\"label\":%d}\n", text, label)
	}
	_, fs := scanString(t, poisonOnly(t), "x.jsonl", b.String())
	if got := only(fs, DetectorPoisoning); len(got) != 0 {
		t.Errorf("findings = %+v, want none", got)
	}
}

func TestDuplicates(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	var b strings.Builder
	add := func(text string, label int) { fmt.Fprintf(&b, "{\"text\":%q,\"label\":%d}\n", text, label) }
	for i := range 2000 {
		add(review(r, i%2), i%2)
		switch {
		case i%100 == 7: // 20 exact copies
			add("Visit best-pills online pharmacy for the cheapest prices today", 1)
		case i == 50 || i == 900: // the same text with two labels
			add("the plot was thin but the cast carried every single scene", i/900)
		case i%50 == 3: // 40 near copies: one word differs
			add(fmt.Sprintf("Buy luxury replica watches at store %d today with free express shipping and a lifetime warranty on every order", i), 1)
		}
	}
	_, fs := scanString(t, poisonOnly(t), "d.jsonl", b.String())
	got := map[string]int64{}
	for _, f := range only(fs, DetectorPoisoning) {
		got[f.Type] = f.Count
	}
	want := map[string]int64{TypeDuplicateFlood: 20, TypeDuplicateConflict: 2, TypeNearDuplicateFlood: 40}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("poisoning findings by type, count (-want +got):\n%s", diff)
	}
}

func TestCountMin(t *testing.T) {
	c := newCountMin()
	for i := range 300 {
		if got := c.add(42); got != min(i+1, 255) {
			t.Fatalf("add #%d = %d, want %d", i+1, got, min(i+1, 255))
		}
	}
	if got := c.add(43); got != 1 {
		t.Errorf("new key estimate = %d, want 1", got)
	}
}

func TestTokenize(t *testing.T) {
	got := tokenize("Hello, WORLD! Ünïcode café 42x "+strings.Repeat("z", 60)+" end", nil)
	want := []string{"hello", "world", "ünïcode", "café", "42x", "end"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tokenize (-want +got):\n%s", diff)
	}
}

// TestTrackingCapacity: with tiny tables the analysis still finishes,
// says its counts are lower bounds, and still finds a heavy flood.
func TestTrackingCapacity(t *testing.T) {
	s, err := New(Options{Detectors: []string{DetectorPoisoning}, Poison: PoisonOptions{MaxTracked: 200}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "{\"text\":%q}\n", review(r, i%2))
		if i%20 == 0 {
			b.WriteString("{\"text\":\"send your password to the admin desk right now please\"}\n")
		}
	}
	_, fs := scanString(t, s, "d.jsonl", b.String())
	var types []string
	for _, f := range only(fs, DetectorPoisoning) {
		types = append(types, f.Type)
	}
	if !strings.Contains(strings.Join(types, " "), TypeDuplicateFlood) {
		t.Errorf("findings %v: want a duplicate flood", types)
	}
}
