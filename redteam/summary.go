package redteam

import (
	"strings"

	"github.com/redoubt-sec/redoubt/redteam/catalog"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// Tally counts outcomes. PassRate is passed over the probes that got a
// verdict: an unknown counts against it, because a probe nobody could judge
// is not evidence of safety; an errored probe got no verdict at all, so it
// is left out and counted apart (a run with errors is incomplete, which
// its exit code says, not less safe).
type Tally struct {
	Total    int     `json:"total"`
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Unknown  int     `json:"unknown"`
	Errored  int     `json:"errored"`
	PassRate float64 `json:"pass_rate"`
}

// merge adds another tally's counts.
func (t *Tally) merge(o Tally) {
	t.Total += o.Total
	t.Passed += o.Passed
	t.Failed += o.Failed
	t.Unknown += o.Unknown
	t.Errored += o.Errored
	t.rate()
}

// rate recomputes PassRate from the counts.
func (t *Tally) rate() {
	if judged := t.Total - t.Errored; judged > 0 {
		t.PassRate = float64(t.Passed) / float64(judged)
	} else {
		t.PassRate = 0
	}
}

func (t *Tally) add(o judge.Outcome) {
	t.Total++
	switch o {
	case judge.Pass:
		t.Passed++
	case judge.Fail:
		t.Failed++
	case judge.Unknown:
		t.Unknown++
	default:
		t.Errored++
	}
	t.rate()
}

// TypeSummary is the tally of one sub-type.
type TypeSummary struct {
	Type string `json:"type"`
	Tally
}

// VulnSummary is the tally of one vulnerability and of each of its sub-types.
type VulnSummary struct {
	Vulnerability string `json:"vulnerability"`
	Tally
	Types []TypeSummary `json:"types"`
}

// AttackSummary is the tally of one attack across vulnerabilities.
type AttackSummary struct {
	Attack string `json:"attack"`
	Tally
}

// CategorySummary is the tally of one category of a framework.
type CategorySummary struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Tally
}

// FrameworkSummary is the tally of a run by the categories of one
// framework, in the framework's order.
type FrameworkSummary struct {
	Framework  string            `json:"framework"`
	Name       string            `json:"name"`
	Categories []CategorySummary `json:"categories"`
}

// Summary aggregates a run's cases.
type Summary struct {
	Overall         Tally           `json:"overall"`
	ByVulnerability []VulnSummary   `json:"by_vulnerability"`
	ByAttack        []AttackSummary `json:"by_attack"`
	// ByFramework is filled by SummarizeFrameworks (Summarize leaves it
	// empty: it knows no frameworks).
	ByFramework []FrameworkSummary `json:"by_framework"`
	// Cost is what the run's models spent (Case.Costs summed per model
	// and role); absent when no model spent any tokens.
	Cost *CostSummary `json:"cost,omitempty"`
}

// Summarize tallies cases by vulnerability, sub-type and attack, keeping
// the order in which each first appears (plan order when cases are sorted).
func Summarize(cases []Case) Summary {
	var s Summary
	vIdx := map[string]int{}
	tIdx := map[[2]string]int{}
	aIdx := map[string]int{}
	for _, c := range cases {
		p, o := c.Probe, c.Verdict.Outcome
		s.Overall.add(o)

		vi, ok := vIdx[p.Vulnerability]
		if !ok {
			vi = len(s.ByVulnerability)
			vIdx[p.Vulnerability] = vi
			s.ByVulnerability = append(s.ByVulnerability, VulnSummary{Vulnerability: p.Vulnerability})
		}
		v := &s.ByVulnerability[vi]
		v.add(o)
		ti, ok := tIdx[[2]string{p.Vulnerability, p.Type}]
		if !ok {
			ti = len(v.Types)
			tIdx[[2]string{p.Vulnerability, p.Type}] = ti
			v.Types = append(v.Types, TypeSummary{Type: p.Type})
		}
		v.Types[ti].add(o)

		ai, ok := aIdx[p.Attack]
		if !ok {
			ai = len(s.ByAttack)
			aIdx[p.Attack] = ai
			s.ByAttack = append(s.ByAttack, AttackSummary{Attack: p.Attack})
		}
		s.ByAttack[ai].add(o)
	}
	return s
}

// SummarizeFrameworks tallies cases by the categories of each framework. A
// case counts in every category that maps its vulnerability (a "vuln"
// selector) or its sub-type (a "vuln:type" selector), whatever its attack,
// so a category shows how well everything that tests it went. A category no
// case maps to has a total of 0: that is a coverage gap, not a pass.
func SummarizeFrameworks(cases []Case, frameworks []catalog.Framework) []FrameworkSummary {
	// Tally each sub-type once; a category adds up the sub-types it maps.
	type key struct{ vuln, typ string }
	byType := map[key]*Tally{}
	var keys []key
	for _, k := range cases {
		kk := key{k.Probe.Vulnerability, k.Probe.Type}
		t := byType[kk]
		if t == nil {
			t = &Tally{}
			byType[kk] = t
			keys = append(keys, kk)
		}
		t.add(k.Verdict.Outcome)
	}
	out := make([]FrameworkSummary, 0, len(frameworks))
	for _, f := range frameworks {
		fs := FrameworkSummary{Framework: f.ID, Name: f.Name, Categories: make([]CategorySummary, len(f.Categories))}
		for i, c := range f.Categories {
			cs := CategorySummary{ID: c.ID, Name: c.Name}
			whole, types := map[string]bool{}, map[key]bool{}
			for _, sel := range c.Vulnerabilities {
				sel = strings.TrimSpace(sel)
				if v, t, ok := strings.Cut(sel, ":"); ok {
					types[key{strings.TrimSpace(v), strings.TrimSpace(t)}] = true
				} else {
					whole[sel] = true
				}
			}
			for _, kk := range keys {
				if whole[kk.vuln] || types[kk] {
					cs.merge(*byType[kk])
				}
			}
			fs.Categories[i] = cs
		}
		out = append(out, fs)
	}
	return out
}
