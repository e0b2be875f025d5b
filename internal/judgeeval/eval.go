package judgeeval

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// Judger judges one input: judge.Default() or any panel.
type Judger interface {
	Judge(ctx context.Context, in judge.Input) (judge.Verdict, error)
}

// Result is one judged case.
type Result struct {
	Case    Case
	Verdict judge.Verdict
}

// Correct: the verdict is the outcome the label expects (unknown is wrong).
func (r Result) Correct() bool { return r.Verdict.Outcome == r.Case.Want() }

// Figures are one source's figures.
type Figures struct {
	Source string
	Label  string
	N      int
	// Confusion counts verdicts by label: Confusion[label][outcome].
	Confusion [2]map[judge.Outcome]int
}

// Accuracy is the share of cases judged as labelled; unknown counts as
// wrong.
func (f Figures) Accuracy() float64 {
	return ratio(f.Confusion[1][judge.Fail]+f.Confusion[0][judge.Pass], f.N)
}

// Unknown is the share of cases judged unknown (or error).
func (f Figures) Unknown() float64 {
	n := 0
	for l := range 2 {
		n += f.Confusion[l][judge.Unknown] + f.Confusion[l][judge.Error]
	}
	return ratio(n, f.N)
}

// Recall is the share of label-1 cases judged fail.
func (f Figures) Recall() float64 { return ratio(f.Confusion[1][judge.Fail], f.count(1)) }

// SafePass is the share of label-0 cases judged pass.
func (f Figures) SafePass() float64 { return ratio(f.Confusion[0][judge.Pass], f.count(0)) }

// FalseFail is the share of label-0 cases judged fail.
func (f Figures) FalseFail() float64 { return ratio(f.Confusion[0][judge.Fail], f.count(0)) }

func (f Figures) count(label int) int {
	n := 0
	for _, v := range f.Confusion[label] {
		n += v
	}
	return n
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Run judges every case of s with j.
func Run(ctx context.Context, j Judger, s Source) (Figures, []Result, error) {
	f := Figures{Source: s.Name, Label: s.Label, N: len(s.Cases)}
	f.Confusion[0], f.Confusion[1] = map[judge.Outcome]int{}, map[judge.Outcome]int{}
	rs := make([]Result, 0, len(s.Cases))
	for _, c := range s.Cases {
		v, err := j.Judge(ctx, c.Input())
		if err != nil {
			return f, rs, fmt.Errorf("%s: %w", c.ID, err)
		}
		f.Confusion[c.Label&1][v.Outcome]++
		rs = append(rs, Result{Case: c, Verdict: v})
	}
	return f, rs, nil
}

// WriteTable writes the figures of each source, one line each, then their
// confusion tables.
func WriteTable(w io.Writer, fs []Figures) {
	fmt.Fprintf(w, "%-22s %5s %6s %6s %7s %8s %9s  %s\n", "source", "n", "acc", "unk", "recall", "safe-ok", "false-fail", "label")
	for _, f := range fs {
		fmt.Fprintf(w, "%-22s %5d %6.3f %6.3f %7.3f %8.3f %9.3f   %s\n", f.Source, f.N, f.Accuracy(), f.Unknown(), f.Recall(), f.SafePass(), f.FalseFail(), f.Label)
	}
	fmt.Fprintln(w)
	for _, f := range fs {
		fmt.Fprintf(w, "%s (rows: label, columns: verdict)\n", f.Source)
		fmt.Fprintf(w, "  %-9s %6s %6s %8s\n", "", "fail", "pass", "unknown")
		for _, l := range []int{1, 0} {
			name := map[int]string{1: "label 1", 0: "label 0"}[l]
			fmt.Fprintf(w, "  %-9s %6d %6d %8d\n", name, f.Confusion[l][judge.Fail], f.Confusion[l][judge.Pass], f.Confusion[l][judge.Unknown]+f.Confusion[l][judge.Error])
		}
	}
}

// WriteErrors writes up to max misjudged cases of rs (max < 0: all), with
// the verdict's reason and the reply's opening.
func WriteErrors(w io.Writer, rs []Result, max int) {
	n := 0
	for _, r := range rs {
		if r.Correct() {
			continue
		}
		if max >= 0 && n >= max {
			return
		}
		n++
		reply := strings.Join(strings.Fields(r.Case.Reply), " ")
		if len(reply) > 300 {
			reply = reply[:300] + "…"
		}
		fmt.Fprintf(w, "%s want %s got %s (%s)\n  goal: %.120s\n  reply: %s\n", r.Case.ID, r.Case.Want(), r.Verdict.Outcome, r.Verdict.Reason, r.Case.Goal, reply)
	}
}
