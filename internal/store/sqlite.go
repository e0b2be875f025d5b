package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// SQLite is the embedded Store: one database file, written in WAL mode.
//
// Durability: with synchronous=NORMAL in WAL mode a commit is written to the
// log before SaveCase returns but not fsynced, so a saved case survives the
// process being killed (the case resume is built for) and may be lost only
// if the whole machine loses power before the next checkpoint. The database
// itself stays consistent either way.
type SQLite struct {
	path string
	// w is the only connection that writes. One writer means SQLite's
	// write lock is never contended inside this process, so busy errors
	// cannot occur however many goroutines save at once; database/sql
	// queues them instead.
	w *sql.DB
	// r serves reads. WAL lets readers run beside the writer, so listing
	// runs does not wait for a busy engine.
	r *sql.DB
	// save is SaveCase's statement, prepared once on the writer.
	save *sql.Stmt
}

var _ Store = (*SQLite)(nil)

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (for instance a second redoubt writing to the same file).
const busyTimeoutMS = 10000

// readConns bounds the read pool; reads are short and few.
const readConns = 4

// Open opens the store a DSN names: "sqlite:PATH", or a bare PATH, is the
// SQLite database at PATH (see OpenSQLite). Other schemes are errors that
// name them.
func Open(ctx context.Context, dsn string) (Store, error) {
	scheme, rest, ok := strings.Cut(dsn, ":")
	switch {
	case !ok || len(scheme) == 1: // a bare path (C:\... on Windows)
		return OpenSQLite(ctx, dsn)
	case scheme == "sqlite":
		return OpenSQLite(ctx, rest)
	case scheme == "postgres" || scheme == "postgresql":
		return nil, fmt.Errorf("store: %s: PostgreSQL is not supported yet; use sqlite:PATH", scheme)
	}
	if strings.ContainsAny(scheme, `/\.`) {
		return OpenSQLite(ctx, dsn) // a path with a colon in it
	}
	return nil, fmt.Errorf("store: unknown store %q in %q (want sqlite:PATH)", scheme, dsn)
}

// OpenSQLite opens the SQLite store at path, creating the file and its parent
// directories if needed, and brings the schema up to date. Errors name the
// path and say whether the file is not a database or is corrupt.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("store: open: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Owner-only permissions: runs record what targets answered, which may
	// include leaked system prompts or personal data.
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("store: open %s: create directory: %w", path, err)
	}
	// Creating the file here rather than leaving it to SQLite sets its
	// mode (SQLite copies it to the -wal and -shm files) and reports an
	// unwritable location with the operating system's own message.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}

	s := &SQLite{path: path}
	if err := s.open(ctx, abs); err != nil {
		_ = s.Close() // the open error is the one to report
		return nil, openError(path, err)
	}
	return s, nil
}

// open connects the writer, migrates, then connects the readers.
func (s *SQLite) open(ctx context.Context, abs string) error {
	pragmas := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMS),
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
	}
	var err error
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction,
	// so a transaction that reads before it writes cannot fail half-way
	// when another process writes first.
	s.w, err = sql.Open("sqlite", fileDSN(abs, append(pragmas, "_txlock=immediate")))
	if err != nil {
		return err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	// The first connection runs the pragmas: this is where a file that is
	// not a database is found out.
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	ms, err := loadMigrations(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		return err
	}
	if err := migrate(ctx, s.w, ms); err != nil {
		return err
	}

	s.r, err = sql.Open("sqlite", fileDSN(abs, []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMS),
		"_pragma=query_only(1)",
	}))
	if err != nil {
		return err
	}
	s.r.SetMaxOpenConns(readConns)
	if err := s.r.PingContext(ctx); err != nil {
		return err
	}

	s.save, err = s.w.PrepareContext(ctx, `
		INSERT INTO cases (run_id, probe_id, seq, vulnerability, type, attack, outcome, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (run_id, probe_id) DO UPDATE SET
			seq = excluded.seq,
			vulnerability = excluded.vulnerability,
			type = excluded.type,
			attack = excluded.attack,
			outcome = excluded.outcome,
			data = excluded.data`)
	return err
}

// fileDSN builds a SQLite URI for an absolute path. Escaping the path keeps
// a '?', '#' or '%' in a directory name from being read as URI syntax.
func fileDSN(abs string, params []string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows path: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: strings.Join(params, "&")}
	return u.String()
}

// openError names the path and explains the SQLite errors a user can act on.
func openError(path string, err error) error {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("store: open %s: not a SQLite database (wrong file, or encrypted): %w", path, err)
	case sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("store: open %s: database is corrupt: %w", path, err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		return fmt.Errorf("store: open %s: cannot write the database or its directory: %w", path, err)
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// sqliteCode returns the extended SQLite result code in err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// Close closes the database. Pending writes have already been committed.
func (s *SQLite) Close() error {
	var errs []error
	if s.save != nil {
		errs = append(errs, s.save.Close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// Check runs SQLite's integrity check over the whole file. It reads every
// page, so it is for diagnostics (and after a crash), not for every open.
func (s *SQLite) Check(ctx context.Context) error {
	problems, err := s.integrityCheck(ctx)
	if err != nil {
		if sqliteCode(err)&0xff == sqlite3.SQLITE_CORRUPT {
			return fmt.Errorf("store: check %s: database is corrupt: %w", s.path, err)
		}
		return fmt.Errorf("store: check %s: %w", s.path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: check %s: database is corrupt: %s", s.path, strings.Join(problems, "; "))
	}
	return nil
}

// integrityCheck returns the problems PRAGMA integrity_check reports.
func (s *SQLite) integrityCheck(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}

// CreateRun implements Store. An empty Status is stored as "running".
func (s *SQLite) CreateRun(ctx context.Context, run redteam.RunInfo) error {
	if run.ID == "" {
		return errors.New("store: create run: empty run id")
	}
	if run.Status == "" {
		run.Status = "running"
	}
	info, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("store: create run %q: encode: %w", run.ID, err)
	}
	// An upsert, not INSERT OR REPLACE: replacing would delete the row and,
	// through the foreign key, every case a resumed run already has.
	_, err = s.w.ExecContext(ctx, `
		INSERT INTO runs (id, started, finished, target, seed, planned, version, status, info)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET
			started = excluded.started,
			finished = excluded.finished,
			target = excluded.target,
			seed = excluded.seed,
			planned = excluded.planned,
			version = excluded.version,
			status = excluded.status,
			info = excluded.info`,
		run.ID, formatTime(run.Started), nullTime(run.Finished), run.Target, run.Seed,
		run.Planned, run.Version, run.Status, string(info))
	if err != nil {
		return fmt.Errorf("store: create run %q: %w", run.ID, err)
	}
	return nil
}

// SaveCase implements Store. The case is committed when it returns nil.
func (s *SQLite) SaveCase(ctx context.Context, runID string, c redteam.Case) error {
	return s.saveCase(ctx, s.save, runID, Record{Case: &c})
}

// SaveCases implements Store: one transaction, so a batch costs one commit.
func (s *SQLite) SaveCases(ctx context.Context, runID string, cs []Record) (err error) {
	if len(cs) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save %d cases of run %q: begin: %w", len(cs), runID, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback() // the error that matters is err
		}
	}()
	stmt := tx.StmtContext(ctx, s.save)
	for _, c := range cs {
		if err := s.saveCase(ctx, stmt, runID, c); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save %d cases of run %q: commit: %w", len(cs), runID, err)
	}
	return nil
}

// saveCase inserts or replaces one case with stmt (the writer's, or a
// transaction's copy of it).
func (s *SQLite) saveCase(ctx context.Context, stmt *sql.Stmt, runID string, r Record) error {
	c := r.Case
	if c == nil || runID == "" || c.Probe.ID == "" {
		return fmt.Errorf("store: save case: a run id and a case with a probe id must be set (run %q)", runID)
	}
	data := r.JSON
	if data == nil {
		var err error
		if data, err = json.Marshal(c); err != nil {
			return fmt.Errorf("store: save case %s of run %q: encode: %w", c.Probe.ID, runID, err)
		}
	}
	_, err := stmt.ExecContext(ctx, runID, c.Probe.ID, c.Probe.Seq, c.Probe.Vulnerability,
		c.Probe.Type, c.Probe.Attack, string(c.Verdict.Outcome), string(data))
	switch {
	case err == nil:
		return nil
	case sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("store: save case %s: run %q: %w", c.Probe.ID, runID, ErrNotFound)
	default:
		return fmt.Errorf("store: save case %s of run %q: %w", c.Probe.ID, runID, err)
	}
}

// FinishRun implements Store. A zero at clears the finish time.
func (s *SQLite) FinishRun(ctx context.Context, runID, status string, at time.Time) error {
	if status == "" {
		return fmt.Errorf("store: finish run %q: empty status", runID)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE runs SET status = $1, finished = $2, lease_owner = NULL, lease_until = NULL WHERE id = $3`,
		status, nullTime(at), runID)
	if err != nil {
		return fmt.Errorf("store: finish run %q: %w", runID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: finish run %q: %w", runID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: finish run %q: %w", runID, ErrNotFound)
	}
	return nil
}

// Acquire implements Store. The check and the update are one statement, so
// two processes cannot both win.
func (s *SQLite) Acquire(ctx context.Context, runID, owner string, ttl time.Duration) error {
	now := time.Now()
	res, err := s.w.ExecContext(ctx, `UPDATE runs SET lease_owner = $1, lease_until = $2, status = $3, finished = NULL
		WHERE id = $4 AND (lease_until IS NULL OR lease_until < $5 OR lease_owner = $1)`,
		owner, formatTime(now.Add(ttl)), redteam.StatusRunning, runID, formatTime(now))
	if err != nil {
		return fmt.Errorf("store: acquire run %q: %w", runID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var holder string
	var until sql.NullString
	err = s.w.QueryRowContext(ctx, `SELECT COALESCE(lease_owner, ''), lease_until FROM runs WHERE id = $1`, runID).Scan(&holder, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: acquire run %q: %w", runID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: acquire run %q: %w", runID, err)
	}
	t, _ := parseTime(until.String)
	return &LeaseError{Run: runID, Holder: holder, Until: t}
}

// Takeover implements Store.
func (s *SQLite) Takeover(ctx context.Context, runID, from, owner string, ttl time.Duration) error {
	res, err := s.w.ExecContext(ctx, `UPDATE runs SET lease_owner = $1, lease_until = $2, status = $3, finished = NULL
		WHERE id = $4 AND lease_owner = $5`, owner, formatTime(time.Now().Add(ttl)), redteam.StatusRunning, runID, from)
	if err != nil {
		return fmt.Errorf("store: take over run %q: %w", runID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return s.Acquire(ctx, runID, owner, ttl) // it changed hands meanwhile: say who has it now
}

// Renew implements Store.
func (s *SQLite) Renew(ctx context.Context, runID, owner string, ttl time.Duration) error {
	res, err := s.w.ExecContext(ctx, `UPDATE runs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3`,
		formatTime(time.Now().Add(ttl)), runID, owner)
	return s.leaseResult(res, err, "renew", runID)
}

// Release implements Store.
func (s *SQLite) Release(ctx context.Context, runID, owner, status string, at time.Time) error {
	if status == "" {
		return fmt.Errorf("store: release run %q: empty status", runID)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE runs SET status = $1, finished = $2, lease_owner = NULL, lease_until = NULL
		WHERE id = $3 AND lease_owner = $4`, status, nullTime(at), runID, owner)
	return s.leaseResult(res, err, "release", runID)
}

// leaseResult turns the result of an update guarded by the lease owner
// into ErrLeaseLost when it changed nothing.
func (s *SQLite) leaseResult(res sql.Result, err error, op, runID string) error {
	if err != nil {
		return fmt.Errorf("store: %s lease of run %q: %w", op, runID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s lease of run %q: %w", op, runID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s lease of run %q: %w", op, runID, ErrLeaseLost)
	}
	return nil
}

// runColumns are the columns scanRun reads, in order.
const runColumns = `id, finished, status, info, lease_until`

// maxAmbiguous is how many candidates an ambiguous-prefix error lists.
const maxAmbiguous = 5

// Run implements Store. id may be a full run ID or a prefix of exactly one;
// a full ID wins over longer IDs it is a prefix of.
func (s *SQLite) Run(ctx context.Context, id string) (redteam.RunInfo, error) {
	if id == "" {
		return redteam.RunInfo{}, errors.New("store: run: empty run id")
	}
	// substr counts characters, so the prefix length is too. Shortest
	// first puts an exact match ahead of the runs it prefixes.
	rows, err := s.r.QueryContext(ctx, `SELECT `+runColumns+` FROM runs
		WHERE substr(id, 1, $2) = $1
		ORDER BY length(id), id
		LIMIT $3`, id, utf8.RuneCountInString(id), maxAmbiguous+1)
	if err != nil {
		return redteam.RunInfo{}, fmt.Errorf("store: run %q: %w", id, err)
	}
	defer rows.Close()
	var found []redteam.RunInfo
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return redteam.RunInfo{}, fmt.Errorf("store: run %q: %w", id, err)
		}
		found = append(found, r)
	}
	if err := rows.Err(); err != nil {
		return redteam.RunInfo{}, fmt.Errorf("store: run %q: %w", id, err)
	}
	switch {
	case len(found) == 0:
		return redteam.RunInfo{}, fmt.Errorf("store: run %q: %w", id, ErrNotFound)
	case len(found) == 1 || found[0].ID == id:
		return found[0], nil
	}
	ids := make([]string, 0, maxAmbiguous+1)
	for i, r := range found {
		if i == maxAmbiguous {
			ids = append(ids, "...")
			break
		}
		ids = append(ids, r.ID)
	}
	return redteam.RunInfo{}, fmt.Errorf("store: run %q matches %s: %w", id, strings.Join(ids, ", "), ErrAmbiguous)
}

// Runs implements Store.
func (s *SQLite) Runs(ctx context.Context, limit int) ([]RunSummary, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	// The runs are limited before the join, so only their cases are
	// counted.
	rows, err := s.r.QueryContext(ctx, `
		SELECT r.id, r.finished, r.status, r.info, r.lease_until,
			COALESCE(SUM(CASE WHEN c.outcome <> $5 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN c.outcome = $2 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN c.outcome = $3 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN c.outcome = $4 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN c.outcome = $5 THEN 1 ELSE 0 END), 0)
		FROM (SELECT id, started, finished, status, info, lease_until FROM runs ORDER BY started DESC, id DESC LIMIT $1) AS r
		LEFT JOIN cases AS c ON c.run_id = r.id
		GROUP BY r.id, r.started, r.finished, r.status, r.info, r.lease_until
		ORDER BY r.started DESC, r.id DESC`,
		limit, string(judge.Pass), string(judge.Fail), string(judge.Unknown), string(judge.Error))
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	defer rows.Close()
	out := []RunSummary{}
	for rows.Next() {
		var sum RunSummary
		info, err := scanRun(rows, &sum.Done, &sum.Pass, &sum.Fail, &sum.Unknown, &sum.Error)
		if err != nil {
			return nil, fmt.Errorf("store: list runs: %w", err)
		}
		sum.RunInfo = info
		out = append(out, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	return out, nil
}

// Cases implements Store. It fails with ErrNotFound if the run does not
// exist; a run without cases gives an empty slice.
func (s *SQLite) Cases(ctx context.Context, runID string) ([]redteam.Case, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT probe_id, data FROM cases WHERE run_id = $1 ORDER BY seq, probe_id`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: cases of run %q: %w", runID, err)
	}
	defer rows.Close()
	out := []redteam.Case{}
	for rows.Next() {
		var (
			probeID string
			data    []byte
			c       redteam.Case
		)
		if err := rows.Scan(&probeID, &data); err != nil {
			return nil, fmt.Errorf("store: cases of run %q: %w", runID, err)
		}
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("store: case %s of run %q: decode: %w", probeID, runID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: cases of run %q: %w", runID, err)
	}
	if len(out) == 0 {
		if err := s.runExists(ctx, runID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DoneProbes implements Store. It fails with ErrNotFound if the run does
// not exist.
func (s *SQLite) DoneProbes(ctx context.Context, runID string) (map[string]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT probe_id FROM cases WHERE run_id = $1 AND outcome <> $2`, runID, string(judge.Error))
	if err != nil {
		return nil, fmt.Errorf("store: done probes of run %q: %w", runID, err)
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: done probes of run %q: %w", runID, err)
		}
		done[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: done probes of run %q: %w", runID, err)
	}
	if len(done) == 0 {
		if err := s.runExists(ctx, runID); err != nil {
			return nil, err
		}
	}
	return done, nil
}

// runExists returns nil if the run exists and a wrapped ErrNotFound if not.
func (s *SQLite) runExists(ctx context.Context, runID string) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs WHERE id = $1`, runID).Scan(&n); err != nil {
		return fmt.Errorf("store: run %q: %w", runID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: run %q: %w", runID, ErrNotFound)
	}
	return nil
}

// scanRun reads the runColumns of a row into a RunInfo, and any further
// columns into extra. The info JSON gives every field; the columns that
// change after the run is created (status, finished) override it. A run
// that says it is running but whose lease has lapsed was killed: it reads
// as interrupted. (One without a lease yet is being started: CreateRun,
// then Acquire.)
func scanRun(row interface{ Scan(...any) error }, extra ...any) (redteam.RunInfo, error) {
	var (
		id, status        string
		finished, leaseTo sql.NullString
		info              []byte
	)
	dest := append([]any{&id, &finished, &status, &info, &leaseTo}, extra...)
	if err := row.Scan(dest...); err != nil {
		return redteam.RunInfo{}, err
	}
	var r redteam.RunInfo
	if err := json.Unmarshal(info, &r); err != nil {
		return redteam.RunInfo{}, fmt.Errorf("run %q: decode: %w", id, err)
	}
	if status == redteam.StatusRunning && leaseTo.Valid && leaseTo.String < formatTime(time.Now()) {
		status = redteam.StatusInterrupted
	}
	r.ID, r.Status, r.Finished = id, status, time.Time{}
	if finished.Valid {
		var err error
		if r.Finished, err = parseTime(finished.String); err != nil {
			return redteam.RunInfo{}, fmt.Errorf("run %q: finished: %w", id, err)
		}
	}
	return r, nil
}

// timeLayout is how times are stored: UTC, fixed width, nanoseconds, so that
// string order is time order and nothing is rounded.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime renders t in timeLayout.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime is formatTime, or SQL NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// parseTime reads a time written by formatTime. Times come back in UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", s, err)
	}
	return t, nil
}
