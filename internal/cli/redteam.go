package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/internal/demo"
	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/internal/report"
	"github.com/redoubt-sec/redoubt/internal/store"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/attack"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// Defaults for the redteam command.
const (
	defaultDB          = ".redoubt/redoubt.db"
	defaultOutRoot     = "redoubt-results"
	defaultConcurrency = 8
	defaultSeed        = 1
)

type redteamFlags struct {
	config     string
	targetType string
	baseURL    string
	model      string
	apiKeyEnv  string
	seed       int64
	out        string
	db         string
	conc       int
	vulns      []string
	attacks    []string
	perType    int
	max        int
	purpose    string
	failUnder  float64
	resume     string
	noProgress bool
	dryRun     bool
	framework  string
	dataset    string
	fwSummary  bool
	command    []string // --target exec -- COMMAND...
}

func newRedteamCmd(e *env) *cobra.Command {
	var f redteamFlags
	cmd := &cobra.Command{
		Use:   "redteam",
		Short: "Attack an LLM app or agent and report its vulnerabilities",
		Long: `redteam plans probes (vulnerabilities x sub-types x attacks), sends them to the
target, judges each reply (pass, fail, unknown or error), stores every finished
probe as it finishes, and writes results.json into --out.

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
An interrupted run continues with --resume RUN_ID (see 'redoubt runs').`,
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
	fl.Int64Var(&f.seed, "seed", defaultSeed, "seed for a reproducible plan")
	fl.StringVarP(&f.out, "out", "o", "", "output directory (default ./redoubt-results/<run-id>)")
	fl.StringVar(&f.db, "db", defaultDB, "SQLite run store")
	fl.IntVar(&f.conc, "concurrency", defaultConcurrency, "probes in flight at once")
	fl.StringSliceVar(&f.vulns, "vulnerabilities", nil, "vulnerabilities to test, as vuln or vuln:type (default all)")
	fl.StringSliceVar(&f.attacks, "attacks", nil, "attacks to apply (default all; see docs/attacks.md)")
	fl.IntVar(&f.perType, "per-type", 1, "probes per sub-type and attack")
	fl.IntVar(&f.max, "max", 0, "cap the plan at N probes, sampled with the seed (0: no cap)")
	fl.StringVar(&f.purpose, "purpose", "", "what the target is for; fills {purpose} in seed prompts")
	fl.Float64Var(&f.failUnder, "fail-under", 0, "exit 1 when the pass rate is below this fraction (0..1)")
	fl.StringVar(&f.resume, "resume", "", "continue the interrupted run RUN_ID")
	fl.BoolVar(&f.noProgress, "no-progress", false, "do not show the progress bar")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan as JSON lines and exit without sending anything")
	fl.StringVar(&f.framework, "framework", "", "run what a framework maps to: owasp-llm-2025, owasp-agentic-2026, nist-ai-rmf, mitre-atlas, eu-ai-act")
	fl.StringVar(&f.dataset, "dataset", "", "add the prompts of a CSV or JSON-lines file as probes (column mapping: dataset in --config)")
	fl.BoolVar(&f.fwSummary, "frameworks-summary", false, "print a table per framework in the summary (results.json always has them)")
	return cmd
}

// runSetup is everything a run needs, resolved from flags, config and (on
// resume) the stored run.
type runSetup struct {
	cfg       Config
	info      redteam.RunInfo
	tgt       target.Target
	jctx      judge.Context
	failUnder float64
	out       string
}

// loadRunDataset reads the dataset a run's options name, if any. A new run
// records the rows' digest; a resumed run must find the same rows, or the
// stored verdicts would belong to probes that no longer exist.
func loadRunDataset(ctx context.Context, opts *redteam.PlanOptions, resuming bool) (*redteam.Dataset, error) {
	if opts.Dataset == nil {
		return nil, nil
	}
	ds, err := redteam.LoadDataset(ctx, *opts.Dataset)
	if err != nil {
		return nil, err
	}
	switch {
	case !resuming:
		opts.Dataset.Digest = ds.Digest
	case opts.Dataset.Digest != "" && opts.Dataset.Digest != ds.Digest:
		return nil, fmt.Errorf("dataset %s has changed since the run started; start a new run", opts.Dataset.Path)
	}
	return ds, nil
}

func runRedteam(ctx context.Context, e *env, cmd *cobra.Command, f redteamFlags) error {
	changed := cmd.Flags().Changed
	if f.failUnder < 0 || f.failUnder > 1 {
		return usagef("--fail-under is a fraction between 0 and 1 (0.8 means 80%%), got %v", f.failUnder)
	}
	if f.conc < 1 {
		return usagef("--concurrency must be at least 1, got %d", f.conc)
	}
	if f.perType < 1 {
		return usagef("--per-type must be at least 1, got %d", f.perType)
	}
	if f.max < 0 {
		return usagef("--max must be 0 (no cap) or more, got %d", f.max)
	}

	st, info, cfg, err := setupRun(ctx, f, changed)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	resuming := f.resume != ""
	if cfg.Target.Type == "" {
		return usagef("no target: use --target demo|openai|anthropic|http|exec or set target.type in --config")
	}

	tgt, jctx, err := buildTarget(e, cfg)
	if err != nil {
		return usageErr(err)
	}
	if info.Options.Purpose == "" {
		info.Options.Purpose = jctx.Purpose
	}
	if jctx.Purpose == "" {
		jctx.Purpose = info.Options.Purpose
	}

	ds, err := loadRunDataset(ctx, &info.Options, resuming)
	if err != nil {
		return usageErr(err)
	}
	frameworks := cfg.Frameworks()
	probes, err := redteam.PlanWith(redteam.PlanInputs{
		Catalog:    cfg.Catalog(),
		Attacks:    attack.All(),
		Frameworks: frameworks,
		Dataset:    ds,
	}, info.Options)
	if err != nil {
		return usageErr(err)
	}
	// results.json tallies the run by framework category: by the chosen
	// framework for a framework run, by every framework otherwise, so a
	// report always shows its coverage of each. The text summary shows
	// those tables for a framework run, or with --frameworks-summary.
	showFrameworks := cfg.FrameworksSummary
	if info.Options.Framework != "" {
		fw, err := redteam.FindFramework(frameworks, info.Options.Framework)
		if err != nil {
			return usageErr(err)
		}
		frameworks, showFrameworks = []catalog.Framework{fw}, true
	}
	if len(probes) == 0 {
		return usagef("the plan is empty: no attack applies to the selected vulnerabilities")
	}
	if f.dryRun {
		return writePlan(e, probes)
	}

	if err := target.Preflight(ctx, tgt); err != nil {
		return usageErr(fmt.Errorf("preflight: %w", err))
	}

	info.Target = tgt.Name()
	info.TargetConfig = storableTarget(cfg.Target)
	info.Planned = len(probes)
	info.Status = "running"
	info.Finished = time.Time{}
	done := map[string]bool{}
	if resuming {
		if done, err = st.DoneProbes(ctx, info.ID); err != nil {
			return &exitError{code: ExitFailure, err: err}
		}
		// Finished probes are kept; the plan should still contain them. If
		// the catalog changed under the run, say so: those cases stay in the
		// results but no longer match the plan.
		fmt.Fprintf(e.stderr, "resuming run %s: %d of %d probes already done\n", info.ID, countDone(probes, done), len(probes))
		if stale := len(done) - countDone(probes, done); stale > 0 {
			fmt.Fprintf(e.stderr, "warning: %d stored probes are not in the plan any more (the catalog changed since the run started); they are kept in the results\n", stale)
		}
	}

	// On resume, results go where the run first wrote them unless --out
	// says otherwise.
	out := cfg.Out
	if out == "" && resuming && !changed("out") {
		out = info.Out
	}
	if out == "" {
		out = filepath.Join(defaultOutRoot, info.ID)
	}
	info.Out = absPath(out)
	if err := st.CreateRun(ctx, info); err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("creating output directory: %w", err)}
	}
	events, err := os.OpenFile(filepath.Join(out, "events.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) // replies may hold leaked data, like the store
	if err != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("opening event log: %w", err)}
	}
	defer events.Close()

	remaining := len(probes) - countDone(probes, done)
	bar := newProgress(e, f.noProgress, remaining, tgt.Name())
	sink := func(ev redteam.Event) error {
		line, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if _, err := events.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("writing event log: %w", err)
		}
		if ev.Type == redteam.EventVerdict {
			// The store is the record that resume trusts: a verdict is
			// done only once it is committed there.
			if err := st.SaveCase(ctx, info.ID, *ev.Case); err != nil {
				return err
			}
			bar.add()
		}
		return nil
	}
	eng := &redteam.Engine{Target: tgt, Judge: judge.Default(), JudgeContext: jctx, Concurrency: cfg.Concurrency, Logger: e.log}
	start := time.Now()
	runEvent := func(typ string) error {
		ri := info
		return sink(redteam.Event{V: redteam.EventVersion, Type: typ, Time: time.Now().UTC(), Run: info.ID, RunInfo: &ri})
	}
	if err := runEvent(redteam.EventRunStarted); err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	runErr := eng.Execute(ctx, info, probes, done, redteam.HandlerFunc(sink))
	bar.finish()

	// Record and report whatever is done, even when interrupted: finished
	// probes are never lost. Use a fresh context: ctx may be cancelled.
	bg := context.WithoutCancel(ctx)
	status := "finished"
	if runErr != nil {
		status = "interrupted"
	}
	if err := st.FinishRun(bg, info.ID, status, time.Now().UTC()); err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	info.Status = status
	info.Finished = time.Now().UTC()
	if err := runEvent(redteam.EventRunFinished); err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	cases, err := st.Cases(bg, info.ID)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	res := report.Build(info, cases, frameworks...)
	path, err := report.WriteFile(out, res)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	text := res.Summary
	if !showFrameworks {
		text.ByFramework = nil
	}
	if err := report.WriteSummary(e.stdout, text); err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	fmt.Fprintf(e.stderr, "\nrun %s: %d of %d probes in %s; results in %s\n", info.ID, len(cases), len(probes), time.Since(start).Round(time.Millisecond), path)

	if runErr != nil {
		hint := fmt.Sprintf("continue with: redoubt redteam --resume %s", info.ID)
		if cfg.DB != defaultDB {
			hint += " --db " + cfg.DB
		}
		if errors.Is(runErr, context.Canceled) {
			return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted; %s", hint)}
		}
		return &exitError{code: ExitFailure, err: fmt.Errorf("run stopped: %w; %s", runErr, hint)}
	}
	failUnder := f.failUnder
	if !changed("fail-under") && cfg.FailUnder != nil {
		failUnder = *cfg.FailUnder
	}
	if res.Summary.Overall.PassRate < failUnder {
		return &exitError{code: ExitBelowTarget, err: fmt.Errorf("pass rate %.1f%% is below --fail-under %.1f%%", 100*res.Summary.Overall.PassRate, 100*failUnder)}
	}
	return nil
}

// setupRun loads the configuration, opens the store and either starts a new
// run or loads the one to resume. On resume the stored run fixes the plan,
// and the configuration file it was started with is read again (for the
// target and the judges' context) unless --config names another.
func setupRun(ctx context.Context, f redteamFlags, changed func(string) bool) (store.Store, redteam.RunInfo, Config, error) {
	var (
		cfg  Config
		info redteam.RunInfo
	)
	load := func(path string) error {
		c, err := loadConfig(path)
		if err != nil {
			return usageErr(err)
		}
		cfg = *c
		return nil
	}
	if f.config != "" {
		if err := load(f.config); err != nil {
			return nil, info, cfg, err
		}
	}
	mergeFlags(&cfg, f, changed)

	if f.resume == "" {
		seed := int64(defaultSeed)
		if cfg.Seed != nil {
			seed = *cfg.Seed
		}
		var ds *redteam.DatasetSpec
		if cfg.Dataset != nil {
			spec := *cfg.Dataset
			// Stored absolute, so that --resume works from any directory.
			if spec.Path != "" {
				if abs, err := filepath.Abs(spec.Path); err == nil {
					spec.Path = abs
				}
			}
			ds = &spec
		}
		info = redteam.RunInfo{
			ID:      newRunID(),
			Started: time.Now().UTC(),
			Seed:    seed,
			Options: redteam.PlanOptions{
				Seed:            seed,
				Vulnerabilities: cfg.Vulnerabilities,
				Attacks:         cfg.Attacks,
				PerType:         max(cfg.PerType, 1),
				Max:             cfg.Max,
				Purpose:         cfg.Purpose,
				Framework:       cfg.Framework,
				Dataset:         ds,
			},
			Version:    Version(),
			ConfigPath: absPath(f.config),
		}
		if f.dryRun {
			// A dry run only prints the plan: it touches no store.
			return nil, info, cfg, nil
		}
		st, err := store.Open(ctx, cfg.DB)
		if err != nil {
			return nil, info, cfg, &exitError{code: ExitFailure, err: err}
		}
		return st, info, cfg, nil
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, info, cfg, &exitError{code: ExitFailure, err: err}
	}
	fail := func(err error) (store.Store, redteam.RunInfo, Config, error) {
		st.Close()
		return nil, info, cfg, err
	}

	if info, err = st.Run(ctx, f.resume); err != nil {
		return fail(usageErr(fmt.Errorf("cannot resume: %w", err)))
	}
	switch {
	case f.config != "" || changed("target"):
		// The caller names the target again (needed when the stored one
		// had literal header secrets, which are never stored). Custom
		// vulnerabilities still come from the run's own configuration,
		// or the plan could not be made again.
		if f.config == "" && info.ConfigPath != "" {
			c, err := loadConfig(info.ConfigPath)
			if err != nil {
				return fail(usageErr(fmt.Errorf("cannot resume run %s: re-reading its configuration: %w", info.ID, err)))
			}
			cfg.catalog, cfg.frameworks = c.catalog, c.frameworks
		}
	case info.ConfigPath != "":
		if err := load(info.ConfigPath); err != nil {
			return fail(usageErr(fmt.Errorf("cannot resume run %s: re-reading its configuration: %w (give it with --config)", info.ID, err)))
		}
		mergeFlags(&cfg, f, changed)
	case info.TargetConfig != nil:
		cfg.Target = *info.TargetConfig
		if (cfg.Target.Type == target.TypeExec && len(cfg.Target.Command) == 0) ||
			(cfg.Target.Type == target.TypeHTTP && (cfg.Target.URL == "" || cfg.Target.Body == "")) {
			return fail(usagef("cannot resume run %s: its %s target's command, URL or body is not stored (it may hold secrets); give the target again (--target %s ...) or --config FILE", info.ID, cfg.Target.Type, cfg.Target.Type))
		}
	}
	return st, info, cfg, nil
}

// mergeFlags applies flags that were given explicitly over the config file,
// and fills defaults the file left empty.
func mergeFlags(c *Config, f redteamFlags, changed func(string) bool) {
	set := func(name string, apply func()) {
		if changed(name) {
			apply()
		}
	}
	set("target", func() { c.Target.Type = f.targetType })
	set("base-url", func() { c.Target.BaseURL = f.baseURL })
	set("model", func() { c.Target.Model = f.model })
	set("api-key-env", func() { c.Target.APIKeyEnv = f.apiKeyEnv })
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
		c.Target.Command = f.command
	}
	if c.Target.Type == target.TypeHTTP && changed("base-url") {
		// For an app endpoint the "base URL" is the URL itself.
		c.Target.URL, c.Target.BaseURL = c.Target.BaseURL, ""
		if c.Target.Body == "" {
			c.Target.Body = `{"prompt": {{json .Prompt}}}`
		}
	}
	if c.DB == "" {
		c.DB = defaultDB
	}
	if c.Concurrency == 0 {
		c.Concurrency = defaultConcurrency
	}
}

// buildTarget makes the target and what judges know about it.
func buildTarget(e *env, c Config) (target.Target, judge.Context, error) {
	jctx := judge.Context{
		Purpose:        c.Purpose,
		SystemPrompt:   c.SystemPrompt,
		Canaries:       c.Canaries,
		AllowedDomains: c.AllowedDomains,
	}
	if c.Target.Type == "demo" {
		app := demo.New()
		d := app.JudgeContext()
		if jctx.Purpose == "" {
			jctx.Purpose = d.Purpose
		}
		if jctx.SystemPrompt == "" {
			jctx.SystemPrompt = d.SystemPrompt
		}
		jctx.Canaries = append(jctx.Canaries, d.Canaries...)
		jctx.AllowedDomains = append(jctx.AllowedDomains, d.AllowedDomains...)
		return app, jctx, nil
	}
	t, err := target.New(c.Target, target.WithLogger(e.log), target.WithGetenv(e.getenv))
	if err != nil {
		return nil, jctx, err
	}
	return t, jctx, nil
}

// storableTarget returns the target configuration with anything that may be
// a secret removed, because the run record is written to the store and to
// results.json: header and environment values are kept only when they are
// pure environment references like ${API_TOKEN}; URLs lose their user info
// and query; request bodies and commands are not kept at all (they may hold
// literal keys). API keys are never in a Config: it names the variable that
// holds them. A resumed run whose target needs what was dropped reads it
// again from its config file, or from the target flags given again.
func storableTarget(c target.Config) *target.Config {
	c.Headers = envRefsOnly(c.Headers)
	c.Env = envRefsOnly(c.Env)
	c.BaseURL = stripURLSecrets(c.BaseURL)
	c.URL = stripURLSecrets(c.URL)
	if bodyMayHoldSecret(c.Body) {
		c.Body = ""
	}
	c.Command = nil
	return &c
}

// bodyMayHoldSecret reports whether a request body template may carry a
// literal credential: a secret the detectors recognise, or a key-like word
// (the value itself may look like anything). Templates that take secrets
// from ${VAR} references are kept.
func bodyMayHoldSecret(body string) bool {
	if len(detect.Secrets{}.Scan(body)) > 0 {
		return true
	}
	lower := strings.ToLower(envRefRe.ReplaceAllString(body, ""))
	for _, w := range []string{"key", "token", "secret", "passw", "auth", "bearer", "credential"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// envRefRe matches a ${VAR} environment reference.
var envRefRe = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}`)

// stripURLSecrets removes user info and the query from a URL.
func stripURLSecrets(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return ""
	}
	u.User, u.RawQuery, u.ForceQuery = nil, "", false
	return u.String()
}

// envRefsOnly keeps the values that are exactly one ${VAR} reference.
func envRefsOnly(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if envRefRe.FindString(v) == v && v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

func countDone(probes []redteam.Probe, done map[string]bool) int {
	n := 0
	for _, p := range probes {
		if done[p.ID] {
			n++
		}
	}
	return n
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

// newRunID returns a sortable, unique run ID: UTC time plus randomness.
func newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// progress is a progress bar on an interactive stderr, and nothing
// otherwise (scripts read stderr too).
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func newProgress(e *env, disabled bool, total int, name string) *progress {
	p := &progress{}
	if disabled || !e.interactive || total == 0 {
		return p
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
	return p
}

func (p *progress) add() {
	if p.bar != nil {
		p.mu.Lock()
		_ = p.bar.Add(1)
		p.mu.Unlock()
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// absPath makes a path absolute so a run can be resumed from another
// directory; "" stays "".
func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
