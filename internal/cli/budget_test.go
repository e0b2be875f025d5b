package cli

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/wire"
	"github.com/redoubt-sec/redoubt/internal/wire/wiretest"
	"github.com/redoubt-sec/redoubt/redteam"
)

// passJudge is an OpenAI-compatible judge model that passes every case,
// spending 300 prompt and 20 completion tokens a call.
func passJudge(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	caseRe := regexp.MustCompile(`Case ID: ([0-9a-f]+)`)
	m := &wiretest.Model{Usage: wire.Usage{PromptTokens: 300, CompletionTokens: 20},
		Answer: func(_ context.Context, req wire.ChatRequest) (string, error) {
			var id string
			if s := caseRe.FindStringSubmatch(wiretest.Text(req, "user")); s != nil {
				id = s[1]
			}
			return fmt.Sprintf(`{"case": %q, "verdict": "pass", "reason": "scripted"}`, id), nil
		}}
	return wiretest.Serve(t, m), &m.Calls
}

// --max-calls stops a judged run with exit 130, naming the budget and the
// command that continues it; the resume (a fresh, unbounded session)
// finishes it, and the summary prints what the judge model cost.
func TestRedteamBudgetFlag(t *testing.T) {
	srv, calls := passJudge(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "redoubt.yaml")
	text := fmt.Sprintf(`target: {type: demo}
vulnerabilities: [misinformation]
attacks: [baseline, roleplay]
judge_models:
  - {type: openai, base_url: %q, model: judge-sim, retries: 0}
prices: [{model: judge-sim, prompt: 2, completion: 10}]
`, srv.URL+"/v1")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	db, out := filepath.Join(dir, "db.sqlite"), filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "redteam", "--config", cfg, "--db", db, "--out", out, "--no-progress", "--concurrency", "1", "--max-calls", "2")
	if code != ExitInterrupted || !strings.Contains(stderr, "the calls budget (2) is spent (--max-calls)") ||
		!strings.Contains(stderr, "continue with: redoubt redteam --resume") {
		t.Fatalf("exit %d, want 130 naming the calls budget; stderr:\n%s", code, stderr)
	}
	if calls.Load() > 2 {
		t.Errorf("%d judge calls with --max-calls 2", calls.Load())
	}
	res := readResults(t, out)
	if res.Run.Status != redteam.StatusInterrupted || len(res.Cases) >= res.Run.Planned {
		t.Fatalf("%s with %d of %d cases", res.Run.Status, len(res.Cases), res.Run.Planned)
	}
	code, stdout, stderr := runCLI(t, "redteam", "--resume", res.Run.ID, "--db", db, "--no-progress")
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "COST  $") || !strings.Contains(stdout, "judge judge-sim") {
		t.Errorf("no cost line in the summary:\n%s", stdout)
	}

	// The same budget from the file (another store, so another model
	// cache: cached answers are free and not counted); a bad one is a
	// usage error.
	if err := os.WriteFile(cfg, []byte(text+"max_calls: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "redteam", "--config", cfg, "--db", filepath.Join(dir, "b", "db.sqlite"), "--out", filepath.Join(dir, "out2"), "--no-progress", "--concurrency", "1")
	if code != ExitInterrupted || !strings.Contains(stderr, "the calls budget (1)") {
		t.Errorf("max_calls in the file: exit %d\n%s", code, stderr)
	}
	if code, _, stderr = runCLI(t, "redteam", "--target", "demo", "--time-budget", "-1s"); code != ExitUsage || !strings.Contains(stderr, "--time-budget") {
		t.Errorf("negative --time-budget: exit %d\n%s", code, stderr)
	}
}

// --dry-run adds to the plan the model calls, tokens and cost it expects.
func TestDryRunEstimate(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "redoubt.yaml")
	if err := os.WriteFile(cfg, []byte(`target: {type: demo}
vulnerabilities: [misinformation]
attacks: [baseline, roleplay]
judge_models:
  - {type: openai, base_url: "http://127.0.0.1:9/v1", model: judge-sim}
prices: [{model: judge-sim, prompt: 2, completion: 10}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "redteam", "--config", cfg, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	n := strings.Count(stdout, "\n")
	// Every misinformation probe has a rubric: one judge call each, at
	// 1500+100 tokens and $2/$10 per million.
	want := fmt.Sprintf("judge             judge-sim: %d calls, ~%d prompt + %d completion tokens, $%.4f", n, n*1500, n*100, float64(n)*(1500*2+100*10)/1e6)
	if n == 0 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "estimated cost: up to $") {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	code, _, stderr = runCLI(t, "redteam", "--target", "demo", "--vulnerabilities", "misinformation", "--dry-run")
	if code != 0 || !strings.Contains(stderr, "no attacker or judge model is configured") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}
