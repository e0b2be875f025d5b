package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
)

// maxLineBytes bounds one JSON-lines input line (guard --jsonl, judge);
// longer lines are reported, not processed, and the run goes on.
const maxLineBytes = 16 << 20

// lineFuncs say what eachLine does with a line: do turns a non-blank input
// line (trimmed) into its output line; tooLong gives the output line that
// stands in for a line longer than maxLineBytes. Both are called with the
// line's number, from 1, counting blank lines; do is called concurrently.
// Each returns one complete line, newline included.
type lineFuncs struct {
	do      func(n int, line []byte) []byte
	tooLong func(n int) []byte
}

// eachLine reads lines from r, runs f.do on them on workers goroutines, and
// writes the results to w in input order: the JSON-lines contract of guard
// and judge, one output line per non-blank input line.
//
// It streams: at most a few lines per worker are in flight, so memory
// follows the window, not the input, and w is flushed whenever the next
// result is not ready yet, so a reader of a slow pipe sees each result as
// soon as the ones before it are done.
//
// When ctx ends it stops reading and writing and returns ctx's error; what
// it wrote is a prefix of the full output (a line judged after ctx ended is
// not written). It returns then without waiting for a Read of r that is
// blocked (a terminal): that goroutine ends when the Read returns. A
// failure to write w also stops it.
func eachLine(ctx context.Context, r io.Reader, w io.Writer, workers int, f lineFuncs) error {
	type job struct {
		n    int
		line []byte
		out  chan []byte
	}
	workers = max(workers, 1)
	jobs := make(chan job, workers*4)
	// order holds each line's result slot in input order; its capacity is
	// the window of lines read ahead of the writer.
	order := make(chan chan []byte, workers*16)
	// stop is closed when the writer quits early, so the reader does not
	// block on a full window nobody drains.
	stop := make(chan struct{})
	for range workers {
		go func() {
			for j := range jobs {
				j.out <- f.do(j.n, j.line) // out has room for one: never blocks
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		br := bufio.NewReaderSize(r, 64<<10)
		for n := 1; ; n++ {
			if ctx.Err() != nil {
				readErr <- nil // the writer reports ctx's error
				return
			}
			line, tooLong, err := readLine(br, maxLineBytes)
			if err != nil && err != io.EOF {
				readErr <- err
				return
			}
			if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 || tooLong {
				out := make(chan []byte, 1)
				select {
				case order <- out:
				case <-stop:
					readErr <- nil
					return
				}
				if tooLong {
					// Reported in place: one output line per input line.
					out <- f.tooLong(n)
				} else {
					// readLine returns a fresh slice: the job may keep it.
					select {
					case jobs <- job{n: n, line: trimmed, out: out}:
					case <-stop:
						readErr <- nil
						return
					}
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
	for writeErr == nil {
		out, ok, err := await(ctx, order, bw)
		if writeErr = err; !ok {
			break
		}
		b, ok, err := await(ctx, out, bw)
		// A line done after ctx ended may say so instead of its result:
		// checking ctx after receiving keeps it out of the output.
		if writeErr = err; !ok || ctx.Err() != nil {
			break
		}
		_, writeErr = bw.Write(b)
	}
	if writeErr == nil && ctx.Err() == nil {
		writeErr = bw.Flush()
	}
	if err := ctx.Err(); err != nil {
		close(stop)
		return err
	}
	if writeErr != nil {
		close(stop)
		return fmt.Errorf("writing results: %w", writeErr)
	}
	if err := <-readErr; err != nil {
		return fmt.Errorf("reading input: %w", err)
	}
	return nil
}

// await receives from c. When nothing is ready it flushes bw first, so the
// output so far goes out while the writer waits. ok is false when c is
// closed, ctx ended or the flush failed (err).
func await[T any](ctx context.Context, c <-chan T, bw *bufio.Writer) (v T, ok bool, err error) {
	select {
	case v, ok = <-c:
		return v, ok, nil
	default:
	}
	if err := bw.Flush(); err != nil {
		return v, false, err
	}
	select {
	case v, ok = <-c:
		return v, ok, nil
	case <-ctx.Done():
		return v, false, nil
	}
}

// readLine reads one line (without its newline) of at most max bytes; a
// longer line is consumed to its end and reported as tooLong. err is io.EOF
// after the last line. The line is a fresh slice each time.
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
