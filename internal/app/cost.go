package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt-sec/redoubt/internal/pricing"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/target"
)

// Budget bounds one session of a run (a resume gets a fresh one). Zero
// fields set no limit.
type Budget struct {
	// MaxCostUSD stops the run once its models have cost this much: the
	// attacker and judge models' calls as they return, the target's tokens
	// (when its model has a price) as probes finish.
	MaxCostUSD float64
	// MaxCalls stops the run once attacker and judge models have been
	// called this many times (answers from the model cache are free and
	// not counted); no call past it is sent.
	MaxCalls int
	// Time stops the run once it has played this long.
	Time time.Duration
}

// BudgetError is the cause of a run stopped by its Budget. It wraps
// ErrInterrupted: the run is interrupted, and a resume continues it.
type BudgetError struct {
	// Budget is "cost", "calls" or "time"; Limit the budget as given.
	Budget, Limit string
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("the %s budget (%s) is spent", e.Budget, e.Limit)
}

// Unwrap makes a budget stop an interruption.
func (e *BudgetError) Unwrap() error { return ErrInterrupted }

// Flag returns the command-line flag that sets the budget.
func (e *BudgetError) Flag() string {
	switch e.Budget {
	case "cost":
		return "--max-cost"
	case "calls":
		return "--max-calls"
	}
	return "--time-budget"
}

// Roles of the models whose tokens are priced.
const (
	RoleAttacker = "attacker"
	RoleJudge    = "judge"
	RoleTarget   = "target"
)

// modelName is the configured model name of a target configuration (its
// `model` setting), or "" when it has none (http, exec, demo).
func modelName(c target.Config) string {
	if c.Settings == nil {
		return ""
	}
	b, err := json.Marshal(c.Settings)
	if err != nil {
		return ""
	}
	var m struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(b, &m)
	return m.Model
}

// priced is a role's model and its price.
type priced struct {
	model string
	price pricing.Price
}

// pricer prices a case's tokens per role. Attacker tokens are priced at
// the first attacker model's price (a fallback's tokens are counted with
// it); judge tokens, the sum over the judge models of an ensemble, at the
// mean of their prices, under their names joined with "+". The target's
// tokens are priced only when its model has a price in the table.
type pricer struct {
	attacker, judge, target *priced
}

func newPricer(c *Config, tgt target.Config) *pricer {
	tab := c.PriceTable()
	p := &pricer{}
	if len(c.AttackerModels) > 0 {
		name := modelName(c.AttackerModels[0])
		pr, _ := tab.Lookup(name)
		p.attacker = &priced{model: name, price: pr}
	}
	if len(c.JudgeModels) > 0 {
		var names []string
		var sum pricing.Price
		for _, m := range c.JudgeModels {
			name := modelName(m)
			names = append(names, name)
			pr, _ := tab.Lookup(name)
			sum.Prompt += pr.Prompt
			sum.Completion += pr.Completion
		}
		n := float64(len(names))
		p.judge = &priced{model: strings.Join(names, "+"), price: pricing.Price{Prompt: sum.Prompt / n, Completion: sum.Completion / n}}
	}
	if name := modelName(tgt); name != "" {
		if pr, ok := tab.Lookup(name); ok {
			p.target = &priced{model: name, price: pr}
		}
	}
	return p
}

// costs returns the case's costs per role that spent tokens.
func (p *pricer) costs(c *redteam.Case) []redteam.ModelCost {
	var out []redteam.ModelCost
	add := func(role string, m *priced, u target.Usage) {
		if m == nil || u.PromptTokens+u.CompletionTokens == 0 {
			return
		}
		out = append(out, redteam.ModelCost{Model: m.model, Role: role, PromptTokens: u.PromptTokens,
			CompletionTokens: u.CompletionTokens, USD: m.price.Cost(u)})
	}
	add(RoleTarget, p.target, c.Usage)
	add(RoleAttacker, p.attacker, c.AttackUsage)
	add(RoleJudge, p.judge, c.Verdict.Usage)
	return out
}

// costHandler puts each finished case's costs on it before the handlers
// after it (the store, the log, the results) see it, and tells the meter
// what the target's tokens cost.
type costHandler struct {
	next  redteam.Handler
	p     *pricer
	meter *meter
}

func (h *costHandler) Handle(ev redteam.Event) error {
	if c := ev.Case; c != nil && (ev.Type == redteam.EventVerdict || ev.Type == redteam.EventProbeErrored) {
		if cs := h.p.costs(c); len(cs) > 0 {
			c.Costs = cs
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			ev.CaseJSON = b
			for _, m := range cs {
				if m.Role == RoleTarget {
					h.meter.spend(m.USD)
				}
			}
		}
	}
	return h.next.Handle(ev)
}

// Flush implements redteam.Flusher.
func (h *costHandler) Flush() error {
	if f, ok := h.next.(redteam.Flusher); ok {
		return f.Flush()
	}
	return nil
}

// meter counts the attacker and judge models' calls and what they and
// the target cost, and stops the run when a budget is spent.
type meter struct {
	b     Budget
	calls atomic.Int64
	mu    sync.Mutex
	usd   float64
	// stop stops the run with its cause; set before the run plays.
	stop func(error)
	once sync.Once
}

// trip stops the run, once.
func (m *meter) trip(err *BudgetError) {
	m.once.Do(func() {
		if m.stop != nil {
			m.stop(err)
		}
	})
}

// spend adds usd to what the run cost, and stops it past the cost budget.
func (m *meter) spend(usd float64) {
	if m == nil || usd == 0 {
		return
	}
	m.mu.Lock()
	m.usd += usd
	over := m.b.MaxCostUSD > 0 && m.usd >= m.b.MaxCostUSD
	m.mu.Unlock()
	if over {
		m.trip(&BudgetError{Budget: "cost", Limit: fmt.Sprintf("$%g", m.b.MaxCostUSD)})
	}
}

// wrap meters a model: each call sent counts, and its tokens are priced
// at price. It goes under the model cache, so a cached answer is free.
func (m *meter) wrap(t target.Target, price pricing.Price) target.Target {
	return &metered{Target: t, m: m, price: price}
}

type metered struct {
	target.Target
	m     *meter
	price pricing.Price
}

var errCallBudget = errors.New("not sent: the run's model call budget is spent")

func (t *metered) Send(ctx context.Context, conv target.Conversation) (target.Reply, error) {
	m := t.m
	n := m.calls.Add(1)
	limit := &BudgetError{Budget: "calls", Limit: fmt.Sprint(m.b.MaxCalls)}
	if m.b.MaxCalls > 0 && n > int64(m.b.MaxCalls) {
		m.trip(limit)
		return target.Reply{}, errCallBudget
	}
	r, err := t.Target.Send(ctx, conv)
	m.spend(t.price.Cost(r.Usage))
	if m.b.MaxCalls > 0 && n == int64(m.b.MaxCalls) {
		m.trip(limit)
	}
	return r, err
}
