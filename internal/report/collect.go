package report

import (
	"cmp"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
)

// Collector gathers a run's finished probes for its results: it is a
// redteam.Handler over the event stream, and takes stored cases with Add.
// It keeps only what results.json shows, not whole cases (replies,
// attempts), so a large run's results cost little memory, and each probe
// once: its verdict, or its last error while it has none.
type Collector struct {
	index   map[string]int
	entries []entry
}

type entry struct {
	seq     int
	errored bool
	res     CaseResult
	// costs are the case's Costs, for the run's summary.
	costs []redteam.ModelCost
}

// Handle implements redteam.Handler.
func (c *Collector) Handle(ev redteam.Event) error {
	if (ev.Type == redteam.EventVerdict || ev.Type == redteam.EventProbeErrored) && ev.Case != nil {
		c.Add(ev.Case)
	}
	return nil
}

// Add records a finished probe. A verdict replaces an earlier error of the
// same probe; an error never replaces a verdict.
func (c *Collector) Add(k *redteam.Case) {
	if c.index == nil {
		c.index = map[string]int{}
	}
	e := entry{seq: k.Probe.Seq, errored: k.Errored(), res: caseResult(k), costs: k.Costs}
	if i, ok := c.index[k.Probe.ID]; ok {
		if !c.entries[i].errored && e.errored {
			return
		}
		c.entries[i] = e
		return
	}
	c.index[k.Probe.ID] = len(c.entries)
	c.entries = append(c.entries, e)
}

// Len returns the number of probes collected.
func (c *Collector) Len() int { return len(c.entries) }

// Results assembles results.json for run, in plan order; summary.by_framework
// tallies the cases by the categories of each of frameworks.
func (c *Collector) Results(run redteam.RunInfo, frameworks ...catalog.Framework) Results {
	es := slices.Clone(c.entries)
	slices.SortFunc(es, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), strings.Compare(a.res.ID, b.res.ID))
	})
	r := Results{Run: run, Cases: make([]CaseResult, len(es))}
	// The summaries need only what each case was and how it ended.
	tally := make([]redteam.Case, len(es))
	for i, e := range es {
		r.Cases[i] = e.res
		tally[i].Probe = redteam.Probe{Vulnerability: e.res.Vulnerability, Type: e.res.Type, Attack: e.res.Attack}
		tally[i].Verdict.Outcome = e.res.Verdict.Outcome
	}
	r.Summary = redteam.Summarize(tally)
	r.Summary.ByFramework = redteam.SummarizeFrameworks(tally, frameworks)
	r.Summary.Cost = sumCosts(es)
	return r
}

// sumCosts adds the cases' costs per model and role, in order of first
// appearance; nil when there are none.
func sumCosts(cases []entry) *redteam.CostSummary {
	var s redteam.CostSummary
	index := map[[2]string]int{}
	for _, c := range cases {
		for _, m := range c.costs {
			k := [2]string{m.Role, m.Model}
			i, ok := index[k]
			if !ok {
				i = len(s.Models)
				index[k] = i
				s.Models = append(s.Models, redteam.ModelCost{Model: m.Model, Role: m.Role})
			}
			t := &s.Models[i]
			t.PromptTokens += m.PromptTokens
			t.CompletionTokens += m.CompletionTokens
			t.USD += m.USD
			s.TotalUSD += m.USD
		}
	}
	if len(s.Models) == 0 {
		return nil
	}
	return &s
}
