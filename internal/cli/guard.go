package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/guard"
	"github.com/redoubt-sec/redoubt/internal/app"
)

type guardFlags struct {
	jsonl     bool
	direction string
	scanners  []string
	policy    string
	prompt    string
}

func newGuardCmd(e *env) *cobra.Command {
	var f guardFlags
	cmd := &cobra.Command{
		Use:   "guard [TEXT]",
		Short: "Check prompts or replies with the guard's scanners",
		Long: `guard checks text with the scanners of a policy (the built-in default, or
--policy FILE): prompt injection, PII, secrets, toxicity, hidden text, exfiltration
links and more (docs/guard.md).

For a human: redoubt guard "some text" (or the text on stdin) prints the decision.

For scripts, --jsonl reads JSON lines {"id"?, "text", "prompt"?} on stdin and writes,
in the same order, one line per input:
  {"id", "flagged", "action", "scores": {"scanner": 0..1},
   "findings": [{"scanner", "type", "start", "end", "score"}], "redacted"?}
Offsets are byte offsets into text. A line that is not valid JSON gets
{"line": N, "error": "..."} and the run goes on; the exit code is then 3.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, dir, err := buildGuard(f)
			if err != nil {
				return usageErr(err)
			}
			if f.jsonl {
				if len(args) > 0 {
					return usagef("--jsonl reads stdin; do not also give a text argument")
				}
				bad, err := app.GuardLines(g, dir, e.stdin, e.stdout)
				if err != nil {
					return &exitError{code: ExitFailure, err: err}
				}
				if bad > 0 {
					return &exitError{code: ExitFailure, err: fmt.Errorf("%d input line(s) could not be checked (see their \"error\" fields)", bad)}
				}
				return nil
			}
			text := ""
			if len(args) == 1 {
				text = args[0]
			} else {
				b, err := io.ReadAll(e.stdin)
				if err != nil {
					return &exitError{code: ExitFailure, err: fmt.Errorf("reading stdin: %w", err)}
				}
				text = string(b)
			}
			return guardHuman(e, g, dir, f.prompt, text)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.jsonl, "jsonl", false, "read JSON lines on stdin, write one JSON line per input")
	fl.StringVar(&f.direction, "direction", "input", "input (prompts) or output (replies)")
	fl.StringSliceVar(&f.scanners, "scanners", nil, "run only these scanners: "+strings.Join(guard.ScannerNames(), ", "))
	fl.StringVar(&f.policy, "policy", "", "policy file (YAML); default: the built-in policy")
	fl.StringVar(&f.prompt, "prompt", "", "with --direction output: the prompt the reply answers")
	return cmd
}

func buildGuard(f guardFlags) (*guard.Guard, guard.Direction, error) {
	dir := guard.Direction(f.direction)
	if dir != guard.Input && dir != guard.Output {
		return nil, "", fmt.Errorf("--direction must be input or output, got %q", f.direction)
	}
	p := guard.DefaultPolicy()
	if f.policy != "" {
		var err error
		if p, err = guard.LoadPolicy(f.policy); err != nil {
			return nil, "", err
		}
	}
	g, err := guard.New(p)
	if err != nil {
		return nil, "", err
	}
	if len(f.scanners) > 0 {
		if g, err = g.With(dir, f.scanners); err != nil {
			return nil, "", err
		}
	}
	return g, dir, nil
}

// guardHuman prints a decision for a person.
func guardHuman(e *env, g *guard.Guard, dir guard.Direction, prompt, text string) error {
	d := g.Check(dir, prompt, text)
	w := e.stdout
	fmt.Fprintf(w, "action: %s (flagged: %v)\n", d.Action, d.Flagged)
	fmt.Fprintln(w, "scores:")
	for _, s := range guard.ScannerNames() {
		if v, ok := d.Scores[s]; ok {
			fmt.Fprintf(w, "  %-16s %.2f\n", s, v)
		}
	}
	if len(d.Findings) > 0 {
		fmt.Fprintln(w, "findings:")
		for _, f := range d.Findings {
			fmt.Fprintf(w, "  %-16s %-22s %5d-%-5d %.2f  %q\n", f.Scanner, f.Type, f.Start, f.End, f.Score, excerpt(text, f.Start, f.End))
		}
	}
	if d.Redacted {
		fmt.Fprintf(w, "redacted:\n%s\n", d.Sanitized)
	}
	return nil
}

// excerpt returns text[start:end], shortened for display.
func excerpt(text string, start, end int) string {
	s := text[start:end]
	if len(s) > 60 {
		s = s[:40] + "..." + s[len(s)-12:]
	}
	return strings.ToValidUTF8(s, "?")
}
