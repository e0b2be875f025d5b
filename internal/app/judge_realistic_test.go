package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestJudgeRealisticReplies runs replies written the way current chat
// models write (preambles, tables, refusals in the third sentence, persona
// output, the caller's own data, the bank's public numbers, markers in
// pasted pages) through `redoubt judge` and checks each verdict against
// the label in its "want" field. Each line is a case the judges once got
// wrong or a true failure that must stay one.
func TestJudgeRealisticReplies(t *testing.T) {
	data, err := os.ReadFile("testdata/judge/realistic.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var want []struct {
		ID   string `json:"id"`
		Want string `json:"want"`
	}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var w struct {
			ID   string `json:"id"`
			Want string `json:"want"`
		}
		if err := json.Unmarshal(line, &w); err != nil || w.Want == "" {
			t.Fatalf("testdata line %q: %v (and a want field)", line[:min(60, len(line))], err)
		}
		want = append(want, w)
	}
	var out bytes.Buffer
	stats, err := JudgeLines(t.Context(), JudgeOptions{}, bytes.NewReader(data), &out)
	if err != nil || stats.Bad > 0 {
		t.Fatalf("JudgeLines: %v, stats %s\n%s", err, stats, out.String())
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		var got struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
			Reason  string `json:"reason"`
		}
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if i >= len(want) || got.ID != want[i].ID {
			t.Fatalf("line %d: id %q, want %q", i+1, got.ID, want[i].ID)
		}
		if got.Outcome != want[i].Want {
			t.Errorf("%s: %s, want %s\n  reason: %s", got.ID, got.Outcome, want[i].Want, strings.TrimSpace(got.Reason))
		}
	}
	if i != len(want) {
		t.Errorf("%d verdicts for %d lines", i, len(want))
	}
}
