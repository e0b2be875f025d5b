package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redoubt-sec/redoubt/internal/demo"
	"github.com/redoubt-sec/redoubt/internal/modelcache"
	"github.com/redoubt-sec/redoubt/internal/report"
	"github.com/redoubt-sec/redoubt/internal/store"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// Red-team defaults.
const (
	DefaultStore       = ".redoubt/redoubt.db"
	DefaultOutRoot     = "redoubt-results"
	DefaultConcurrency = 8
	DefaultSeed        = 1
	// DefaultPreflight bounds the preflight exchange, retries included: a
	// hung target is reported in seconds, not after every retry of the
	// target's own timeout.
	DefaultPreflight = 30 * time.Second
	// leaseTTL is how long a run stays leased without a renewal, and
	// leaseEvery how often a running process renews it: a killed run reads
	// as interrupted within leaseTTL.
	leaseTTL   = 20 * time.Second
	leaseEvery = 5 * time.Second
)

// RedteamRequest starts a red-team run or resumes one.
type RedteamRequest struct {
	// Config is the run's configuration: the file merged with the command
	// line. For a resumed run only the target and what judges know about
	// it are taken from here, and only when TargetGiven is set or
	// ConfigPath names a file; the plan is the stored run's.
	Config Config
	// ConfigPath is the configuration file Config was read from, if any. A
	// new run records it, so that a resume can read it again.
	ConfigPath string
	// Resume is the ID (or a unique prefix) of the run to continue.
	Resume string
	// RetryErrors allows resuming a finished run to play its errored
	// probes again (an interrupted run always plays them).
	RetryErrors bool
	// TargetGiven says the caller named the target for a resumed run.
	TargetGiven bool
	// Target, when set, is the target to attack, instead of one built
	// from Config.Target (which then only names it in the record): for Go
	// programs that test a target of their own, such as a target.Func.
	Target target.Target
	// Store is the run store's DSN (default DefaultStore).
	Store string
	// Preflight bounds the preflight exchange; zero means
	// DefaultPreflight, negative skips it.
	Preflight time.Duration
	// Handlers receive the run's events too (a progress bar, a live
	// view), after the store's and the event log's handlers, which commit
	// in batches: an event a live handler sees may not be committed yet.
	Handlers []redteam.Handler
	// OnStart, when set, is called once the run is planned and leased,
	// before anything is sent.
	OnStart func(Start)
	// Breaker overrides the engine's circuit breaker settings.
	Breaker redteam.Breaker
	// Budget stops the run cleanly (interrupted, with a *BudgetError that
	// wraps ErrInterrupted) when its models' cost, their calls or its
	// time reach a limit. A resume gets a fresh budget.
	Budget  Budget
	Logger  *slog.Logger
	Getenv  func(string) string
	Version string
}

// Start describes a run about to be played.
type Start struct {
	Run redteam.RunInfo
	// Planned is the number of probes in the plan, Done how many of them
	// are already done (a resumed run), Stale how many stored cases are no
	// longer in the plan (the catalog changed since the run started).
	Planned, Done, Stale int
	// Replaced is the run whose event log in the output directory was
	// replaced by this one, if any (its record stays in the store).
	Replaced string
	// Blind lists the judges the target context leaves blind on the
	// probes still to play, and what to configure (see BlindJudges).
	Blind []BlindJudge
	// JudgeModels names the judge models that read rubrics (none: the
	// deterministic judges decide alone).
	JudgeModels []string
	// SkippedAttacks are the model-driven attacks left out of the plan
	// because no attacker model is configured (attacker_models), and
	// Attackers names the attacker models when one is.
	SkippedAttacks, Attackers []string
}

// BlindJudge is a judge that cannot see what it checks on some probes of a
// run because the target context lacks something.
type BlindJudge struct {
	judge.BlindSpot
	// Probes is how many of the probes to play run the judge.
	Probes int
}

// BlindJudges returns the judges that jctx leaves blind on probes, with how
// many probes run each: the judges a probe names plus the panel's evidence
// judges, which run on every probe.
func BlindJudges(probes []redteam.Probe, jctx judge.Context, panel *judge.Panel) []BlindJudge {
	counts := map[string]int{}
	spots := map[string]judge.BlindSpot{}
	var order []string
	for _, p := range probes {
		names := slices.Concat(p.Judges, panel.EvidenceNames())
		seen := map[string]bool{}
		for _, b := range judge.BlindSpots(jctx, names) {
			if seen[b.Judge] {
				continue
			}
			seen[b.Judge] = true
			if _, ok := spots[b.Judge]; !ok {
				spots[b.Judge] = b
				order = append(order, b.Judge)
			}
			counts[b.Judge]++
		}
	}
	out := make([]BlindJudge, len(order))
	for i, n := range order {
		out[i] = BlindJudge{BlindSpot: spots[n], Probes: counts[n]}
	}
	return out
}

// RedteamResult is a run that was played, whole or in part.
type RedteamResult struct {
	Run     redteam.RunInfo
	Results report.Results
	// Path is results.json.
	Path string
	// TargetStored says whether the store holds all a resume needs to
	// rebuild the target; when false, a resume must name it again.
	TargetStored bool
}

// ErrInterrupted is returned, with the result of what was done, when the
// context was cancelled. Test with errors.Is.
var ErrInterrupted = errors.New("interrupted")

// PreflightError is a target that failed its preflight exchange. Err says
// which URL failed, how, and what to check. When the target's answer shows
// a configuration mistake (a rejected key, an unknown model or path, an
// unreadable response) it comes wrapped in a UsageError.
type PreflightError struct{ Err error }

func (e *PreflightError) Error() string { return e.Err.Error() }
func (e *PreflightError) Unwrap() error { return e.Err }

// Redteam plans a run (or loads the one to resume), checks the target with
// one harmless exchange, leases the run, plays every probe that is not
// done, and writes results.json. Every finished probe is committed to the
// store as it finishes, so a run that is interrupted, or whose target
// fails (redteam.ErrTargetFailed), still returns its result with an error
// saying why, and a resume continues it.
func Redteam(ctx context.Context, req RedteamRequest) (*RedteamResult, error) {
	if req.Logger == nil {
		req.Logger = slog.New(slog.DiscardHandler)
	}
	if req.Getenv == nil {
		req.Getenv = os.Getenv
	}
	if req.Store == "" {
		req.Store = DefaultStore
	}
	r, err := prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	defer r.st.Close()
	return r.play(ctx)
}

// runner is a run being prepared and played.
type runner struct {
	req    RedteamRequest
	st     store.Store
	cfg    Config
	info   redteam.RunInfo
	probes []redteam.Probe
	done   map[string]bool
	stale  int
	tgt    target.Target
	jctx   judge.Context
	// rubric is the model judge: the judge models that read probes
	// against their rubrics (newModelJudge); nil without judge_models.
	rubric *judge.Rubric
	// cache holds attacker and judge models' replies (Config.ModelCache);
	// nil when off or when no model is configured.
	cache    *modelcache.Cache
	frames   []catalog.Framework
	resuming bool
	// attacks are the run's attacks (chooseAttacks).
	attacks runAttacks
	// meter counts the models' calls and cost against req.Budget; nil
	// for a dry run.
	meter *meter
}

// prepare resolves the configuration, the plan and the target, and checks
// the target. The store is open on success.
func prepare(ctx context.Context, req RedteamRequest) (_ *runner, err error) {
	r := &runner{req: req, cfg: req.Config, resuming: req.Resume != "", meter: &meter{b: req.Budget}}
	if r.resuming {
		st, err := store.Open(ctx, req.Store)
		if err != nil {
			return nil, err
		}
		r.st = st
		defer func() {
			if err != nil {
				st.Close()
			}
		}()
		if err := r.loadRun(ctx); err != nil {
			return nil, err
		}
	} else {
		r.newRun(req)
	}
	if r.cfg.Target.Type == "" && req.Target == nil {
		return nil, usagef("no target: use --target demo|openai|anthropic|http|exec or set target.type in the configuration")
	}
	if r.tgt, r.jctx, err = buildTarget(r.cfg, req); err != nil {
		return nil, usage(err)
	}
	// Next to the run store: .redoubt/cache/ by default. Attacker and
	// judge models share it.
	r.cache = openModelCache(r.cfg, req.Store, req.Logger)
	if r.rubric, err = newModelJudge(r.cfg, r.cache, r.meterModel, req.Logger, req.Getenv); err != nil {
		return nil, usage(err)
	}
	if r.info.Options.Purpose == "" {
		r.info.Options.Purpose = r.jctx.Purpose
	}
	if r.jctx.Purpose == "" {
		r.jctx.Purpose = r.info.Options.Purpose
	}
	// The preflight (a round trip to the target) and opening the store
	// run while the plan is made.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg           sync.WaitGroup
		pfErr, stErr error
		st           store.Store
	)
	wg.Go(func() { pfErr = r.preflight(pctx) })
	if !r.resuming {
		wg.Go(func() { st, stErr = store.Open(ctx, req.Store) })
	}
	planErr := r.plan(ctx)
	if planErr != nil {
		cancel()
	}
	wg.Wait()
	if st != nil {
		r.st = st
		defer func() {
			if err != nil {
				st.Close()
			}
		}()
	}
	switch {
	case planErr != nil:
		return nil, planErr
	case pfErr != nil:
		return nil, pfErr
	case stErr != nil:
		return nil, stErr
	}
	return r, nil
}

// newRun fills the run's info from the configuration.
func (r *runner) newRun(req RedteamRequest) {
	c := r.cfg
	seed := int64(DefaultSeed)
	if c.Seed != nil {
		seed = *c.Seed
	}
	var ds *redteam.DatasetSpec
	if c.Dataset != nil {
		spec := *c.Dataset
		spec.Path = absPath(spec.Path) // so that --resume works from any directory
		ds = &spec
	}
	r.info = redteam.RunInfo{
		ID:      NewRunID(),
		Started: time.Now().UTC(),
		Seed:    seed,
		Options: redteam.PlanOptions{
			Seed:            seed,
			Vulnerabilities: c.Vulnerabilities,
			Attacks:         c.Attacks,
			PerType:         max(c.PerType, 1),
			Max:             c.Max,
			Purpose:         c.Purpose,
			Framework:       c.Framework,
			Dataset:         ds,
		},
		Version:    req.Version,
		ConfigPath: absPath(req.ConfigPath),
	}
}

// loadRun loads the run to resume and the configuration its target comes
// from: the one given again, else the file it was started with, else the
// target the store kept.
func (r *runner) loadRun(ctx context.Context) error {
	info, err := r.st.Run(ctx, r.req.Resume)
	if err != nil {
		return usage(fmt.Errorf("cannot resume: %w", err))
	}
	r.info = info
	if info.Status == redteam.StatusFinished && !r.req.RetryErrors {
		return usagef("run %s is finished; see it with 'redoubt report %s', or play its errored probes again with --retry-errors", info.ID, info.ID)
	}
	given := r.req.Config
	switch {
	case r.req.ConfigPath != "" || r.req.TargetGiven:
		// The caller names the target again (needed when the stored one
		// lacks what may be secret). Custom vulnerabilities still come
		// from the run's own configuration, or its plan could not be made
		// again.
		if r.req.ConfigPath == "" && info.ConfigPath != "" {
			c, err := LoadConfig(info.ConfigPath)
			if err != nil {
				return usage(fmt.Errorf("cannot resume run %s: re-reading its configuration: %w", info.ID, err))
			}
			r.cfg.catalog, r.cfg.frameworks = c.catalog, c.frameworks
		}
	case info.ConfigPath != "":
		c, err := LoadConfig(info.ConfigPath)
		if err != nil {
			return usage(fmt.Errorf("cannot resume run %s: re-reading its configuration: %w (give it with --config)", info.ID, err))
		}
		r.cfg = *c
	case info.TargetConfig != nil:
		r.cfg = given
		r.cfg.Target = *info.TargetConfig
		if !targetComplete(r.cfg.Target) {
			return usagef("cannot resume run %s: its %s target's %s not stored (they may hold secrets); give the target again (--target %s ...) or --config FILE", info.ID, r.cfg.Target.Type, strings.Join(r.cfg.Target.Withheld, ", "), r.cfg.Target.Type)
		}
	}
	// Where results go and how hard to push are the caller's to change.
	if given.Out != "" {
		r.cfg.Out = given.Out
	}
	if given.Concurrency != 0 {
		r.cfg.Concurrency = given.Concurrency
	}
	return nil
}

// plan makes the run's probes: from its options, which a resume keeps.
func (r *runner) plan(ctx context.Context) error {
	ds, err := loadRunDataset(ctx, &r.info.Options, r.resuming)
	if err != nil {
		return usage(err)
	}
	if err := r.chooseAttacks(); err != nil {
		return err
	}
	r.frames = r.cfg.Frameworks()
	r.probes, err = redteam.PlanWith(redteam.PlanInputs{
		Catalog:    r.cfg.Catalog(),
		Attacks:    r.attacks.list,
		Frameworks: r.frames,
		Dataset:    ds,
	}, r.info.Options)
	if err != nil {
		return usage(err)
	}
	if len(r.probes) == 0 {
		return usagef("the plan is empty: no attack applies to the selected vulnerabilities")
	}
	if fw := r.info.Options.Framework; fw != "" {
		f, err := redteam.FindFramework(r.frames, fw)
		if err != nil {
			return usage(err)
		}
		r.frames = []catalog.Framework{f}
	}
	return nil
}

// Plan returns the probes a new run with this request would play, without
// sending anything or touching the store: what --dry-run prints.
func Plan(ctx context.Context, req RedteamRequest) ([]redteam.Probe, error) {
	if req.Resume != "" {
		return nil, usagef("a dry run plans a new run; it cannot be combined with --resume")
	}
	r := &runner{req: req, cfg: req.Config}
	r.newRun(req)
	if r.cfg.Target.Type != "" {
		_, jctx, err := buildTarget(r.cfg, req)
		if err != nil {
			return nil, usage(err)
		}
		if r.info.Options.Purpose == "" {
			r.info.Options.Purpose = jctx.Purpose
		}
	}
	if err := r.plan(ctx); err != nil {
		return nil, err
	}
	return r.probes, nil
}

// preflight sends one harmless message within the preflight budget.
func (r *runner) preflight(ctx context.Context) error {
	budget := r.req.Preflight
	if budget < 0 {
		return nil
	}
	if budget == 0 {
		budget = DefaultPreflight
	}
	pctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	err := target.Preflight(pctx, r.tgt)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w during preflight: %w", ErrInterrupted, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded) && pctx.Err() != nil:
		err = fmt.Errorf("%w (the preflight allows %s; give a slow target more with preflight_timeout or --preflight-timeout)", err, budget)
	}
	pe := &PreflightError{Err: err}
	if configMistake(err) {
		return usage(pe)
	}
	return pe
}

// configMistake reports whether a preflight error shows the configuration
// is wrong rather than the target down: the server answered but refused
// the request (4xx other than timeouts and rate limits), or answered
// something that is not a reply.
func configMistake(err error) bool {
	var he *target.HTTPError
	if errors.As(err, &he) {
		return he.Status >= 400 && he.Status < 500 && he.Status != 408 && he.Status != 429
	}
	return errors.Is(err, target.ErrBadResponse)
}

// play leases the run, plays its probes and writes its results.
func (r *runner) play(ctx context.Context) (*RedteamResult, error) {
	info := &r.info
	info.Target = r.tgt.Name()
	info.TargetConfig = storableTarget(r.cfg.Target)
	info.Planned = len(r.probes)
	info.Status = redteam.StatusRunning
	info.Finished = time.Time{}
	out := r.cfg.Out
	if out == "" && r.resuming {
		out = info.Out // results go where the run first wrote them
	}
	if out == "" {
		out = filepath.Join(DefaultOutRoot, info.ID)
	}
	info.Out = absPath(out)

	owner := leaseOwner()
	if r.resuming {
		// Lease first: a second resume of the run is refused before it
		// changes anything.
		if err := acquire(ctx, r.st, info.ID, owner); err != nil {
			if errors.Is(err, store.ErrLeased) {
				return nil, usage(fmt.Errorf("cannot resume: %w; wait for it to finish, or stop it first", err))
			}
			return nil, err
		}
		done, err := r.st.DoneProbes(ctx, info.ID)
		if err != nil {
			return nil, r.abandon(owner, err)
		}
		r.done = done
	}
	if err := r.st.CreateRun(ctx, *info); err != nil {
		return nil, err
	}
	if !r.resuming {
		if err := r.st.Acquire(ctx, info.ID, owner, leaseTTL); err != nil {
			return nil, err
		}
	}
	var stored []redteam.Case
	if r.resuming {
		var err error
		if stored, err = r.st.Cases(ctx, info.ID); err != nil {
			return nil, r.abandon(owner, err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, r.abandon(owner, fmt.Errorf("creating output directory: %w", err))
	}
	log, replaced, err := report.OpenEventLog(filepath.Join(out, report.EventsFile), *info, r.resuming, stored)
	if err != nil {
		return nil, r.abandon(owner, err)
	}
	defer log.Close()

	doneInPlan := 0
	for _, p := range r.probes {
		if r.done[p.ID] {
			doneInPlan++
		}
	}
	r.stale = len(r.done) - doneInPlan
	panel := judge.Default()
	var judgeModels []target.Target
	if r.rubric != nil {
		panel = panel.WithRubric(*r.rubric)
		judgeModels = r.rubric.Models
	}
	if r.req.OnStart != nil {
		var todo []redteam.Probe
		for _, p := range r.probes {
			if !r.done[p.ID] {
				todo = append(todo, p)
			}
		}
		r.req.OnStart(Start{Run: *info, Planned: len(r.probes), Done: doneInPlan, Stale: r.stale, Replaced: replaced,
			Blind: BlindJudges(todo, r.jctx, panel), JudgeModels: targetNames(judgeModels),
			SkippedAttacks: r.attacks.skipped, Attackers: r.attacks.attackers})
	}

	// The store commits first; the log writes what the store has
	// committed; the results and live handlers see it last. The results
	// are gathered from the stream (and what was stored before), not read
	// back from the store at the end.
	results := &report.Collector{}
	for i := range stored {
		results.Add(&stored[i])
	}
	chain := redteam.Handlers(append([]redteam.Handler{store.NewHandler(ctx, r.st, info.ID), log, results}, r.req.Handlers...)...)
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	r.meter.stop = stopRun
	if d := r.req.Budget.Time; d > 0 {
		t := time.AfterFunc(d, func() { r.meter.trip(&BudgetError{Budget: "time", Limit: d.String()}) })
		defer t.Stop()
	}
	chain = &costHandler{next: chain, p: newPricer(&r.cfg, r.cfg.Target), meter: r.meter}
	renewDone := r.renew(runCtx, stopRun, owner)

	runEvent := func(typ string) error {
		ri := *info
		ev := redteam.Event{V: redteam.EventVersion, Type: typ, Time: time.Now().UTC(), Run: info.ID, RunInfo: &ri}
		if err := chain.Handle(ev); err != nil {
			return err
		}
		return chain.(redteam.Flusher).Flush()
	}
	if err := runEvent(redteam.EventRunStarted); err != nil {
		stopRun(nil)
		<-renewDone
		return nil, r.abandon(owner, err)
	}
	eng := &redteam.Engine{
		Target:       r.tgt,
		Judge:        panel,
		JudgeContext: r.jctx,
		Attacks:      r.attacks.list,
		Concurrency:  cmp.Or(r.cfg.Concurrency, DefaultConcurrency),
		Breaker:      r.req.Breaker,
		Logger:       r.req.Logger,
	}
	runErr := eng.Execute(runCtx, *info, r.probes, r.done, chain)
	stopRun(nil)
	<-renewDone
	if cause := context.Cause(runCtx); runErr != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		runErr = cause // the lease was lost
	}

	// Record and report whatever is done, even when interrupted: finished
	// probes are never lost. ctx may be cancelled: use one that is not.
	bg := context.WithoutCancel(ctx)
	status := redteam.StatusFinished
	switch {
	case errors.Is(runErr, redteam.ErrTargetFailed):
		status = redteam.StatusTargetFailed
	case errors.Is(runErr, context.Canceled):
		status = redteam.StatusInterrupted
		runErr = fmt.Errorf("%w: %w", ErrInterrupted, runErr)
	case runErr != nil:
		status = redteam.StatusInterrupted
	}
	info.Status, info.Finished = status, time.Now().UTC()
	if err := runEvent(redteam.EventRunFinished); err != nil {
		return nil, errors.Join(runErr, r.abandon(owner, err))
	}
	if err := r.st.Release(bg, info.ID, owner, status, info.Finished); err != nil {
		return nil, errors.Join(runErr, err)
	}
	res := &RedteamResult{Run: *info, Results: results.Results(*info, r.frames...), TargetStored: targetComplete(*info.TargetConfig)}
	if res.Path, err = report.WriteFile(out, res.Results); err != nil {
		return nil, errors.Join(runErr, err)
	}
	return res, runErr
}

// renew keeps the run's lease until ctx ends; if the lease is lost (this
// process stalled past its lapse and another took the run), the run is
// stopped. The returned channel closes when renewing has stopped.
func (r *runner) renew(ctx context.Context, stop context.CancelCauseFunc, owner string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaseEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.st.Renew(ctx, r.info.ID, owner, leaseTTL); err != nil && ctx.Err() == nil {
					if errors.Is(err, store.ErrLeaseLost) {
						stop(fmt.Errorf("run %s: another process took it over: %w", r.info.ID, err))
						return
					}
					r.req.Logger.Warn("cannot renew the run's lease", "run", r.info.ID, "err", err)
				}
			}
		}
	}()
	return done
}

// abandon gives the lease back after a failure before the run started, so
// that the run can be resumed at once.
func (r *runner) abandon(owner string, err error) error {
	if rerr := r.st.Release(context.Background(), r.info.ID, owner, redteam.StatusInterrupted, time.Time{}); rerr != nil && !errors.Is(rerr, store.ErrLeaseLost) {
		return errors.Join(err, rerr)
	}
	return err
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

// buildTarget makes the target and what judges know about it.
func buildTarget(c Config, req RedteamRequest) (target.Target, judge.Context, error) {
	jctx := configJudgeContext(c)
	if req.Target != nil {
		return req.Target, jctx, nil
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
		jctx.Competitors = append(jctx.Competitors, d.Competitors...)
		jctx.Caller = append(jctx.Caller, d.Caller...)
		jctx.Public = append(jctx.Public, d.Public...)
		jctx.ToolsReported = jctx.ToolsReported || d.ToolsReported
		return app, jctx, nil
	}
	t, err := target.New(c.Target, target.WithLogger(req.Logger), target.WithGetenv(req.Getenv))
	if err != nil {
		return nil, jctx, err
	}
	return t, jctx, nil
}

// NewRunID returns a sortable, unique run ID: UTC time plus randomness.
func NewRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
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

// targetNames returns the targets' names.
func targetNames(ts []target.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name()
	}
	return out
}

// meterModel puts the run's meter under an attacker or judge model (below
// the model cache: a cached answer is neither a call nor a cost); a dry
// run has no meter.
func (r *runner) meterModel(m target.Target, mc target.Config) target.Target {
	if r.meter == nil {
		return m
	}
	price, _ := r.cfg.PriceTable().Lookup(modelName(mc))
	return r.meter.wrap(m, price)
}
