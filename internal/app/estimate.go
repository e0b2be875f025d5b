package app

import (
	"slices"

	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/attack"
	"github.com/redoubt-sec/redoubt/target"
)

// Tokens a dry run assumes per model call: rough averages, for an order of
// magnitude, not a quote. An attacker call carries its instructions, the
// goal and the conversation so far; a judge call its instructions, the
// rubric and the transcript.
const (
	EstAttackerPromptTokens     = 1500
	EstAttackerCompletionTokens = 200
	EstJudgePromptTokens        = 1500
	EstJudgeCompletionTokens    = 100
)

// Estimate is what a dry run expects a plan to cost in model calls.
type Estimate struct {
	Probes int
	// Models are the attacker and judge models, in configuration order.
	Models []ModelEstimate
	// TotalUSD adds the models' USD, except a fallback attacker's.
	TotalUSD float64
}

// ModelEstimate is one model's expected calls, tokens and cost: for an
// attacker model an upper bound (every move at its turn cap, each asked
// twice), for a judge model one call per judged conversation.
type ModelEstimate struct {
	// Role is attacker, judge, or "attacker fallback" (asked only when
	// the attacker fails; left out of Estimate.TotalUSD).
	Role, Model                    string
	Calls                          int
	PromptTokens, CompletionTokens int
	USD                            float64
	// Priced says the price table has the model (else USD is 0).
	Priced bool
}

// attackerMoves is how many messages an attacker model writes for one
// probe of a model-driven attack, at most, and judged is how many
// conversations of it are judged, at most. A single-message attack (the
// enhancements) writes one and is judged once.
func attackerMoves(id string) (moves, judged int) {
	switch id {
	case "linear_jailbreak":
		return attack.DefaultLinearTurns, 1
	case "crescendo":
		return attack.DefaultCrescendoTurns + attack.DefaultCrescendoBacktracks, 1 + attack.DefaultCrescendoBacktracks
	case "likert":
		return 2 * attack.LikertTurns, 1
	case "goat":
		// Each turn's answer may be asked for again (a technique
		// missing, or the refused one repeated).
		return 2 * attack.DefaultGOATTurns, 1
	case "pair":
		return attack.DefaultPAIRIterations, attack.DefaultPAIRIterations
	case "tap":
		return attack.DefaultTAPDepth * attack.DefaultTAPWidth * attack.DefaultTAPBranching, attack.DefaultTAPBudget
	}
	return 1, 1
}

// EstimateCost returns what playing probes would call of the attacker and
// judge models of cfg, and cost at its price table.
func EstimateCost(cfg Config, probes []redteam.Probe) Estimate {
	est := Estimate{Probes: len(probes)}
	modelAttacks := attack.ModelIDs()
	var moves, judged int
	for _, p := range probes {
		m, j := 0, 1
		if slices.Contains(modelAttacks, p.Attack) {
			m, j = attackerMoves(p.Attack)
		}
		moves += m
		if p.Rubric != "" {
			judged += j
		}
	}
	tab := cfg.PriceTable()
	add := func(role string, mc target.Config, calls, prompt, completion int, total bool) {
		name := modelName(mc)
		price, ok := tab.Lookup(name)
		u := target.Usage{PromptTokens: calls * prompt, CompletionTokens: calls * completion}
		e := ModelEstimate{Role: role, Model: name, Calls: calls, PromptTokens: u.PromptTokens,
			CompletionTokens: u.CompletionTokens, USD: price.Cost(u), Priced: ok}
		if e.Model == "" {
			e.Model = mc.Type
		}
		est.Models = append(est.Models, e)
		if total {
			est.TotalUSD += e.USD
		}
	}
	for i, mc := range cfg.AttackerModels {
		role := RoleAttacker
		if i > 0 {
			role = "attacker fallback"
		}
		// Each message may be asked twice (again, with firmer
		// instructions, after a refusal).
		add(role, mc, 2*moves, EstAttackerPromptTokens, EstAttackerCompletionTokens, i == 0)
	}
	for _, mc := range cfg.JudgeModels {
		add(RoleJudge, mc, judged, EstJudgePromptTokens, EstJudgeCompletionTokens, true)
	}
	return est
}
