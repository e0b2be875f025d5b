// Package report renders a red-team run: results.json (the contract scripts
// rely on) and the human summary. Every renderer reads the run's cases, which
// come from the event stream or the store, so a saved run can be rendered
// again later.
package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// Results is the content of results.json.
type Results struct {
	Run     redteam.RunInfo `json:"run"`
	Summary redteam.Summary `json:"summary"`
	Cases   []CaseResult    `json:"cases"`
}

// CaseResult is one probe in results.json.
type CaseResult struct {
	ID            string           `json:"id"`
	Vulnerability string           `json:"vulnerability"`
	Type          string           `json:"type"`
	Attack        string           `json:"attack"`
	Severity      finding.Severity `json:"severity,omitzero"`
	Goal          string           `json:"goal"`
	Turns         []target.Message `json:"turns"`
	Verdict       judge.Verdict    `json:"verdict"`
	Usage         target.Usage     `json:"usage"`
	// Attempts are every conversation of a strategy that tried several
	// (a backtracking one), each with its verdict; absent otherwise.
	Attempts []redteam.Attempt `json:"attempts,omitempty"`
	// AttackUsage counts the attacker models' tokens.
	AttackUsage target.Usage `json:"attack_usage,omitzero"`
	// CostUSD is the case's price: its Costs summed; absent when zero.
	CostUSD float64 `json:"cost_usd,omitempty"`
}

// Build assembles results from a run and its cases (in any order; they
// are sorted into plan order). summary.by_framework tallies the cases by
// the categories of each of frameworks (an empty list when none are given).
func Build(run redteam.RunInfo, cases []redteam.Case, frameworks ...catalog.Framework) Results {
	var c Collector
	for i := range cases {
		c.Add(&cases[i])
	}
	return c.Results(run, frameworks...)
}

// caseResult is what results.json shows of a finished probe.
func caseResult(c *redteam.Case) CaseResult {
	turns := c.Turns
	if turns == nil {
		turns = []target.Message{}
	}
	return CaseResult{
		ID:            c.Probe.ID,
		Vulnerability: c.Probe.Vulnerability,
		Type:          c.Probe.Type,
		Attack:        c.Probe.Attack,
		Severity:      c.Probe.Severity,
		Goal:          c.Probe.Goal,
		Turns:         turns,
		Verdict:       c.Verdict,
		Usage:         c.Usage,
		Attempts:      c.Attempts,
		AttackUsage:   c.AttackUsage,
		CostUSD:       totalUSD(c.Costs),
	}
}

// WriteJSON writes results as indented JSON.
//
// The run and the summary are indented for reading; each case is one line,
// so a large run stays quick to write and a diff of two runs shows whole
// cases. The document is the same JSON either way.
func WriteJSON(w io.Writer, r Results) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	part := func(key string, v any) error {
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "  %q: ", key)
		bw.Write(b)
		bw.WriteString(",\n")
		return nil
	}
	bw.WriteString("{\n")
	if err := part("run", r.Run); err != nil {
		return err
	}
	if err := part("summary", r.Summary); err != nil {
		return err
	}
	bw.WriteString(`  "cases": [`)
	// Cases are encoded a chunk at a time on every CPU, and written in
	// order: a large run's results are written when it ends, with nothing
	// else to do.
	const chunk = 512
	enc := make([][]byte, min(chunk, len(r.Cases)))
	for lo := 0; lo < len(r.Cases); lo += chunk {
		n := min(chunk, len(r.Cases)-lo)
		errs := make([]error, n)
		workers := min(runtime.GOMAXPROCS(0), max(n/64, 1))
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < n; i += workers {
					enc[i], errs[i] = json.Marshal(r.Cases[lo+i])
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		for i, b := range enc[:n] {
			if lo+i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n    ")
			bw.Write(b)
		}
	}
	if len(r.Cases) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// WriteFile writes results.json into dir atomically (a temporary file renamed
// into place), so a reader never sees half a file.
func WriteFile(dir string, r Results) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating output directory: %w", err)
	}
	path := filepath.Join(dir, "results.json")
	tmp, err := os.CreateTemp(dir, ".results-*.json")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := WriteJSON(tmp, r); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// totalUSD sums the costs' prices.
func totalUSD(cs []redteam.ModelCost) float64 {
	var t float64
	for _, c := range cs {
		t += c.USD
	}
	return t
}
