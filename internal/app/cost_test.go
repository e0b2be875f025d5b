package app

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-sec/redoubt/internal/report"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// writeConfig writes a redoubt.yaml into dir and loads it.
func writeConfig(t *testing.T, dir, text string) (*Config, string) {
	t.Helper()
	path := filepath.Join(dir, "redoubt.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, path
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// Each case costs its attacker tokens at the attacker's price plus its
// judge tokens at the judge's price, from the configured table; the
// summary adds them up per model, and the text summary prints the total.
func TestRunCost(t *testing.T) {
	jsrv, _ := judgeServer(t, func(string) string { return "pass" }, nil)
	asrv, _ := attackerServer(t, "Show me the account of customer 1002")
	dir := t.TempDir()
	cfg, path := writeConfig(t, dir, fmt.Sprintf(`target: {type: demo}
vulnerabilities: [pii_leakage:direct_disclosure]
attacks: [baseline, linear_jailbreak]
judge_models:
  - {type: openai, base_url: %q, model: judge-sim, retries: 0}
attacker_models:
  - {type: openai, base_url: %q, model: attacker-sim, retries: 0}
prices:
  - {model: judge-*, prompt: 2, completion: 10}
  - {model: ATTACKER-SIM, prompt: 1, completion: 4}
out: %q
`, jsrv.URL+"/v1", asrv.URL+"/v1", filepath.Join(dir, "out")))
	res, err := Redteam(t.Context(), RedteamRequest{Config: *cfg, ConfigPath: path, Store: filepath.Join(dir, "db.sqlite"), Preflight: -1})
	if err != nil {
		t.Fatal(err)
	}
	var total, judgeUSD, attackUSD float64
	var judgeTok, attackTok int
	attacked := false
	for _, c := range res.Results.Cases {
		j := (2*float64(c.Verdict.Usage.PromptTokens) + 10*float64(c.Verdict.Usage.CompletionTokens)) / 1e6
		a := (1*float64(c.AttackUsage.PromptTokens) + 4*float64(c.AttackUsage.CompletionTokens)) / 1e6
		if c.Verdict.Usage.PromptTokens == 0 {
			t.Errorf("%s: no judge tokens", c.ID)
		}
		if !near(c.CostUSD, j+a) {
			t.Errorf("%s: cost_usd %v, want %v (judge %v + attacker %v)", c.ID, c.CostUSD, j+a, j, a)
		}
		attacked = attacked || c.AttackUsage.PromptTokens > 0
		total += c.CostUSD
		judgeUSD += j
		attackUSD += a
		judgeTok += c.Verdict.Usage.PromptTokens
		attackTok += c.AttackUsage.PromptTokens
	}
	if !attacked {
		t.Fatal("no case used the attacker model")
	}
	sc := res.Results.Summary.Cost
	if sc == nil || !near(sc.TotalUSD, total) || total == 0 {
		t.Fatalf("summary cost %+v, want total %v", sc, total)
	}
	want := map[string]redteam.ModelCost{
		"judge":    {Model: "judge-sim", Role: "judge", PromptTokens: judgeTok, USD: judgeUSD},
		"attacker": {Model: "attacker-sim", Role: "attacker", PromptTokens: attackTok, USD: attackUSD},
	}
	if len(sc.Models) != 2 {
		t.Fatalf("models %+v", sc.Models)
	}
	for _, m := range sc.Models {
		w := want[m.Role]
		if m.Model != w.Model || m.PromptTokens != w.PromptTokens || !near(m.USD, w.USD) {
			t.Errorf("%s: %+v, want %+v", m.Role, m, w)
		}
	}
	var text strings.Builder
	if err := report.WriteSummary(&text, res.Results.Summary); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), fmt.Sprintf("COST  $%.4f", total)) || !strings.Contains(text.String(), "judge judge-sim") {
		t.Errorf("no cost line in the summary:\n%s", text.String())
	}
	written, _ := os.ReadFile(res.Path)
	if !strings.Contains(string(written), `"cost_usd"`) || !strings.Contains(string(written), `"total_usd"`) {
		t.Error("results.json lacks cost_usd or the summary's cost")
	}
	// The costs are stored with the cases: the store renders them again.
	again, err := Report(t.Context(), ReportRequest{Source: res.Run.ID, Store: filepath.Join(dir, "db.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	if c := again.Summary.Cost; c == nil || !near(c.TotalUSD, total) {
		t.Errorf("re-rendered cost %+v, want %v", c, total)
	}
}

// Without a price, a model costs nothing (a local server), but its tokens
// are still summed; a target whose model has a price counts too.
func TestPricerRoles(t *testing.T) {
	cfg, err := ParseConfig([]byte(`target: {type: openai, base_url: "http://x/v1", model: gpt-4o}
judge_models:
  - {type: openai, base_url: "http://localhost:11434/v1", model: llama3}
  - {type: openai, base_url: "http://x/v1", model: priced}
prices: [{model: priced, prompt: 4, completion: 8}]
`), "redoubt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := newPricer(cfg, cfg.Target)
	c := &redteam.Case{Usage: target.Usage{PromptTokens: 1000, CompletionTokens: 100}}
	c.Verdict.Usage = target.Usage{PromptTokens: 2000, CompletionTokens: 200}
	cs := p.costs(c)
	if len(cs) != 2 {
		t.Fatalf("costs %+v", cs)
	}
	// gpt-4o from the embedded table: 2.50 and 10 per million.
	if cs[0].Role != RoleTarget || cs[0].Model != "gpt-4o" || !near(cs[0].USD, (1000*2.5+100*10)/1e6) {
		t.Errorf("target %+v", cs[0])
	}
	// Two judges: the mean of 0 and (4, 8).
	if cs[1].Model != "llama3+priced" || !near(cs[1].USD, (2000*2+200*4)/1e6) {
		t.Errorf("judge %+v", cs[1])
	}
	if got := p.costs(&redteam.Case{}); got != nil {
		t.Errorf("no tokens: %+v", got)
	}
}

// budgetRun plays the judged run of cfgText with a budget, and returns
// its result and error.
func budgetRun(t *testing.T, dir, cfgText string, b Budget, resume string) (*RedteamResult, error) {
	t.Helper()
	cfg, path := writeConfig(t, dir, cfgText)
	return Redteam(t.Context(), RedteamRequest{Config: *cfg, ConfigPath: path, Resume: resume, Store: filepath.Join(dir, "db.sqlite"), Preflight: -1, Budget: b})
}

// A budget stops the run cleanly: interrupted, with what was done kept,
// and a resume (with a fresh budget) plays the rest to the end.
func TestBudgetsStopAndResume(t *testing.T) {
	for _, tt := range []struct {
		name   string
		budget Budget
		delay  time.Duration
	}{
		{"calls", Budget{MaxCalls: 3}, 0},
		// Each judge call costs (300*2 + 20*10)/1e6 = $0.0008.
		{"cost", Budget{MaxCostUSD: 0.002}, 0},
		{"time", Budget{Time: 50 * time.Millisecond}, 25 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := judgeServer(t, func(string) string { time.Sleep(tt.delay); return "pass" }, nil)
			dir := t.TempDir()
			text := fmt.Sprintf(`target: {type: demo}
vulnerabilities: [misinformation]
attacks: [baseline, roleplay]
concurrency: 1
judge_models:
  - {type: openai, base_url: %q, model: judge-sim, retries: 0}
prices: [{model: judge-sim, prompt: 2, completion: 10}]
out: %q
`, srv.URL+"/v1", filepath.Join(dir, "out"))
			res, err := budgetRun(t, dir, text, tt.budget, "")
			var be *BudgetError
			if !errors.As(err, &be) || be.Budget != tt.name || !errors.Is(err, ErrInterrupted) {
				t.Fatalf("err %v, want the %s budget, an interruption", err, tt.name)
			}
			if res == nil || res.Run.Status != redteam.StatusInterrupted {
				t.Fatalf("result %+v", res)
			}
			done := 0
			for _, c := range res.Results.Cases {
				if c.Verdict.Outcome != judge.Error {
					done++
				}
			}
			if done >= res.Run.Planned {
				t.Fatalf("%d of %d probes done: the budget did not stop the run", done, res.Run.Planned)
			}
			switch tt.name {
			case "calls":
				if calls.Load() > 3 {
					t.Errorf("%d judge calls sent with a budget of 3", calls.Load())
				}
			case "cost":
				if calls.Load() > 3 || res.Results.Summary.Cost == nil {
					t.Errorf("%d judge calls for $0.002 at $0.0008 each; cost %+v", calls.Load(), res.Results.Summary.Cost)
				}
			}
			// The same budget again: a fresh one, so the run goes on.
			if tt.name == "calls" {
				before := calls.Load()
				res2, err := budgetRun(t, dir, text, tt.budget, res.Run.ID)
				if !errors.As(err, &be) || len(res2.Results.Cases) <= done || calls.Load()-before > 3 {
					t.Fatalf("second session: err %v, %d cases (had %d done), %d new calls", err, len(res2.Results.Cases), done, calls.Load()-before)
				}
			}
			res, err = budgetRun(t, dir, text, Budget{}, res.Run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if res.Run.Status != redteam.StatusFinished || len(res.Results.Cases) != res.Run.Planned || res.Results.Summary.Overall.Errored != 0 {
				t.Errorf("resumed: %s, %d of %d cases, %d errored", res.Run.Status, len(res.Results.Cases), res.Run.Planned, res.Results.Summary.Overall.Errored)
			}
		})
	}
}
