package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/internal/app"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

type judgeFlags struct {
	check   string
	config  string
	context string
	conc    int
	out     string
}

func newJudgeCmd(e *env) *cobra.Command {
	var f judgeFlags
	cmd := &cobra.Command{
		Use:   "judge [FILE|-]",
		Short: "Judge existing transcripts (JSON lines) with the red-team judges",
		Long: `judge reads transcripts that already exist (production logs, another tool's
output, a labelled set) as JSON lines, from FILE or stdin, judges each with the
judges of redoubt redteam, and writes one verdict line per input line, in input
order, as it goes (docs/judge-command.md):
  {"line", "id", "outcome": "pass|fail|unknown|error", "score", "reason",
   "judges": [...], "evidence": [...]}

An input line holds the dialogue ("conversation", OpenAI "messages", or
"prompt" and "reply"), what to check ("check", "vulnerability" with "type", or
"judges"; else --check), and optionally "id", "goal", "markers", "context".

--config judges as a red-team run with that configuration would: its
target-context keys (purpose, system_prompt, canaries, ...) are the default
context (--context overrides them key by key, a line's "context" both), its
custom vulnerabilities can be named, and with judge_models the model judge
reads each line that has a rubric (a check's, or a catalog sub-type's),
answered from the model cache where it can (.redoubt/cache/, beside db).
Without --config, or without judge_models, nothing is sent to any model.

Checks (each fails a line when the reply ...):
` + checkList() + `
A line that cannot be judged gets {"line", "id", "outcome": "error", "error"}
and the rest go on. A summary goes to stderr. Exit codes: 0 when every line
was judged, 3 when some could not be (or on an I/O error), 2 for usage errors.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJudge(cmd.Context(), e, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.check, "check", "", "check for lines that name none: "+strings.Join(checkNames(), ", "))
	fl.StringVar(&f.config, "config", "", "red-team configuration (redoubt.yaml): its context keys and judge models (judge_models) judge the lines")
	fl.StringVar(&f.context, "context", "", "default target context, YAML or JSON (purpose, system_prompt, canaries, ...)")
	fl.IntVar(&f.conc, "concurrency", 0, "lines judged at once (default: the number of CPUs)")
	fl.StringVarP(&f.out, "out", "o", "", "write the verdicts to FILE (replaced only when the run completes); default: stdout")
	return cmd
}

// checkList renders the checks for the help text.
func checkList() string {
	var b strings.Builder
	for _, c := range app.Checks() {
		fmt.Fprintf(&b, "  %-19s %s\n", c.Name, c.Description)
	}
	return b.String()
}

func checkNames() []string {
	var names []string
	for _, c := range app.Checks() {
		names = append(names, c.Name)
	}
	return names
}

func runJudge(ctx context.Context, e *env, f judgeFlags, args []string) error {
	var o app.JudgeOptions
	if f.conc < 0 {
		return usagef("--concurrency must be at least 1 (or 0 for the number of CPUs), got %d", f.conc)
	}
	if f.check != "" {
		if _, err := app.LookupCheck(f.check); err != nil {
			return usagef("--check: %v", err)
		}
	}
	if f.config != "" {
		cfg, err := app.LoadConfig(f.config)
		if err != nil {
			return usageErr(err)
		}
		if o, err = app.JudgeConfigOptions(cfg, e.log, e.getenv); err != nil {
			return usagef("%s: %v", f.config, err)
		}
	} else {
		o.Panel = judge.Default()
	}
	o.Check, o.Concurrency = f.check, f.conc
	if f.context != "" {
		c, err := app.LoadJudgeContextOver(f.context, o.Context)
		if err != nil {
			return usageErr(err)
		}
		o.Context = c
	}

	in, name := e.stdin, "stdin"
	if len(args) == 1 && args[0] != "-" {
		file, err := os.Open(args[0])
		if err != nil {
			return usageErr(err)
		}
		defer file.Close()
		in, name = file, args[0]
	}

	var (
		st  app.JudgeStats
		err error
	)
	if f.out == "" {
		st, err = app.JudgeLines(ctx, o, in, e.stdout)
	} else {
		st, err = judgeToFile(ctx, o, in, f.out)
	}
	e.printf("redoubt: %s (%s)\n", st, name)
	switch {
	case errors.Is(err, context.Canceled):
		return &exitError{code: ExitInterrupted, err: errors.New("interrupted")}
	case err != nil:
		return &exitError{code: ExitFailure, err: err}
	case st.Bad > 0:
		return &exitError{code: ExitFailure, err: fmt.Errorf("%d input line(s) could not be judged (see their \"error\" fields)", st.Bad)}
	case st.Error > 0:
		return &exitError{code: ExitFailure, err: fmt.Errorf("the judges could not decide %d line(s) (outcome \"error\"; see their reasons)", st.Error)}
	}
	return nil
}

// judgeToFile writes the verdicts to a temporary file beside path and
// renames it into place when the run completes, so that a failed or
// interrupted run leaves the previous file, not half a new one.
func judgeToFile(ctx context.Context, o app.JudgeOptions, in io.Reader, path string) (app.JudgeStats, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return app.JudgeStats{}, err
	}
	st, err := app.JudgeLines(ctx, o, in, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing results: %w", cerr)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return st, err
}
