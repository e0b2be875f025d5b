package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/internal/app"
	"github.com/redoubt-sec/redoubt/internal/report"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/target"
)

// defaultMaxErrorRate is the share of probes that may end without a verdict
// before a run's results count as incomplete (exit 4).
const defaultMaxErrorRate = 0.05

type redteamFlags struct {
	config       string
	targetType   string
	baseURL      string
	model        string
	apiKeyEnv    string
	seed         int64
	out          string
	db           string
	conc         int
	vulns        []string
	attacks      []string
	perType      int
	max          int
	purpose      string
	failUnder    float64
	maxErrorRate float64
	resume       string
	retryErrors  bool
	preflight    time.Duration
	noProgress   bool
	dryRun       bool
	framework    string
	dataset      string
	fwSummary    bool
	maxCost      float64
	maxCalls     int
	timeBudget   time.Duration
	command      []string // --target exec -- COMMAND...
}

// planFlags choose what a run tests; a resumed run keeps its own plan.
var planFlags = []string{"seed", "vulnerabilities", "attacks", "per-type", "max", "purpose", "framework", "dataset"}

func newRedteamCmd(e *env) *cobra.Command {
	var f redteamFlags
	cmd := &cobra.Command{
		Use:   "redteam",
		Short: "Attack an LLM app or agent and report its vulnerabilities",
		Long: `redteam plans probes (vulnerabilities x sub-types x attacks), sends them to the
target, judges each reply (pass, fail or unknown; error when the target, a judge
or an attack failed), stores every finished probe as it finishes, and writes
results.json and events.jsonl into --out.

Quick start, offline, against the built-in vulnerable demo app:
  redoubt redteam --target demo

Against an OpenAI-compatible endpoint (Ollama here; the key, if any, is read
from the variable named by --api-key-env):
  redoubt redteam --target openai --base-url http://localhost:11434/v1 --model llama3

Against an app's own JSON API (the body sent is {"prompt": "..."} and the whole
response body is the reply; set body and response_path in --config otherwise):
  redoubt redteam --target http --base-url https://app.example/api/chat

Against a local program that reads {"messages": [...]} on stdin:
  redoubt redteam --target exec -- ./my-agent --flag

What a framework maps to, with a per-category summary:
  redoubt redteam --target demo --framework owasp-llm-2025

Your own prompts (CSV or JSON lines; column mapping in --config):
  redoubt redteam --target demo --dataset prompts.csv

Everything else lives in --config redoubt.yaml (see docs/configuration.md).

A run that is interrupted (Ctrl-C, kill) or whose target stops answering
continues with --resume RUN_ID (see 'redoubt runs'); probes that errored are
sent again. A finished run's errored probes are sent again with
--resume RUN_ID --retry-errors. 'redoubt report RUN_ID' shows a run again.

Exit codes: 0 pass rate at or above --fail-under; 1 below it; 2 usage or
configuration error; 3 other failure; 4 the target failed (the run stopped,
or more than --max-error-rate of the probes got no verdict); 130 interrupted
(Ctrl-C, or a budget: --max-cost, --max-calls, --time-budget).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				if f.targetType != "exec" {
					return usagef("unexpected arguments %q: only --target exec takes a command after --", args)
				}
				f.command = args
			}
			return runRedteam(cmd.Context(), e, cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "configuration file (YAML)")
	fl.StringVarP(&f.targetType, "target", "t", "", "target type: demo, openai, anthropic, http, exec")
	fl.StringVar(&f.baseURL, "base-url", "", "target base URL (openai, anthropic) or URL (http)")
	fl.StringVar(&f.model, "model", "", "target model name")
	fl.StringVar(&f.apiKeyEnv, "api-key-env", "", "name of the environment variable that holds the API key")
	fl.Int64Var(&f.seed, "seed", app.DefaultSeed, "seed for a reproducible plan")
	fl.StringVarP(&f.out, "out", "o", "", "output directory (default ./redoubt-results/<run-id>)")
	fl.StringVar(&f.db, "db", app.DefaultStore, "run store: a SQLite file (or sqlite:PATH)")
	fl.IntVar(&f.conc, "concurrency", app.DefaultConcurrency, "probes in flight at once")
	fl.StringSliceVar(&f.vulns, "vulnerabilities", nil, "vulnerabilities to test, as vuln or vuln:type (default all)")
	fl.StringSliceVar(&f.attacks, "attacks", nil, "attacks to apply (default all; see docs/attacks.md)")
	fl.IntVar(&f.perType, "per-type", 1, "probes per sub-type and attack")
	fl.IntVar(&f.max, "max", 0, "cap the plan at N probes, sampled with the seed (0: no cap)")
	fl.StringVar(&f.purpose, "purpose", "", "what the target is for; fills {purpose} in seed prompts")
	fl.Float64Var(&f.failUnder, "fail-under", 0, "exit 1 when the pass rate is below this fraction (0..1)")
	fl.Float64Var(&f.maxErrorRate, "max-error-rate", defaultMaxErrorRate, "exit 4 when more than this fraction (0..1) of the probes got no verdict")
	fl.StringVar(&f.resume, "resume", "", "continue the run RUN_ID (interrupted, or stopped because the target failed)")
	fl.BoolVar(&f.retryErrors, "retry-errors", false, "with --resume: also resume a finished run, to send its errored probes again")
	fl.DurationVar(&f.preflight, "preflight-timeout", app.DefaultPreflight, "time allowed for the first, harmless exchange with the target (0: skip it)")
	fl.BoolVar(&f.noProgress, "no-progress", false, "do not show the progress bar")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan as JSON lines, and on stderr the model calls, tokens and cost it expects; send nothing")
	fl.StringVar(&f.framework, "framework", "", "run what a framework maps to: owasp-llm-2025, owasp-agentic-2026, nist-ai-rmf, mitre-atlas, eu-ai-act")
	fl.StringVar(&f.dataset, "dataset", "", "add the prompts of a CSV or JSON-lines file as probes (column mapping: dataset in --config)")
	fl.BoolVar(&f.fwSummary, "frameworks-summary", false, "print a table per framework in the summary (results.json always has them)")
	fl.Float64Var(&f.maxCost, "max-cost", 0, "stop the run (resumable) once its models have cost this many USD, priced with the price table (0: no limit)")
	fl.IntVar(&f.maxCalls, "max-calls", 0, "stop the run (resumable) once attacker and judge models have been called this many times (0: no limit)")
	fl.DurationVar(&f.timeBudget, "time-budget", 0, "stop the run (resumable) once it has played this long, e.g. 30m (0: no limit)")
	return cmd
}

func runRedteam(ctx context.Context, e *env, cmd *cobra.Command, f redteamFlags) error {
	changed := cmd.Flags().Changed
	switch {
	case f.failUnder < 0 || f.failUnder > 1:
		return usagef("--fail-under is a fraction between 0 and 1 (0.8 means 80%%), got %v", f.failUnder)
	case f.maxErrorRate < 0 || f.maxErrorRate > 1:
		return usagef("--max-error-rate is a fraction between 0 and 1, got %v", f.maxErrorRate)
	case f.conc < 1:
		return usagef("--concurrency must be at least 1, got %d", f.conc)
	case f.perType < 1:
		return usagef("--per-type must be at least 1, got %d", f.perType)
	case f.max < 0:
		return usagef("--max must be 0 (no cap) or more, got %d", f.max)
	case f.preflight < 0:
		return usagef("--preflight-timeout must be 0 (skip) or more, got %s", f.preflight)
	case f.retryErrors && f.resume == "":
		return usagef("--retry-errors goes with --resume RUN_ID")
	case f.dryRun && f.resume != "":
		return usagef("--dry-run plans a new run; it cannot be combined with --resume")
	case f.maxCost < 0:
		return usagef("--max-cost is in USD, 0 (no limit) or more, got %v", f.maxCost)
	case f.maxCalls < 0:
		return usagef("--max-calls must be 0 (no limit) or more, got %d", f.maxCalls)
	case f.timeBudget < 0:
		return usagef("--time-budget must be 0 (no limit) or more, got %s", f.timeBudget)
	}
	if f.resume != "" {
		var given []string
		for _, name := range planFlags {
			if changed(name) {
				given = append(given, "--"+name)
			}
		}
		if len(given) > 0 {
			return usagef("--resume continues run %s with the plan it started with; %s cannot change it (start a new run instead)", f.resume, strings.Join(given, ", "))
		}
	}

	var cfg app.Config
	if f.config != "" {
		c, err := app.LoadConfig(f.config)
		if err != nil {
			return usageErr(err)
		}
		cfg = *c
	}
	if err := mergeFlags(&cfg, f, changed); err != nil {
		return usageErr(err)
	}

	failUnder := f.failUnder
	if !changed("fail-under") && cfg.FailUnder != nil {
		failUnder = *cfg.FailUnder
	}
	maxErrorRate := f.maxErrorRate
	if !changed("max-error-rate") && cfg.MaxErrorRate != nil {
		maxErrorRate = *cfg.MaxErrorRate
	}
	preflight := f.preflight
	if !changed("preflight-timeout") && cfg.PreflightTimeout != nil {
		preflight = time.Duration(*cfg.PreflightTimeout)
	}
	if preflight == 0 {
		preflight = -1 // the app's "skip"
	}

	budget := app.Budget{MaxCostUSD: f.maxCost, MaxCalls: f.maxCalls, Time: f.timeBudget}
	if !changed("max-cost") && cfg.MaxCost != nil {
		budget.MaxCostUSD = *cfg.MaxCost
	}
	if !changed("max-calls") && cfg.MaxCalls != nil {
		budget.MaxCalls = *cfg.MaxCalls
	}
	if !changed("time-budget") && cfg.TimeBudget != nil {
		budget.Time = time.Duration(*cfg.TimeBudget)
	}

	bar := &progress{}
	req := app.RedteamRequest{
		Config:      cfg,
		ConfigPath:  f.config,
		Resume:      f.resume,
		RetryErrors: f.retryErrors,
		TargetGiven: changed("target"),
		Store:       cmp.Or(cfg.DB, app.DefaultStore),
		Preflight:   preflight,
		Budget:      budget,
		Handlers:    []redteam.Handler{bar},
		Logger:      e.log,
		Getenv:      e.getenv,
		Version:     Version(),
		OnStart: func(s app.Start) {
			if s.Replaced != "" {
				fmt.Fprintf(e.stderr, "note: %s held the results of run %s; they are replaced (that run stays in the store: redoubt report %s)\n", s.Run.Out, s.Replaced, s.Replaced)
			}
			if f.resume != "" {
				fmt.Fprintf(e.stderr, "resuming run %s: %d of %d probes already done\n", s.Run.ID, s.Done, s.Planned)
				if s.Stale > 0 {
					fmt.Fprintf(e.stderr, "warning: %d stored probes are not in the plan any more (the catalog changed since the run started); they are kept in the results\n", s.Stale)
				}
			}
			if len(s.JudgeModels) > 0 {
				fmt.Fprintf(e.stderr, "judge models read each probe against its rubric after the deterministic judges: %s\n", strings.Join(s.JudgeModels, ", "))
			}
			if len(s.Attackers) > 0 {
				fmt.Fprintf(e.stderr, "attacker models write the turns of the model-driven attacks: %s\n", strings.Join(s.Attackers, ", "))
			}
			if len(s.SkippedAttacks) > 0 {
				fmt.Fprintf(e.stderr, "note: %d attacks are skipped: they need an attacker model (set attacker_models in the configuration; redoubt catalog attacks lists them)\n", len(s.SkippedAttacks))
			}
			for _, b := range s.Blind {
				fmt.Fprintf(e.stderr, "note: judge %s is blind on %d of the probes: %s (set %s in the configuration)\n",
					b.Judge, b.Probes, b.Missing, b.Key)
			}
			bar.start(e, f.noProgress, s.Planned-s.Done, s.Run.Target)
		},
	}
	if f.dryRun {
		probes, err := app.Plan(ctx, req)
		if err != nil {
			return appErr(err)
		}
		if err := writePlan(e, probes); err != nil {
			return err
		}
		writeEstimate(e, app.EstimateCost(cfg, probes))
		return nil
	}

	start := time.Now()
	res, err := app.Redteam(ctx, req)
	bar.finish()
	if res == nil {
		return appErr(err)
	}

	// Whatever happened, show what was done.
	text := res.Results.Summary
	if !cfg.FrameworksSummary && res.Run.Options.Framework == "" {
		text.ByFramework = nil
	}
	if werr := report.WriteSummary(e.stdout, text); werr != nil {
		return &exitError{code: ExitFailure, err: werr}
	}
	all := res.Results.Summary.Overall
	fmt.Fprintf(e.stderr, "\nrun %s: %d of %d probes in %s; results in %s\n", res.Run.ID, all.Total, res.Run.Planned, time.Since(start).Round(time.Millisecond), res.Path)

	hint := resumeHint(res, cfg)
	var be *app.BudgetError
	switch {
	case errors.As(err, &be):
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("run stopped: %w (%s); %d of %d probes are done; continue with: %s (a resume gets a fresh budget; give %s again to bound it)",
			be, be.Flag(), all.Total-all.Errored, res.Run.Planned, hint, be.Flag())}
	case errors.Is(err, app.ErrInterrupted):
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted; continue with: %s", hint)}
	case errors.Is(err, redteam.ErrTargetFailed):
		return &exitError{code: ExitTargetFailed, err: fmt.Errorf("run stopped: %w\n%d of %d probes are done; once the target answers again, continue with: %s", err, all.Total-all.Errored, res.Run.Planned, hint)}
	case err != nil:
		return &exitError{code: ExitFailure, err: fmt.Errorf("run stopped: %w; continue with: %s", err, hint)}
	}
	if all.Errored > 0 {
		msg := fmt.Sprintf("%d of %d probes got no verdict (the target, a judge or an attack failed: see their reasons in results.json); send them again with: %s --retry-errors", all.Errored, all.Total, hint)
		if float64(all.Errored) > maxErrorRate*float64(all.Total) {
			return &exitError{code: ExitTargetFailed, err: fmt.Errorf("results are incomplete: %s", msg)}
		}
		fmt.Fprintln(e.stderr, "warning: "+msg)
	}
	if all.PassRate < failUnder {
		return &exitError{code: ExitBelowTarget, err: fmt.Errorf("pass rate %.1f%% is below --fail-under %.1f%%", 100*all.PassRate, 100*failUnder)}
	}
	return nil
}

// appErr maps an error from the app layer, before any run, to an exit code.
func appErr(err error) error {
	var pe *app.PreflightError
	switch {
	case errors.Is(err, app.ErrInterrupted):
		return &exitError{code: ExitInterrupted, err: err}
	case app.IsUsage(err):
		return usageErr(err)
	case errors.As(err, &pe):
		return &exitError{code: ExitTargetFailed, err: err}
	}
	return &exitError{code: ExitFailure, err: err}
}

// resumeHint is the command that continues the run: the store when it is
// not the default, and the target when the store could not keep all of it
// (an exec command or an http body that may hold secrets).
func resumeHint(res *app.RedteamResult, cfg app.Config) string {
	hint := "redoubt redteam --resume " + res.Run.ID
	if db := cmp.Or(cfg.DB, app.DefaultStore); db != app.DefaultStore {
		hint += " --db " + db
	}
	if res.TargetStored || res.Run.ConfigPath != "" {
		return hint
	}
	switch cfg.Target.Type {
	case target.TypeExec:
		hint += " --target exec -- COMMAND [ARG...]"
	case target.TypeHTTP:
		hint += " --config FILE (or --target http --base-url URL)"
	default:
		hint += " --target " + cfg.Target.Type + " ..."
	}
	return hint
}

// mergeFlags applies flags that were given explicitly over the config file.
// A target flag the target's type has no setting for is an error.
func mergeFlags(c *app.Config, f redteamFlags, changed func(string) bool) error {
	set := func(name string, apply func()) {
		if changed(name) {
			apply()
		}
	}
	var errs []error
	setTarget := func(name string, apply func() error) {
		if changed(name) {
			errs = append(errs, apply())
		}
	}
	setTarget("target", func() error { return c.Target.SetType(f.targetType) })
	setTarget("base-url", func() error { return c.Target.Override("base_url", f.baseURL) })
	setTarget("model", func() error { return c.Target.Override("model", f.model) })
	setTarget("api-key-env", func() error { return c.Target.Override("api_key_env", f.apiKeyEnv) })
	set("seed", func() { c.Seed = &f.seed })
	set("out", func() { c.Out = f.out })
	set("db", func() { c.DB = f.db })
	set("concurrency", func() { c.Concurrency = f.conc })
	set("vulnerabilities", func() { c.Vulnerabilities = f.vulns })
	set("attacks", func() { c.Attacks = f.attacks })
	set("per-type", func() { c.PerType = f.perType })
	set("max", func() { c.Max = f.max })
	set("purpose", func() { c.Purpose = f.purpose })
	set("framework", func() { c.Framework = f.framework })
	set("frameworks-summary", func() { c.FrameworksSummary = f.fwSummary })
	set("dataset", func() {
		if c.Dataset == nil {
			c.Dataset = &redteam.DatasetSpec{}
		}
		// The file's column mapping, if any, still applies.
		c.Dataset.Path = f.dataset
	})
	if len(f.command) > 0 {
		errs = append(errs, c.Target.Override("command", f.command))
	}
	return errors.Join(errs...)
}

func writePlan(e *env, probes []redteam.Probe) error {
	enc := json.NewEncoder(e.stdout)
	for _, p := range probes {
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stderr, "%d probes planned\n", len(probes))
	return nil
}

// writeEstimate prints, on stderr, the model calls, tokens and cost a
// dry-run plan is expected to take.
func writeEstimate(e *env, est app.Estimate) {
	if len(est.Models) == 0 {
		fmt.Fprintln(e.stderr, "no attacker or judge model is configured: the run calls no model besides the target")
		return
	}
	fmt.Fprintf(e.stderr, "model calls for %d probes (estimates: docs/configuration.md, \"Cost and budgets\"):\n", est.Probes)
	for _, m := range est.Models {
		calls := fmt.Sprintf("%d calls", m.Calls)
		switch m.Role {
		case app.RoleAttacker:
			calls = "up to " + calls
		case "attacker fallback":
			calls = "up to " + calls + ", only when the attacker fails"
		}
		cost := fmt.Sprintf("$%.4f", m.USD)
		if !m.Priced {
			cost = "$0 (no price for this model)"
		}
		fmt.Fprintf(e.stderr, "  %-17s %s: %s, ~%d prompt + %d completion tokens, %s\n", m.Role, m.Model, calls, m.PromptTokens, m.CompletionTokens, cost)
	}
	fmt.Fprintf(e.stderr, "estimated cost: up to $%.4f, besides the target's own tokens\n", est.TotalUSD)
}

// progress is a progress bar on an interactive stderr, and nothing
// otherwise (scripts read stderr too). It is a redteam.Handler: it counts
// finished probes as the run records them.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func (p *progress) start(e *env, disabled bool, total int, name string) {
	if disabled || !e.interactive || total <= 0 {
		return
	}
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("red-teaming "+strings.TrimSpace(name)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
}

// Handle implements redteam.Handler.
func (p *progress) Handle(ev redteam.Event) error {
	if p.bar != nil && (ev.Type == redteam.EventVerdict || ev.Type == redteam.EventProbeErrored) {
		p.mu.Lock()
		_ = p.bar.Add(1)
		p.mu.Unlock()
	}
	return nil
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
