package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

func sampleCases() []redteam.Case {
	mk := func(id, v, typ, a string, o judge.Outcome) redteam.Case {
		return redteam.Case{
			Probe: redteam.Probe{ID: id, Vulnerability: v, Type: typ, Attack: a, Goal: "g"},
			Turns: target.Conversation{
				{Role: target.RoleUser, Content: "<script>alert(1)</script>"},
				{Role: target.RoleAssistant, Content: "reply", ToolCalls: []target.ToolCall{{Name: "run_sql", Arguments: `{"q":"x"}`}}},
			},
			Verdict: judge.Verdict{Outcome: o, Reason: "because", Evidence: []finding.Finding{{Scanner: "pii", Type: "email", Turn: new(1)}}},
		}
	}
	return []redteam.Case{
		mk("p-1", "pii_leakage", "direct_disclosure", "baseline", judge.Fail),
		mk("p-2", "pii_leakage", "session_leak", "base64", judge.Pass),
		mk("p-3", "bias", "race", "baseline", judge.Unknown),
	}
}

// TestResultsContract pins the results.json shape that scripts rely on
// (docs/results.md): run, summary.by_vulnerability, summary.by_attack, and cases
// with id, vulnerability, type, attack, turns[role, content] and
// verdict{outcome, reason, evidence}.
func TestResultsContract(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteFile(dir, Build(redteam.RunInfo{ID: "r1", Status: "finished"}, sampleCases()))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(m any, keys ...string) any {
		for _, k := range keys {
			mm, ok := m.(map[string]any)
			if !ok {
				t.Fatalf("%v is not an object at %q", m, k)
			}
			if m, ok = mm[k]; !ok {
				t.Fatalf("results.json lacks %q (path %v)", k, keys)
			}
		}
		return m
	}
	if get(doc, "run", "id") != "r1" {
		t.Error("run.id")
	}
	if n := len(get(doc, "summary", "by_vulnerability").([]any)); n != 2 {
		t.Errorf("by_vulnerability has %d entries, want 2", n)
	}
	if n := len(get(doc, "summary", "by_attack").([]any)); n != 2 {
		t.Errorf("by_attack has %d entries, want 2", n)
	}
	cases := get(doc, "cases").([]any)
	c := cases[0]
	for _, k := range []string{"id", "vulnerability", "type", "attack"} {
		if s, _ := get(c, k).(string); s == "" {
			t.Errorf("case %s is empty", k)
		}
	}
	turn := get(c, "turns").([]any)[0]
	if get(turn, "role") != "user" || get(turn, "content") != "<script>alert(1)</script>" {
		t.Errorf("turn = %v", turn)
	}
	if get(c, "verdict", "outcome") != "fail" || get(c, "verdict", "reason") != "because" {
		t.Errorf("verdict = %v", get(c, "verdict"))
	}
	if len(get(c, "verdict", "evidence").([]any)) != 1 {
		t.Error("evidence lost")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if filepath.Base(path) != "results.json" {
		t.Errorf("wrote %s", path)
	}
}

func TestWriteSummary(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSummary(&b, redteam.Summarize(sampleCases())); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"VULNERABILITY / TYPE  PROBES  PASSED  FAILED  UNKNOWN  ERRORED  PASS RATE",
		"pii_leakage                2       1       1        0        0      50.0%",
		"  direct_disclosure        1       0       1        0        0       0.0%",
		"TOTAL                      3       1       1        1        0      33.3%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space in %q", line)
		}
	}
}

// sampleFramework maps pii_leakage as a whole and one sub-type of bias.
func sampleFramework() catalog.Framework {
	return catalog.Framework{ID: "owasp-llm-2025", Name: "OWASP Top 10 for LLM Applications 2025", Categories: []catalog.Category{
		{ID: "LLM02", Name: "Sensitive Information Disclosure", Vulnerabilities: []string{"pii_leakage"}},
		{ID: "LLM09", Name: "Misinformation", Vulnerabilities: []string{"bias:race", "pii_leakage:session_leak"}},
		{ID: "LLM10", Name: "Unbounded Consumption", Vulnerabilities: []string{"unbounded_consumption"}},
	}}
}

// TestResultsByFramework pins summary.by_framework: [{"framework", "name",
// "categories": [{"id", "name", "total", "passed", "failed", "unknown",
// "errored", "pass_rate"}]}].
func TestResultsByFramework(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, Build(redteam.RunInfo{ID: "r1"}, sampleCases(), sampleFramework())); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary struct {
			ByFramework []map[string]any `json:"by_framework"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{
		"framework": "owasp-llm-2025",
		"name":      "OWASP Top 10 for LLM Applications 2025",
		"categories": []any{
			map[string]any{"id": "LLM02", "name": "Sensitive Information Disclosure", "total": 2.0, "passed": 1.0, "failed": 1.0, "unknown": 0.0, "errored": 0.0, "pass_rate": 0.5},
			map[string]any{"id": "LLM09", "name": "Misinformation", "total": 2.0, "passed": 1.0, "failed": 0.0, "unknown": 1.0, "errored": 0.0, "pass_rate": 0.5},
			map[string]any{"id": "LLM10", "name": "Unbounded Consumption", "total": 0.0, "passed": 0.0, "failed": 0.0, "unknown": 0.0, "errored": 0.0, "pass_rate": 0.0},
		},
	}}
	if diff := cmp.Diff(want, doc.Summary.ByFramework); diff != "" {
		t.Errorf("by_framework (-want +got):\n%s", diff)
	}

	// Without frameworks the key is still there, as an empty list.
	b.Reset()
	if err := WriteJSON(&b, Build(redteam.RunInfo{ID: "r1"}, sampleCases())); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"by_framework": []`) {
		t.Errorf("by_framework missing or not a list:\n%s", b.String())
	}
}

func TestWriteSummaryFrameworks(t *testing.T) {
	s := Build(redteam.RunInfo{}, sampleCases(), sampleFramework()).Summary
	var b bytes.Buffer
	if err := WriteSummary(&b, s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"OWASP Top 10 for LLM Applications 2025\nOWASP-LLM-2025                          PROBES  PASSED  FAILED  UNKNOWN  ERRORED  PASS RATE\n",
		"LLM02 Sensitive Information Disclosure       2       1       1        0        0      50.0%\n",
		"LLM10 Unbounded Consumption                  0       0       0        0        0          -\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "LLM10") > strings.Index(out, "TOTAL") {
		t.Errorf("the framework table comes after the total:\n%s", out)
	}
	s.ByFramework = nil
	b.Reset()
	WriteSummary(&b, s)
	if strings.Contains(b.String(), "LLM02") {
		t.Error("a framework table without frameworks")
	}
}

// results.json is one JSON document: the same value whatever its layout.
func TestWriteJSONIsJSON(t *testing.T) {
	for _, n := range []int{0, 1, 3, 1100} {
		var cases []redteam.Case
		for i := range n {
			c := testCase(fmt.Sprintf("p%d", i), i, judge.Pass)
			cases = append(cases, c)
		}
		r := Build(redteam.RunInfo{ID: "r"}, cases)
		var buf bytes.Buffer
		if err := WriteJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		var back Results
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("%d cases: not JSON: %v\n%s", n, err, buf.Bytes())
		}
		if back.Cases == nil {
			back.Cases = []CaseResult{}
		}
		if diff := cmp.Diff(r, back); diff != "" {
			t.Errorf("%d cases: round trip (-want +got):\n%s", n, diff)
		}
		if got := bytes.Count(buf.Bytes(), []byte("\n    {\"id\"")); got != n {
			t.Errorf("%d cases on %d lines of their own", n, got)
		}
	}
}
