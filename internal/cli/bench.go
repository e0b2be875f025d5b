package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/guard"
)

func newBenchCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure detectors on labelled data"}
	var (
		f    guardFlags
		data string
	)
	det := &cobra.Command{
		Use:   "detectors --data FILE.jsonl",
		Short: "Print TPR, FPR, precision, F1 and latency per scanner and per group",
		Long: `bench detectors runs each scanner of a policy (default: the built-in one, in
--direction input) over labelled JSON lines {"text", "label", "group"?} and prints,
per scanner and per group, the true-positive rate, false-positive rate, precision
and F1 at the rule's threshold, and the scanner's latency percentiles.

A label is positive when it is true, 1, or any string other than "benign",
"safe", "negative", "clean", "0" or "false".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if data == "" {
				return usagef("--data FILE.jsonl is required")
			}
			g, dir, err := buildGuard(f)
			if err != nil {
				return usageErr(err)
			}
			rows, err := readLabelled(data)
			if err != nil {
				return usageErr(err)
			}
			return benchDetectors(e, g.Scanners(dir), rows)
		},
	}
	det.Flags().StringVar(&data, "data", "", "labelled JSON lines")
	det.Flags().StringVar(&f.direction, "direction", "input", "which side of the policy to measure")
	det.Flags().StringSliceVar(&f.scanners, "scanners", nil, "measure only these scanners")
	det.Flags().StringVar(&f.policy, "policy", "", "policy file (YAML)")
	cmd.AddCommand(det)
	return cmd
}

type labelled struct {
	Text  string
	Pos   bool
	Group string
}

// readLabelled reads {"text", "label", "group"} lines; errors name the line.
func readLabelled(path string) ([]labelled, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var rows []labelled
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r struct {
			Text  *string         `json:"text"`
			Label json.RawMessage `json:"label"`
			Group string          `json:"group"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if r.Text == nil || r.Label == nil {
			return nil, fmt.Errorf(`%s:%d: each line needs "text" and "label"`, path, n)
		}
		rows = append(rows, labelled{Text: *r.Text, Pos: positive(r.Label), Group: r.Group})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no labelled lines", path)
	}
	return rows, nil
}

func positive(raw json.RawMessage) bool {
	var v any
	_ = json.Unmarshal(raw, &v)
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		switch strings.ToLower(x) {
		case "benign", "safe", "negative", "clean", "0", "false", "":
			return false
		}
		return true
	}
	return false
}

// confusion counts outcomes at a threshold.
type confusion struct{ tp, fp, tn, fn int }

func (c *confusion) add(pos, flagged bool) {
	switch {
	case pos && flagged:
		c.tp++
	case pos:
		c.fn++
	case flagged:
		c.fp++
	default:
		c.tn++
	}
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}

func (c confusion) row(name string) string {
	f1 := "-"
	if d := 2*c.tp + c.fp + c.fn; d > 0 {
		f1 = fmt.Sprintf("%.3f", float64(2*c.tp)/float64(d))
	}
	return fmt.Sprintf("%-28s %6d %6d %7s %7s %9s %7s", name, c.tp+c.fn, c.fp+c.tn,
		ratio(c.tp, c.tp+c.fn), ratio(c.fp, c.fp+c.tn), ratio(c.tp, c.tp+c.fp), f1)
}

func benchDetectors(e *env, scanners []guard.Scanner, rows []labelled) error {
	w := e.stdout
	fmt.Fprintf(w, "%d texts (%d positive)\n\n", len(rows), countPos(rows))
	fmt.Fprintf(w, "%-28s %6s %6s %7s %7s %9s %7s\n", "SCANNER / GROUP", "POS", "NEG", "TPR", "FPR", "PRECISION", "F1")
	lat := make(map[string][]time.Duration, len(scanners))
	for _, s := range scanners {
		name := s.Rule.Scanner
		threshold := guard.DefaultThreshold
		if s.Rule.Threshold != nil {
			threshold = *s.Rule.Threshold
		}
		var all confusion
		groups := map[string]*confusion{}
		for _, r := range rows {
			t := time.Now()
			fs := s.Scan(r.Text)
			lat[name] = append(lat[name], time.Since(t))
			flagged := false
			for _, f := range fs {
				if len(s.Rule.Types) > 0 && !slices.Contains(s.Rule.Types, f.Type) {
					continue
				}
				flagged = flagged || f.Score >= threshold
			}
			all.add(r.Pos, flagged)
			if r.Group != "" {
				if groups[r.Group] == nil {
					groups[r.Group] = &confusion{}
				}
				groups[r.Group].add(r.Pos, flagged)
			}
		}
		fmt.Fprintln(w, all.row(name))
		for _, gname := range slices.Sorted(maps.Keys(groups)) {
			fmt.Fprintln(w, groups[gname].row("  "+gname))
		}
	}
	fmt.Fprintf(w, "\n%-28s %9s %9s %9s %9s\n", "LATENCY (µs)", "p50", "p90", "p99", "max")
	for _, s := range scanners {
		d := lat[s.Rule.Scanner]
		slices.Sort(d)
		p := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Nanoseconds()) / 1e3 }
		fmt.Fprintf(w, "%-28s %9.1f %9.1f %9.1f %9.1f\n", s.Rule.Scanner, p(0.5), p(0.9), p(0.99), p(1))
	}
	return nil
}

func countPos(rows []labelled) int {
	n := 0
	for _, r := range rows {
		if r.Pos {
			n++
		}
	}
	return n
}
