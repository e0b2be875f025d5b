// Package sse reads and writes server-sent events, the text/event-stream
// format of the WHATWG HTML standard ("Server-sent events", section 9.2),
// which the OpenAI and Anthropic APIs use to stream replies.
//
// The Reader follows the standard's parsing rules exactly: the stream is
// decoded as UTF-8 (a leading byte order mark is dropped, invalid bytes
// become U+FFFD the way the standard's decoder replaces them), lines end in
// CRLF, LF or CR, and fields, comments and dispatch work as the standard
// says. Unlike a browser it bounds what it buffers, because the server on
// the other end may be hostile.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// DefaultMaxEventSize is the limit NewReader uses when given 0: large
// enough for a model's reply or tool arguments sent as one event, small
// enough that a hostile server cannot exhaust memory.
const DefaultMaxEventSize = 8 << 20

// Event is one dispatched event.
type Event struct {
	// Type is the event field, or "message" when the event had none (the
	// standard's default).
	Type string
	// Data is the data fields joined with "\n".
	Data string
	// ID is the last event ID in effect when the event was dispatched: the
	// last id field seen so far in the stream, not only in this event.
	ID string
}

// ErrTooLarge is matched (errors.Is) by the error a Reader returns when a
// line or an event's data exceeds its limit.
var ErrTooLarge = errors.New("event too large")

// ErrTruncated is returned instead of io.EOF when the stream ends inside
// an event: after a field line but before the blank line that dispatches
// it, or in the middle of a line. As the standard requires, that partial
// event is not dispatched; the error lets a caller tell a cut connection
// from a stream that ended cleanly.
var ErrTruncated = errors.New("sse: stream ended inside an event")

// LimitError is the error for a line or an event over the limit.
type LimitError struct {
	Line  int // 1-based line number where the limit was crossed
	Limit int // the limit in bytes
	What  string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("sse: line %d: %s exceeds the %d-byte limit", e.Line, e.What, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// Reader parses an event stream. It is not safe for concurrent use.
type Reader struct {
	src io.Reader
	max int

	buf        []byte // buf[r:w] is read but not yet parsed
	r, w       int
	started    bool // the byte order mark check is done
	skipLF     bool // the last line ended in CR: an LF right after it belongs to it
	eof        bool
	err        error // sticky error from src
	line       int   // lines parsed so far
	data       []byte
	eventType  []byte
	pending    bool // a field line was seen since the last dispatch
	lastID     string
	retry      time.Duration
	maxBufSize int // for tests: the largest buf ever allocated
}

// NewReader returns a Reader of src that rejects lines and events whose
// data is larger than maxEventSize bytes (DefaultMaxEventSize when 0 or
// negative). What the Reader buffers stays within a small multiple of that.
func NewReader(src io.Reader, maxEventSize int) *Reader {
	if maxEventSize <= 0 {
		maxEventSize = DefaultMaxEventSize
	}
	return &Reader{src: src, max: maxEventSize}
}

// Retry returns the reconnection time the stream last set with a retry
// field, or 0 when it set none.
func (r *Reader) Retry() time.Duration { return r.retry }

// Next returns the next event. At the end of the stream it returns io.EOF,
// or ErrTruncated when the stream ended inside an event. Errors from the
// underlying reader are returned as they are; after any error, Next keeps
// returning it.
func (r *Reader) Next() (Event, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF && r.pending {
				err = ErrTruncated
			}
			r.err = err
			return Event{}, err
		}
		if ev, ok, err := r.processLine(line); err != nil {
			r.err = err
			return Event{}, err
		} else if ok {
			return ev, nil
		}
	}
}

// processLine applies one line to the event being built and reports
// whether it dispatched an event.
func (r *Reader) processLine(line []byte) (Event, bool, error) {
	if !utf8.Valid(line) {
		line = decodeUTF8(line)
	}
	if len(line) == 0 {
		return r.dispatch()
	}
	if line[0] == ':' {
		return Event{}, false, nil // a comment
	}
	r.pending = true
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "event":
		r.eventType = append(r.eventType[:0], value...)
	case "data":
		if len(r.data)+len(value)+1 > r.max {
			return Event{}, false, &LimitError{Line: r.line, Limit: r.max, What: "the event's data"}
		}
		r.data = append(r.data, value...)
		r.data = append(r.data, '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.lastID = string(value)
		}
	case "retry":
		if ms, ok := parseDigits(value); ok {
			r.retry = time.Duration(ms) * time.Millisecond
		}
	}
	return Event{}, false, nil
}

// dispatch ends the event at a blank line. An event without data is not
// dispatched, but its type is still reset (the standard's rule).
func (r *Reader) dispatch() (Event, bool, error) {
	r.pending = false
	if len(r.data) == 0 {
		r.eventType = r.eventType[:0]
		return Event{}, false, nil
	}
	ev := Event{Type: "message", Data: string(r.data[:len(r.data)-1]), ID: r.lastID}
	if len(r.eventType) > 0 {
		ev.Type = string(r.eventType)
	}
	r.data = r.data[:0]
	r.eventType = r.eventType[:0]
	// Do not keep a huge buffer alive after one large event.
	if cap(r.data) > 64<<10 {
		r.data = nil
	}
	return ev, true, nil
}

// parseDigits reads a non-empty run of ASCII digits as milliseconds. A
// value too large for a time.Duration is ignored like any invalid one.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || ms > int64(time.Duration(1<<63-1)/time.Millisecond) {
		return 0, false
	}
	return ms, true
}

// readLine returns the next line without its terminator. The slice is
// valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.started {
		// The byte order mark may arrive split over several reads.
		for r.w-r.r < 3 && !r.eof {
			if err := r.fill(); err != nil {
				return nil, err
			}
		}
		if bytes.HasPrefix(r.buf[r.r:r.w], []byte("\xEF\xBB\xBF")) {
			r.r += 3
		}
		r.started = true
	}
	scanned := 0 // bytes of buf[r.r:r.w] known to hold no line end
	for {
		if r.skipLF && r.r < r.w {
			if r.buf[r.r] == '\n' {
				r.r++
			}
			r.skipLF = false
		}
		b := r.buf[r.r:r.w]
		if i := indexLineEnd(b[scanned:]); i >= 0 {
			i += scanned
			line := b[:i]
			r.skipLF = b[i] == '\r'
			r.r += i + 1
			r.line++
			return line, nil
		}
		scanned = len(b)
		if len(b) > r.max {
			return nil, &LimitError{Line: r.line + 1, Limit: r.max, What: "the line"}
		}
		if r.eof {
			if len(b) > 0 {
				r.pending = true // an unterminated line is an unfinished event
			}
			return nil, io.EOF
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
		if r.skipLF {
			scanned = 0 // fill may have brought the LF that the loop skips
		}
	}
}

// indexLineEnd returns the index of the first CR or LF in b, or -1.
func indexLineEnd(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.IndexByte(b, '\r')
	}
	if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
		return j
	}
	return i
}

// fill reads more bytes into buf, compacting or growing it as needed. The
// buffer never grows past max+1 bytes plus one read, which is what bounds
// the Reader's memory.
func (r *Reader) fill() error {
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.r, r.w = 0, n
	}
	if r.w == len(r.buf) {
		size := max(2*len(r.buf), 4096)
		// readLine fails before the buffer holds more than max bytes of
		// one line, so this never shrinks the buffer.
		size = min(size, r.max+4096)
		nb := make([]byte, size)
		copy(nb, r.buf[:r.w])
		r.buf = nb
		r.maxBufSize = max(r.maxBufSize, size)
	}
	// A reader may return 0, nil; io.Reader asks callers to treat that as
	// nothing happened, so try again a bounded number of times.
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// decodeUTF8 decodes b the way the WHATWG Encoding standard's UTF-8
// decoder does: each maximal invalid subsequence becomes one U+FFFD. Go's
// own replacement (one U+FFFD per invalid byte, or per run) differs, and
// the event-stream standard requires this decoder.
func decodeUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	var (
		cp           rune
		needed, seen int
		lower, upper byte = 0x80, 0xBF
		replacement       = []byte("\uFFFD")
		reset             = func() { cp, needed, seen, lower, upper = 0, 0, 0, 0x80, 0xBF }
	)
	for i := 0; i < len(b); i++ {
		c := b[i]
		if needed == 0 {
			switch {
			case c <= 0x7F:
				out = append(out, c)
			case c >= 0xC2 && c <= 0xDF:
				needed, cp = 1, rune(c&0x1F)
			case c >= 0xE0 && c <= 0xEF:
				if c == 0xE0 {
					lower = 0xA0
				} else if c == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(c&0x0F)
			case c >= 0xF0 && c <= 0xF4:
				if c == 0xF0 {
					lower = 0x90
				} else if c == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(c&0x07)
			default:
				out = append(out, replacement...)
			}
			continue
		}
		if c < lower || c > upper {
			reset()
			out = append(out, replacement...)
			i-- // the byte starts something new: process it again
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(c&0x3F)
		seen++
		if seen == needed {
			out = utf8.AppendRune(out, cp)
			reset()
		}
	}
	if needed != 0 {
		out = append(out, replacement...)
	}
	return out
}
