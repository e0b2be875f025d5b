package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/guard"
	"github.com/redoubt-sec/redoubt/internal/detect"
)

type guardFlags struct {
	jsonl     bool
	direction string
	scanners  []string
	policy    string
	prompt    string
}

func newGuardCmd(e *env) *cobra.Command {
	var f guardFlags
	cmd := &cobra.Command{
		Use:   "guard [TEXT]",
		Short: "Check prompts or replies with the guard's scanners",
		Long: `guard checks text with the scanners of a policy (the built-in default, or
--policy FILE): prompt injection, PII, secrets, toxicity, hidden text, exfiltration
links and more (docs/guard.md).

For a human: redoubt guard "some text" (or the text on stdin) prints the decision.

For scripts, --jsonl reads JSON lines {"id"?, "text", "prompt"?} on stdin and writes,
in the same order, one line per input:
  {"id", "flagged", "action", "scores": {"scanner": 0..1},
   "findings": [{"scanner", "type", "start", "end", "score"}], "redacted"?}
Offsets are byte offsets into text. A line that is not valid JSON gets
{"line": N, "error": "..."} and the run goes on; the exit code is then 3.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, dir, err := buildGuard(f)
			if err != nil {
				return usageErr(err)
			}
			if f.jsonl {
				if len(args) > 0 {
					return usagef("--jsonl reads stdin; do not also give a text argument")
				}
				return guardJSONL(e, g, dir)
			}
			text := ""
			if len(args) == 1 {
				text = args[0]
			} else {
				b, err := io.ReadAll(e.stdin)
				if err != nil {
					return &exitError{code: ExitFailure, err: fmt.Errorf("reading stdin: %w", err)}
				}
				text = string(b)
			}
			return guardHuman(e, g, dir, f.prompt, text)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.jsonl, "jsonl", false, "read JSON lines on stdin, write one JSON line per input")
	fl.StringVar(&f.direction, "direction", "input", "input (prompts) or output (replies)")
	fl.StringSliceVar(&f.scanners, "scanners", nil, "run only these scanners: "+strings.Join(guard.ScannerNames(), ", "))
	fl.StringVar(&f.policy, "policy", "", "policy file (YAML); default: the built-in policy")
	fl.StringVar(&f.prompt, "prompt", "", "with --direction output: the prompt the reply answers")
	return cmd
}

func buildGuard(f guardFlags) (*guard.Guard, guard.Direction, error) {
	dir := guard.Direction(f.direction)
	if dir != guard.Input && dir != guard.Output {
		return nil, "", fmt.Errorf("--direction must be input or output, got %q", f.direction)
	}
	p := guard.DefaultPolicy()
	if f.policy != "" {
		var err error
		if p, err = guard.LoadPolicy(f.policy); err != nil {
			return nil, "", err
		}
	}
	g, err := guard.New(p)
	if err != nil {
		return nil, "", err
	}
	if len(f.scanners) > 0 {
		if g, err = g.With(dir, f.scanners); err != nil {
			return nil, "", err
		}
	}
	return g, dir, nil
}

// guardLine is one line of --jsonl output (the contract in DESIGN.md).
type guardLine struct {
	ID       json.RawMessage    `json:"id"`
	Flagged  bool               `json:"flagged"`
	Action   guard.Action       `json:"action"`
	Scores   map[string]float64 `json:"scores"`
	Findings []detect.Finding   `json:"findings"`
	Redacted *string            `json:"redacted,omitempty"`
}

type guardInput struct {
	ID     json.RawMessage `json:"id"`
	Text   *string         `json:"text"`
	Prompt string          `json:"prompt"`
}

// guardJSONL checks each line on a pool of workers and writes the results
// in input order.
func guardJSONL(e *env, g *guard.Guard, dir guard.Direction) error {
	type job struct {
		n    int
		line []byte
		out  chan []byte
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job, workers*4)
	order := make(chan chan []byte, workers*16)
	var bad int
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
		r := bufio.NewReaderSize(e.stdin, 64<<10)
		for n := 1; ; n++ {
			line, tooLong, err := readLine(r, maxLineBytes)
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
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	var writeErr error
	for out := range order {
		b := <-out
		if writeErr == nil {
			_, writeErr = w.Write(b)
		}
	}
	wg.Wait()
	if err := w.Flush(); writeErr == nil {
		writeErr = err
	}
	if err := <-readErr; err != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("reading stdin: %w", err)}
	}
	if writeErr != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("writing results: %w", writeErr)}
	}
	if bad > 0 {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%d input line(s) could not be checked (see their \"error\" fields)", bad)}
	}
	return nil
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
		out.Findings = []detect.Finding{}
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

// guardHuman prints a decision for a person.
func guardHuman(e *env, g *guard.Guard, dir guard.Direction, prompt, text string) error {
	d := g.Check(dir, prompt, text)
	w := e.stdout
	fmt.Fprintf(w, "action: %s (flagged: %v)\n", d.Action, d.Flagged)
	fmt.Fprintln(w, "scores:")
	for _, s := range guard.ScannerNames() {
		if v, ok := d.Scores[s]; ok {
			fmt.Fprintf(w, "  %-16s %.2f\n", s, v)
		}
	}
	if len(d.Findings) > 0 {
		fmt.Fprintln(w, "findings:")
		for _, f := range d.Findings {
			fmt.Fprintf(w, "  %-16s %-22s %5d-%-5d %.2f  %q\n", f.Scanner, f.Type, f.Start, f.End, f.Score, excerpt(text, f.Start, f.End))
		}
	}
	if d.Redacted {
		fmt.Fprintf(w, "redacted:\n%s\n", d.Sanitized)
	}
	return nil
}

// excerpt returns text[start:end], shortened for display.
func excerpt(text string, start, end int) string {
	s := text[start:end]
	if len(s) > 60 {
		s = s[:40] + "..." + s[len(s)-12:]
	}
	return strings.ToValidUTF8(s, "?")
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
