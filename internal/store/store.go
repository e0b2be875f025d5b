// Package store keeps the history of red-team runs: one row per run and one
// row per finished probe (a Case), each committed as soon as it is saved so
// that a run killed at any moment can resume without redoing or losing the
// probes it had finished.
//
// SQLite (pure Go, no cgo) is the embedded default; a PostgreSQL store for
// teams implements the same Store interface later, which is why the SQL is
// kept portable ($n placeholders, ON CONFLICT upserts, no SQLite-only
// functions) and the schema lives in numbered migration files per dialect.
//
// The store saves what it is given. Callers keep secrets out of RunInfo and
// Case values (by contract, RunInfo.Options holds none).
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redoubt-sec/redoubt/redteam"
)

// ErrNotFound is returned, wrapped with the ID that was asked for, when a run
// does not exist.
var ErrNotFound = errors.New("not found")

// Record is a case to save, with its JSON encoding when the caller already
// has it (the engine encodes each finished case once, for every handler).
type Record struct {
	Case *redteam.Case
	JSON []byte // nil: the store encodes Case
}

// ErrLeased is returned, wrapped with who holds the run and until when,
// when another process is running the run that Acquire asked for.
var ErrLeased = errors.New("run is in use by another process")

// LeaseError says who holds a run that Acquire could not lease. It
// matches ErrLeased.
type LeaseError struct {
	Run    string
	Holder string
	Until  time.Time
}

func (e *LeaseError) Error() string {
	return fmt.Sprintf("run %s is held by %s (lease ends in %s)", e.Run, e.Holder, time.Until(e.Until).Round(time.Second))
}

// Is makes errors.Is(err, ErrLeased) true.
func (e *LeaseError) Is(target error) bool { return target == ErrLeased }

// ErrLeaseLost is returned by Renew and Release when the lease is no longer
// the caller's: it lapsed and another process took the run.
var ErrLeaseLost = errors.New("lease on the run was lost")

// ErrAmbiguous is returned, wrapped with the prefix and the runs it matches,
// when a run ID prefix matches more than one run.
var ErrAmbiguous = errors.New("ambiguous run id prefix")

// RunSummary is a run with the tally of its saved cases, as listed by
// `redoubt runs`.
type RunSummary struct {
	redteam.RunInfo
	// Done is the number of probes done (saved with a verdict); Pass, Fail
	// and Unknown split it by outcome. Error counts the saved probes that
	// errored, which are not done: a resume plays them again.
	Done    int `json:"done"`
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	Unknown int `json:"unknown"`
	Error   int `json:"error"`
}

// Store is the run history. Implementations are safe for concurrent use; a
// case is durable (survives the process being killed) once SaveCase or
// SaveCases returns nil.
//
// A run being executed is leased to one process (Acquire), which renews the
// lease while it works (Renew) and gives it up with the run's final status
// (Release). A run whose status is running but whose lease has lapsed was
// killed: Run and Runs report it as interrupted.
type Store interface {
	// CreateRun records a new run or, when a run with the same ID is
	// stored (a resumed run), replaces its info and keeps its cases.
	CreateRun(ctx context.Context, run redteam.RunInfo) error
	// SaveCase stores a finished probe of a run, replacing an earlier save
	// of the same probe, so saving twice is harmless. It fails with
	// ErrNotFound if the run does not exist.
	SaveCase(ctx context.Context, runID string, c redteam.Case) error
	// SaveCases stores several cases in one transaction: all or none.
	SaveCases(ctx context.Context, runID string, cs []Record) error
	// Acquire leases the run to owner for ttl and marks it running. It
	// fails with ErrLeased if another owner holds a lease that has not
	// lapsed, and with ErrNotFound if the run does not exist.
	Acquire(ctx context.Context, runID, owner string, ttl time.Duration) error
	// Takeover moves the lease of a holder known to be dead (its process
	// is gone) to owner, before the lease lapses. It fails with ErrLeased
	// if the run is no longer held by from.
	Takeover(ctx context.Context, runID, from, owner string, ttl time.Duration) error
	// Renew extends owner's lease by ttl from now, or fails with
	// ErrLeaseLost.
	Renew(ctx context.Context, runID, owner string, ttl time.Duration) error
	// Release ends owner's lease and sets the run's final status and
	// finish time, or fails with ErrLeaseLost.
	Release(ctx context.Context, runID, owner, status string, at time.Time) error
	// FinishRun sets a run's status and finish time. It fails with
	// ErrNotFound if the run does not exist.
	FinishRun(ctx context.Context, runID, status string, at time.Time) error
	// Run returns the run with the given ID or unique ID prefix.
	Run(ctx context.Context, id string) (redteam.RunInfo, error)
	// Runs lists up to limit runs (all when limit <= 0), newest first.
	Runs(ctx context.Context, limit int) ([]RunSummary, error)
	// Cases returns a run's saved cases ordered by probe sequence.
	Cases(ctx context.Context, runID string) ([]redteam.Case, error)
	// DoneProbes returns the IDs of the probes of a run that are done: they
	// have a saved case with a verdict. Errored cases are not done.
	DoneProbes(ctx context.Context, runID string) (map[string]bool, error)
	// Close releases the store. It must not be called while other methods
	// are running.
	Close() error
}
