package app

import (
	"testing"

	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/attack"
)

// A dry run's estimate: attacker calls at most 2 per message at each
// attack's cap, judge calls one per judged conversation of a probe with a
// rubric per judge model, tokens at the documented averages, cost from the
// table.
func TestEstimateCost(t *testing.T) {
	cfg, err := ParseConfig([]byte(`target: {type: demo}
attacker_models:
  - {type: openai, base_url: "http://x/v1", model: att}
  - {type: openai, base_url: "http://x/v1", model: fallback}
judge_models:
  - {type: openai, base_url: "http://x/v1", model: judge-a}
  - {type: openai, base_url: "http://x/v1", model: judge-b}
prices:
  - {model: att, prompt: 1, completion: 2}
  - {model: judge-a, prompt: 3, completion: 4}
`), "redoubt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	probes := []redteam.Probe{
		{Attack: "baseline", Rubric: "r"},
		{Attack: "baseline"}, // no rubric: no judge model reads it
		{Attack: "linear_jailbreak", Rubric: "r"},
		{Attack: "crescendo", Rubric: "r"},
	}
	est := EstimateCost(*cfg, probes)
	moves := attack.DefaultLinearTurns + attack.DefaultCrescendoTurns + attack.DefaultCrescendoBacktracks
	judged := 1 + 1 + 1 + attack.DefaultCrescendoBacktracks
	if est.Probes != 4 || len(est.Models) != 4 {
		t.Fatalf("estimate %+v", est)
	}
	want := []ModelEstimate{
		{Role: "attacker", Model: "att", Calls: 2 * moves, Priced: true},
		{Role: "attacker fallback", Model: "fallback", Calls: 2 * moves},
		{Role: "judge", Model: "judge-a", Calls: judged, Priced: true},
		{Role: "judge", Model: "judge-b", Calls: judged},
	}
	var total float64
	for i, w := range want {
		g := est.Models[i]
		if g.Role != w.Role || g.Model != w.Model || g.Calls != w.Calls || g.Priced != w.Priced {
			t.Errorf("model %d: %+v, want %+v", i, g, w)
		}
		p, c := EstAttackerPromptTokens, EstAttackerCompletionTokens
		if g.Role == RoleJudge {
			p, c = EstJudgePromptTokens, EstJudgeCompletionTokens
		}
		if g.PromptTokens != g.Calls*p || g.CompletionTokens != g.Calls*c {
			t.Errorf("model %d tokens %d+%d for %d calls", i, g.PromptTokens, g.CompletionTokens, g.Calls)
		}
	}
	att := (float64(2*moves*EstAttackerPromptTokens)*1 + float64(2*moves*EstAttackerCompletionTokens)*2) / 1e6
	jud := (float64(judged*EstJudgePromptTokens)*3 + float64(judged*EstJudgeCompletionTokens)*4) / 1e6
	total = att + jud
	if !near(est.Models[0].USD, att) || !near(est.Models[2].USD, jud) || est.Models[1].USD != 0 || !near(est.TotalUSD, total) {
		t.Errorf("cost %+v, want attacker %v judge %v total %v", est, att, jud, total)
	}
	if e := EstimateCost(Config{}, probes); len(e.Models) != 0 || e.TotalUSD != 0 {
		t.Errorf("no models: %+v", e)
	}
}
