-- A run is leased to the process running it. The holder renews the lease
-- while it works; a run whose lease has lapsed without a finish (the
-- process was killed) reads as interrupted, and only one process at a time
-- can hold it, so two resumes of one run cannot both send its probes.
-- lease_until is a time in the layout of 0001.
ALTER TABLE runs ADD COLUMN lease_owner TEXT;
ALTER TABLE runs ADD COLUMN lease_until TEXT;

-- Runs left "running" by a version without leases were killed: no process
-- can be renewing them.
UPDATE runs SET status = 'interrupted' WHERE status = 'running';
