-- Runs and their finished probes.
--
-- Times are TEXT in a fixed-width UTC layout (2006-01-02T15:04:05.000000000Z)
-- so that they sort as strings and keep nanoseconds.

-- The columns beside info are copies of RunInfo fields, for listing and
-- sorting without decoding JSON; info is the whole redteam.RunInfo as JSON,
-- so that fields added to it later are kept without a migration. status and
-- finished change when a run ends and are read from their columns.
CREATE TABLE runs (
    id       TEXT    NOT NULL PRIMARY KEY,
    started  TEXT    NOT NULL,
    finished TEXT,
    target   TEXT    NOT NULL,
    seed     INTEGER NOT NULL,
    planned  INTEGER NOT NULL,
    version  TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    info     TEXT    NOT NULL
);

CREATE INDEX runs_started ON runs (started);

-- One row per finished probe. The columns beside data are copies of fields
-- of the case, kept for counting and filtering without decoding JSON; data
-- is the whole redteam.Case as JSON and is the record.
CREATE TABLE cases (
    run_id        TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    probe_id      TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    vulnerability TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    attack        TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    data          TEXT    NOT NULL,
    PRIMARY KEY (run_id, probe_id)
);

CREATE INDEX cases_run_seq ON cases (run_id, seq);
