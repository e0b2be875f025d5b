package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/redoubt-sec/redoubt/redteam"
)

// EventsFile is the name of a run's event log in its output directory.
const EventsFile = "events.jsonl"

// maxEventLine bounds one line of an event log when reading it back; a
// case holds every turn of a probe, replies included, so it can be large.
const maxEventLine = 64 << 20

// EventLog writes a run's event stream as JSON lines: the canonical record
// of the run beside the store. It records the events that make the record
// (run_started, verdict, probe_errored, run_finished); the live ones
// (probe_started, reply) repeat what a verdict carries and are left to
// live handlers. It is a redteam.Handler that buffers and writes on Flush,
// and it comes after the store among a run's handlers, so the log never
// holds a verdict the store has not committed.
type EventLog struct {
	f       *os.File
	buf     bytes.Buffer
	enc     *json.Encoder
	written time.Time
}

// Writes are batched: the log is repaired from the store on resume, so it
// need not reach the file at every flush of the store. It is written when
// this much is buffered or this long has passed, and on Close.
const (
	logWriteBytes = 256 << 10
	logWriteEvery = 500 * time.Millisecond
)

var (
	_ redteam.Handler = (*EventLog)(nil)
	_ redteam.Flusher = (*EventLog)(nil)
)

// OpenEventLog opens the event log at path for run. A new run (resume
// false) starts a fresh file. A resumed run's file is repaired first, so
// that the log and the store agree whatever interrupted the run: a line cut
// off by a kill is dropped, and verdicts the store committed that the log
// missed (the process died between the two) are appended from stored. A
// file that belongs to another run is replaced, rebuilt from stored.
// replaced is the ID of the run whose log was replaced, if any.
func OpenEventLog(path string, run redteam.RunInfo, resume bool, stored []redteam.Case) (l *EventLog, replaced string, err error) {
	other, keep, logged, err := scanLog(path, run.ID)
	if err != nil {
		return nil, "", err
	}
	flag := os.O_CREATE | os.O_WRONLY
	if !resume || other != "" {
		flag |= os.O_TRUNC
		keep, logged = 0, nil
	}
	// Replies may hold leaked data, like the store: owner-only.
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("opening event log: %w", err)
	}
	l = &EventLog{f: f}
	l.enc = json.NewEncoder(&l.buf)
	if err := f.Truncate(keep); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("repairing event log %s: %w", path, err)
	}
	if _, err := f.Seek(keep, io.SeekStart); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("repairing event log %s: %w", path, err)
	}
	if resume {
		if keep == 0 {
			ri := run
			if err := l.Handle(redteam.Event{V: redteam.EventVersion, Type: redteam.EventRunStarted, Time: run.Started, Run: run.ID, RunInfo: &ri}); err != nil {
				f.Close()
				return nil, "", err
			}
		}
		for i := range stored {
			c := &stored[i]
			if c.Errored() || logged[c.Probe.ID] {
				continue
			}
			ev := redteam.Event{V: redteam.EventVersion, Type: redteam.EventVerdict, Time: c.Started.Add(c.Elapsed), Run: run.ID, ProbeID: c.Probe.ID, Case: c}
			if err := l.Handle(ev); err != nil {
				f.Close()
				return nil, "", err
			}
		}
		if err := l.write(); err != nil {
			f.Close()
			return nil, "", err
		}
	}
	return l, other, nil
}

// scanLog reads an existing log: the run it belongs to when that is not
// runID, the length of its whole lines, and the probes it has verdicts for.
// A missing file is an empty log.
func scanLog(path, runID string) (other string, keep int64, logged map[string]bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", 0, nil, nil
	}
	if err != nil {
		return "", 0, nil, fmt.Errorf("reading event log: %w", err)
	}
	defer f.Close()
	logged = map[string]bool{}
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var ev struct {
				Run     string `json:"run"`
				Type    string `json:"type"`
				ProbeID string `json:"probe_id"`
			}
			if json.Unmarshal(line, &ev) != nil {
				// A damaged line ends what can be trusted.
				return other, keep, logged, nil
			}
			if ev.Run != runID && ev.Run != "" {
				return ev.Run, 0, nil, nil
			}
			if ev.Type == redteam.EventVerdict {
				logged[ev.ProbeID] = true
			}
			keep += int64(len(line))
		}
		if errors.Is(err, io.EOF) {
			return other, keep, logged, nil
		}
		if err != nil {
			return "", 0, nil, fmt.Errorf("reading event log %s: %w", path, err)
		}
	}
}

// Handle implements redteam.Handler: the event is encoded into the buffer.
// A case the engine already encoded (Event.CaseJSON) is spliced in, not
// encoded again.
func (l *EventLog) Handle(ev redteam.Event) error {
	if ev.Type == redteam.EventProbeStarted || ev.Type == redteam.EventReply {
		return nil
	}
	if ev.Case == nil || len(ev.CaseJSON) == 0 {
		return l.enc.Encode(ev)
	}
	ev.Case = nil
	start := l.buf.Len()
	if err := l.enc.Encode(ev); err != nil {
		return err
	}
	// The encoder wrote {...}\n: the case goes before the closing brace.
	l.buf.Truncate(l.buf.Len() - 2)
	if l.buf.Len() > start+1 {
		l.buf.WriteByte(',')
	}
	l.buf.WriteString(`"case":`)
	l.buf.Write(ev.CaseJSON)
	l.buf.WriteString("}\n")
	return nil
}

// Flush implements redteam.Flusher: the buffered lines are written once
// enough of them wait, or enough time has passed.
func (l *EventLog) Flush() error {
	if l.buf.Len() < logWriteBytes && time.Since(l.written) < logWriteEvery {
		return nil
	}
	return l.write()
}

// write writes the buffered lines.
func (l *EventLog) write() error {
	l.written = time.Now()
	if l.buf.Len() == 0 {
		return nil
	}
	if _, err := l.f.Write(l.buf.Bytes()); err != nil {
		return fmt.Errorf("writing event log: %w", err)
	}
	l.buf.Reset()
	return nil
}

// Close writes what is buffered and closes the file.
func (l *EventLog) Close() error {
	return errors.Join(l.write(), l.f.Close())
}

// Stream is a run read back from its event log.
type Stream struct {
	Run redteam.RunInfo
	// Cases are the finished probes in plan order: each probe's last
	// verdict, or its last error if it never got one.
	Cases []redteam.Case
	// Truncated is set when the last line was cut off (the run was
	// killed while writing it); it is ignored.
	Truncated bool
}

// ReadEvents reads a run's event log. source names it in errors. Events of
// a newer schema version than this program knows are refused; a damaged
// line is an error that gives its number, except a last line without its
// newline, which a kill leaves behind and is skipped.
func ReadEvents(r io.Reader, source string) (*Stream, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var (
		s       Stream
		started bool
		final   = map[string]redteam.Case{}
	)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) && len(line) == 0 {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:%d: %w", source, n, err)
		}
		torn := errors.Is(err, io.EOF) // no newline at the end
		if len(bytes.TrimSpace(line)) == 0 {
			if torn {
				break
			}
			continue
		}
		var ev redteam.Event
		if uerr := json.Unmarshal(line, &ev); uerr != nil {
			if torn {
				s.Truncated = true
				break
			}
			return nil, fmt.Errorf("%s:%d: not an event: %v", source, n, uerr)
		}
		if ev.V > redteam.EventVersion {
			return nil, fmt.Errorf("%s:%d: event version %d is newer than this program knows (%d): upgrade redoubt", source, n, ev.V, redteam.EventVersion)
		}
		switch ev.Type {
		case redteam.EventRunStarted, redteam.EventRunFinished:
			if ev.RunInfo == nil {
				return nil, fmt.Errorf("%s:%d: %s event without run_info", source, n, ev.Type)
			}
			if started && ev.RunInfo.ID != s.Run.ID {
				return nil, fmt.Errorf("%s:%d: event of run %s in the log of run %s", source, n, ev.RunInfo.ID, s.Run.ID)
			}
			s.Run, started = *ev.RunInfo, true
		case redteam.EventVerdict, redteam.EventProbeErrored:
			if ev.Case == nil {
				return nil, fmt.Errorf("%s:%d: %s event without case", source, n, ev.Type)
			}
			prev, seen := final[ev.Case.Probe.ID]
			// A verdict is final; an error only stands until one comes.
			if !seen || prev.Errored() {
				final[ev.Case.Probe.ID] = *ev.Case
			}
		}
		if torn {
			break
		}
	}
	if !started {
		return nil, fmt.Errorf("%s: no run_started event: not a redoubt event log", source)
	}
	for _, c := range final {
		s.Cases = append(s.Cases, c)
	}
	slices.SortFunc(s.Cases, func(a, b redteam.Case) int {
		return cmp.Or(cmp.Compare(a.Probe.Seq, b.Probe.Seq), strings.Compare(a.Probe.ID, b.Probe.ID))
	})
	if s.Run.Status == redteam.StatusRunning {
		// The log ends without run_finished: the run was killed.
		s.Run.Status = redteam.StatusInterrupted
		s.Run.Finished = time.Time{}
	}
	return &s, nil
}

// readLine reads one line of up to maxEventLine bytes, without its newline.
// It returns io.EOF with the line when the input ends without a newline.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxEventLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxEventLine)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}
