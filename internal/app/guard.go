package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/guard"
)

// guardLine is one line of --jsonl output (see GuardLines).
type guardLine struct {
	ID       json.RawMessage    `json:"id"`
	Flagged  bool               `json:"flagged"`
	Action   guard.Action       `json:"action"`
	Scores   map[string]float64 `json:"scores"`
	Findings []finding.Finding  `json:"findings"`
	Redacted *string            `json:"redacted,omitempty"`
}

type guardInput struct {
	ID     json.RawMessage `json:"id"`
	Text   *string         `json:"text"`
	Prompt string          `json:"prompt"`
}

// GuardLines checks JSON lines {"id"?, "text", "prompt"?} read from r with g
// and writes one result line per input line to w, in input order (the
// `redoubt guard --jsonl` contract):
//
//	{"id", "flagged", "action", "scores": {"scanner": 0..1},
//	 "findings": [{"scanner", "type", "start", "end", "score"}], "redacted"?}
//
// Lines are checked on one worker per CPU. A line that is not valid JSON,
// has no text or is too long gets {"line": N, "error": "..."} in its place
// and the rest go on; bad counts them. err is a failure to read r or write w.
func GuardLines(g *guard.Guard, dir guard.Direction, r io.Reader, w io.Writer) (bad int, err error) {
	type job struct {
		n    int
		line []byte
		out  chan []byte
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job, workers*4)
	order := make(chan chan []byte, workers*16)
	var badMu sync.Mutex

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				res, err := checkLine(g, dir, j.n, j.line)
				if err != nil {
					badMu.Lock()
					bad++
					badMu.Unlock()
				}
				j.out <- res
			}
		})
	}
	// Reader: feed jobs and keep their order.
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		br := bufio.NewReaderSize(r, 64<<10)
		for n := 1; ; n++ {
			line, tooLong, err := readLine(br, maxLineBytes)
			if err != nil && err != io.EOF {
				readErr <- err
				return
			}
			if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 || tooLong {
				out := make(chan []byte, 1)
				order <- out
				if tooLong {
					// Reported in place: one output line per input line.
					b, _ := json.Marshal(map[string]any{"line": n, "error": fmt.Sprintf("line %d: longer than %d bytes; not checked", n, maxLineBytes)})
					out <- append(b, '\n')
					badMu.Lock()
					bad++
					badMu.Unlock()
				} else {
					jobs <- job{n: n, line: bytes.Clone(trimmed), out: out}
				}
			}
			if err == io.EOF {
				readErr <- nil
				return
			}
		}
	}()
	bw := bufio.NewWriterSize(w, 64<<10)
	var writeErr error
	for out := range order {
		b := <-out
		if writeErr == nil {
			_, writeErr = bw.Write(b)
		}
	}
	wg.Wait()
	if err := bw.Flush(); writeErr == nil {
		writeErr = err
	}
	if err := <-readErr; err != nil {
		return bad, fmt.Errorf("reading input: %w", err)
	}
	if writeErr != nil {
		return bad, fmt.Errorf("writing results: %w", writeErr)
	}
	return bad, nil
}

// checkLine checks one input line and returns the output line.
func checkLine(g *guard.Guard, dir guard.Direction, n int, line []byte) ([]byte, error) {
	var in guardInput
	err := json.Unmarshal(line, &in)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		err = fmt.Errorf("invalid JSON at byte %d: %w", syn.Offset, err)
	}
	if err == nil && in.Text == nil {
		err = errors.New(`missing "text"`)
	}
	if err != nil {
		b, _ := json.Marshal(struct {
			Line  int             `json:"line"`
			ID    json.RawMessage `json:"id,omitempty"`
			Error string          `json:"error"`
		}{n, in.ID, fmt.Sprintf("line %d: %v", n, err)})
		return append(b, '\n'), err
	}
	d := g.Check(dir, in.Prompt, *in.Text)
	roundScores(&d)
	out := guardLine{ID: in.ID, Flagged: d.Flagged, Action: d.Action, Scores: d.Scores, Findings: d.Findings}
	if out.ID == nil {
		out.ID = json.RawMessage("null")
	}
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if d.Redacted {
		out.Redacted = &d.Sanitized
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// roundScores keeps four decimals: more is noise to a reader and makes
// outputs churn between model versions.
func roundScores(d *guard.Decision) {
	r := func(v float64) float64 { return math.Round(v*1e4) / 1e4 }
	for k, v := range d.Scores {
		d.Scores[k] = r(v)
	}
	for i := range d.Findings {
		d.Findings[i].Score = r(d.Findings[i].Score)
	}
}

// maxLineBytes bounds one --jsonl input line; longer lines are reported, not
// checked, and the run goes on.
const maxLineBytes = 16 << 20

// readLine reads one line (without its newline) of at most max bytes; a
// longer line is consumed to its end and reported as tooLong. err is io.EOF
// after the last line.
func readLine(r *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) <= max+1 {
			line = append(line, chunk...)
		} else {
			tooLong, line = true, nil
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), tooLong, err
	}
}
