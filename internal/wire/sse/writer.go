package sse

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ContentType is the media type of an event stream.
const ContentType = "text/event-stream"

// SetHeaders sets the response headers an event stream needs: its content
// type, no caching, and no buffering by proxies such as nginx that would
// otherwise hold the events back until the stream ends.
func SetHeaders(h http.Header) {
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
}

// Writer writes events to a stream and flushes each one, so a client sees
// it at once rather than when a buffer fills. It is not safe for
// concurrent use.
type Writer struct {
	w      io.Writer
	flush  func() error
	buf    []byte
	lastID string // the last event ID the stream has set
}

// NewWriter returns a Writer to w. When w is an http.ResponseWriter, each
// event is flushed through http.ResponseController, which also reaches
// writers wrapped by middleware (through their Unwrap method); a writer
// that cannot flush still gets every byte.
func NewWriter(w io.Writer) *Writer {
	sw := &Writer{w: w}
	if rw, ok := w.(http.ResponseWriter); ok {
		rc := http.NewResponseController(rw)
		sw.flush = func() error {
			if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
				return err
			}
			return nil
		}
	}
	return sw
}

// WriteEvent writes one event and flushes it. The data is written as one
// data line per line of e.Data; since the format has no way to carry a
// carriage return inside data, CR and CRLF in e.Data become line breaks,
// which a reader returns as "\n". e.Type and e.ID must not contain line
// breaks (they would end the field and could inject others) and e.ID must
// not contain NUL (readers ignore such an id); both are errors. An empty
// e.Type writes no event field, which readers take as "message".
//
// e.ID has the Reader's meaning, the stream's last event ID: an id field
// is written only when it differs from the one the stream last set, so
// events read from one stream are written to another unchanged.
func (w *Writer) WriteEvent(e Event) error {
	return w.write(e, 0)
}

// WriteEventRetry is WriteEvent with a retry field set to retry, rounded
// down to whole milliseconds.
func (w *Writer) WriteEventRetry(e Event, retry time.Duration) error {
	if retry < 0 {
		return fmt.Errorf("sse: negative retry %v", retry)
	}
	return w.write(e, retry)
}

func (w *Writer) write(e Event, retry time.Duration) error {
	if strings.ContainsAny(e.Type, "\r\n") {
		return fmt.Errorf("sse: event type %q contains a line break", e.Type)
	}
	if strings.ContainsAny(e.ID, "\r\n\x00") {
		return fmt.Errorf("sse: event id %q contains a line break or NUL", e.ID)
	}
	b := w.buf[:0]
	if e.Type != "" {
		b = append(b, "event: "...)
		b = append(b, e.Type...)
		b = append(b, '\n')
	}
	if e.ID != w.lastID {
		b = append(b, "id: "...)
		b = append(b, e.ID...)
		b = append(b, '\n')
	}
	if retry > 0 {
		b = append(b, "retry: "...)
		b = strconv.AppendInt(b, retry.Milliseconds(), 10)
		b = append(b, '\n')
	}
	data := e.Data
	for {
		i := strings.IndexAny(data, "\r\n")
		b = append(b, "data: "...)
		if i < 0 {
			b = append(b, data...)
			b = append(b, '\n')
			break
		}
		b = append(b, data[:i]...)
		b = append(b, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	b = append(b, '\n')
	w.buf = b
	if err := w.send(b); err != nil {
		return err
	}
	w.lastID = e.ID
	return nil
}

// WriteComment writes a comment, which readers ignore: a keep-alive that
// stops proxies from closing an idle connection. Each line of text
// becomes a comment line.
func (w *Writer) WriteComment(text string) error {
	b := w.buf[:0]
	for {
		i := strings.IndexAny(text, "\r\n")
		b = append(b, ':')
		if i < 0 {
			b = append(b, text...)
			b = append(b, '\n')
			break
		}
		b = append(b, text[:i]...)
		b = append(b, '\n')
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
	w.buf = b
	return w.send(b)
}

func (w *Writer) send(b []byte) error {
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	// A single huge event should not pin its buffer for the stream's life.
	if cap(w.buf) > 64<<10 {
		w.buf = nil
	}
	if w.flush != nil {
		return w.flush()
	}
	return nil
}
