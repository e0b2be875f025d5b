package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/redoubt-sec/redoubt/redteam"
)

// WriteSummary prints the per-vulnerability (with sub-types) and per-attack
// tables for a human, then one table per framework in s.ByFramework: names
// left-aligned, counts right-aligned.
func WriteSummary(w io.Writer, s redteam.Summary) error {
	width := len("VULNERABILITY / TYPE")
	for _, v := range s.ByVulnerability {
		width = max(width, len(v.Vulnerability))
		for _, t := range v.Types {
			width = max(width, len(t.Type)+2)
		}
	}
	for _, a := range s.ByAttack {
		width = max(width, len(a.Attack))
	}
	var b strings.Builder
	header := func(first string) {
		fmt.Fprintf(&b, "%-*s  %6s  %6s  %6s  %7s  %7s  %9s\n", width, first, "PROBES", "PASSED", "FAILED", "UNKNOWN", "ERRORED", "PASS RATE")
	}
	row := func(name string, t redteam.Tally) {
		fmt.Fprintf(&b, "%-*s  %6d  %6d  %6d  %7d  %7d  %9s\n", width, name, t.Total, t.Passed, t.Failed, t.Unknown, t.Errored, rate(t))
	}
	header("VULNERABILITY / TYPE")
	for _, v := range s.ByVulnerability {
		row(v.Vulnerability, v.Tally)
		for _, t := range v.Types {
			row("  "+t.Type, t.Tally)
		}
	}
	b.WriteString("\n")
	header("ATTACK")
	for _, a := range s.ByAttack {
		row(a.Attack, a.Tally)
	}
	for _, f := range s.ByFramework {
		b.WriteString("\n")
		writeFramework(&b, f)
	}
	b.WriteString("\n")
	row("TOTAL", s.Overall)
	if c := s.Cost; c != nil && c.TotalUSD > 0 {
		fmt.Fprintf(&b, "\nCOST  $%.4f", c.TotalUSD)
		var parts []string
		for _, m := range c.Models {
			if m.USD > 0 {
				parts = append(parts, fmt.Sprintf("%s %s $%.4f (%d+%d tokens)", m.Role, m.Model, m.USD, m.PromptTokens, m.CompletionTokens))
			}
		}
		fmt.Fprintf(&b, ": %s\n", strings.Join(parts, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFramework prints one framework's categories, headed by its name. A
// category that no probe tested shows "-" for its pass rate.
func writeFramework(b *strings.Builder, f redteam.FrameworkSummary) {
	label := func(c redteam.CategorySummary) string {
		if c.Name == "" {
			return c.ID
		}
		return c.ID + " " + c.Name
	}
	first := strings.ToUpper(f.Framework)
	width := len(first)
	for _, c := range f.Categories {
		width = max(width, len(label(c)))
	}
	if f.Name != "" {
		fmt.Fprintf(b, "%s\n", f.Name)
	}
	fmt.Fprintf(b, "%-*s  %6s  %6s  %6s  %7s  %7s  %9s\n", width, first, "PROBES", "PASSED", "FAILED", "UNKNOWN", "ERRORED", "PASS RATE")
	for _, c := range f.Categories {
		t := c.Tally
		fmt.Fprintf(b, "%-*s  %6d  %6d  %6d  %7d  %7d  %9s\n", width, label(c), t.Total, t.Passed, t.Failed, t.Unknown, t.Errored, rate(t))
	}
}

func rate(t redteam.Tally) string {
	if t.Total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*t.PassRate)
}
