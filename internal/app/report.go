package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/redoubt-sec/redoubt/internal/report"
	"github.com/redoubt-sec/redoubt/internal/store"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
)

// ReportRequest names a run to render again.
type ReportRequest struct {
	// Source is a run's ID (or a unique prefix) in the store, or the path
	// of its event log (events.jsonl) or of the directory that holds it.
	Source string
	// Store is the run store's DSN (default DefaultStore); it is read only
	// when Source is not a file.
	Store string
}

// Report renders a stored run again, from the store or from its event log:
// the same results a run writes into results.json when it ends. A run that
// was killed is reported as interrupted, with everything it finished.
func Report(ctx context.Context, req ReportRequest) (report.Results, error) {
	if req.Source == "" {
		return report.Results{}, usagef("name a run: its ID, or the path of its events.jsonl or output directory")
	}
	run, cases, err := loadReport(ctx, req)
	if err != nil {
		return report.Results{}, err
	}
	return report.Build(run, cases, reportFrameworks(run)...), nil
}

// loadReport reads the run and its cases from the source.
func loadReport(ctx context.Context, req ReportRequest) (redteam.RunInfo, []redteam.Case, error) {
	path := req.Source
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			path = filepath.Join(path, report.EventsFile)
		}
		f, err := os.Open(path)
		if err != nil {
			return redteam.RunInfo{}, nil, usage(err)
		}
		defer f.Close()
		s, err := report.ReadEvents(f, path)
		if err != nil {
			return redteam.RunInfo{}, nil, usage(err)
		}
		return s.Run, s.Cases, nil
	}
	dsn := req.Store
	if dsn == "" {
		dsn = DefaultStore
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return redteam.RunInfo{}, nil, err
	}
	defer st.Close()
	run, err := st.Run(ctx, req.Source)
	if errors.Is(err, store.ErrNotFound) {
		return redteam.RunInfo{}, nil, usage(fmt.Errorf("%s is neither a file nor a run in the store %s (see 'redoubt runs')", req.Source, dsn))
	}
	if err != nil {
		return redteam.RunInfo{}, nil, usage(err)
	}
	cases, err := st.Cases(ctx, run.ID)
	if err != nil {
		return redteam.RunInfo{}, nil, err
	}
	return run, cases, nil
}

// reportFrameworks are the frameworks a run's results are tallied by: the
// one it was planned from, or all of them, with the custom vulnerabilities
// of its configuration mapped in when the file can still be read.
func reportFrameworks(run redteam.RunInfo) []catalog.Framework {
	fws := catalog.Frameworks()
	if run.ConfigPath != "" {
		if c, err := LoadConfig(run.ConfigPath); err == nil {
			fws = c.Frameworks()
		}
	}
	if id := run.Options.Framework; id != "" {
		if f, err := redteam.FindFramework(fws, id); err == nil {
			return []catalog.Framework{f}
		}
	}
	return fws
}

// Runs lists up to limit runs of the store at dsn (all when limit <= 0),
// newest first, with their progress and outcomes.
func Runs(ctx context.Context, dsn string, limit int) ([]store.RunSummary, error) {
	if dsn == "" {
		dsn = DefaultStore
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	runs, err := st.Runs(ctx, limit)
	if runs == nil && err == nil {
		runs = []store.RunSummary{}
	}
	return runs, err
}
