package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// readAll reads every event of src and the error that ended the stream.
func readAll(src io.Reader, max int) ([]Event, error) {
	r := NewReader(src, max)
	var evs []Event
	for {
		ev, err := r.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func TestReaderSpec(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []Event
		err   error
	}{
		{"one data line", "data: hello\n\n", []Event{{Type: "message", Data: "hello"}}, nil},
		// The standard's own examples (HTML, section 9.2.6).
		{"multi-line data", "data: YHOO\ndata: +2\ndata: 10\n\n", []Event{{Type: "message", Data: "YHOO\n+2\n10"}}, nil},
		{"comment, id persists", ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
			[]Event{{Type: "message", Data: "first event", ID: "1"}, {Type: "message", Data: "second event"}, {Type: "message", Data: " third event"}}, nil},
		{"empty data fields", "data\n\ndata\ndata\n\ndata:", []Event{{Type: "message", Data: ""}, {Type: "message", Data: "\n"}}, ErrTruncated},
		{"space handling", "data:test\n\ndata: test\n\n", []Event{{Type: "message", Data: "test"}, {Type: "message", Data: "test"}}, nil},
		// Everything else the parsing rules say.
		{"named event", "event: message_start\ndata: {}\n\n", []Event{{Type: "message_start", Data: "{}"}}, nil},
		{"type without data is dropped and reset", "event: a\n\ndata: x\n\n", []Event{{Type: "message", Data: "x"}}, nil},
		{"CRLF", "event: e\r\ndata: a\r\ndata: b\r\n\r\n", []Event{{Type: "e", Data: "a\nb"}}, nil},
		{"CR", "data: a\rdata: b\r\r", []Event{{Type: "message", Data: "a\nb"}}, nil},
		{"mixed endings", "data: a\r\ndata: b\rdata: c\n\r\n", []Event{{Type: "message", Data: "a\nb\nc"}}, nil},
		{"LF CR is two line ends", "data: a\n\rdata: b\n\n", []Event{{Type: "message", Data: "a"}, {Type: "message", Data: "b"}}, nil},
		{"BOM", "\xEF\xBB\xBFdata: x\n\n", []Event{{Type: "message", Data: "x"}}, nil},
		{"only one BOM is dropped", "\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n", nil, nil},
		{"unknown fields and field case", "foo: bar\nDATA: no\ndata: yes\n\n", []Event{{Type: "message", Data: "yes"}}, nil},
		{"one space only", "data:   x  \n\n", []Event{{Type: "message", Data: "  x  "}}, nil},
		{"colon in value", "data: a: b\n\n", []Event{{Type: "message", Data: "a: b"}}, nil},
		{"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", []Event{{Type: "message", Data: "a", ID: "1"}, {Type: "message", Data: "b", ID: "1"}}, nil},
		{"id without data still sets", "id: 7\n\ndata: a\n\n", []Event{{Type: "message", Data: "a", ID: "7"}}, nil},
		{"incomplete event discarded", "data: a\n\ndata: b\n", []Event{{Type: "message", Data: "a"}}, ErrTruncated},
		{"unterminated line discarded", "data: a\n\ndata: b", []Event{{Type: "message", Data: "a"}}, ErrTruncated},
		{"trailing comment is clean", "data: a\n\n: bye\n", []Event{{Type: "message", Data: "a"}}, nil},
		{"invalid UTF-8", "data: a\xE2\x82b\xFFc\xF0\x9F\x98\n\n", []Event{{Type: "message", Data: "a\uFFFDb\uFFFDc\uFFFD"}}, nil},
		{"surrogate bytes", "data: \xED\xA0\x80\n\n", []Event{{Type: "message", Data: "\uFFFD\uFFFD\uFFFD"}}, nil},
		{"empty stream", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []string{"whole", "one byte", "half"} {
				var src io.Reader = strings.NewReader(tt.input)
				switch mode {
				case "one byte":
					src = iotest.OneByteReader(src)
				case "half":
					src = iotest.HalfReader(src)
				}
				got, err := readAll(src, 0)
				if !errors.Is(err, tt.err) || (err != nil && tt.err == nil) {
					t.Errorf("%s: error %v, want %v", mode, err, tt.err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s: events (-want +got):\n%s", mode, diff)
				}
			}
		})
	}
}

func TestReaderRetry(t *testing.T) {
	r := NewReader(strings.NewReader("retry: 1500\ndata: a\n\nretry: x1\nretry:\nretry: 99999999999999999999\ndata: b\n\n"), 0)
	if _, err := r.Next(); err != nil || r.Retry() != 1500*time.Millisecond {
		t.Fatalf("retry = %v, %v", r.Retry(), err)
	}
	if _, err := r.Next(); err != nil || r.Retry() != 1500*time.Millisecond {
		t.Errorf("invalid retry values changed it to %v (%v)", r.Retry(), err)
	}
}

func TestReaderLimits(t *testing.T) {
	t.Run("long line", func(t *testing.T) {
		input := "data: ok\n\ndata: " + strings.Repeat("x", 200) + "\n\n"
		evs, err := readAll(iotest.OneByteReader(strings.NewReader(input)), 100)
		var le *LimitError
		if !errors.Is(err, ErrTooLarge) || !errors.As(err, &le) || le.Line != 3 || le.Limit != 100 {
			t.Fatalf("error %v, want a LimitError at line 3", err)
		}
		if len(evs) != 1 || evs[0].Data != "ok" {
			t.Errorf("events before the limit = %+v", evs)
		}
		if !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "100-byte limit") {
			t.Errorf("error %q does not say where and what", err)
		}
	})
	t.Run("many data lines", func(t *testing.T) {
		input := strings.Repeat("data: 0123456789\n", 20) + "\n"
		_, err := readAll(strings.NewReader(input), 100)
		var le *LimitError
		if !errors.As(err, &le) || le.What != "the event's data" {
			t.Fatalf("error %v, want the data limit", err)
		}
	})
	t.Run("exactly at the limit", func(t *testing.T) {
		line := "data: " + strings.Repeat("x", 94) // 100 bytes
		evs, err := readAll(strings.NewReader(line+"\n\n"), 100)
		if err != nil || len(evs) != 1 {
			t.Fatalf("events %d, error %v", len(evs), err)
		}
	})
	t.Run("endless line without newline", func(t *testing.T) {
		r := NewReader(endless{}, 1000)
		if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error %v", err)
		}
		if r.maxBufSize > 1000+4096 {
			t.Errorf("buffer grew to %d bytes", r.maxBufSize)
		}
	})
}

// endless is a stream of 'x' without end.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestReaderErrors(t *testing.T) {
	boom := errors.New("connection reset")
	r := NewReader(io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom)), 0)
	if ev, err := r.Next(); err != nil || ev.Data != "a" {
		t.Fatalf("first event %+v, %v", ev, err)
	}
	for range 2 {
		if _, err := r.Next(); err != boom {
			t.Fatalf("error %v, want the reader's own", err)
		}
	}
	if _, err := NewReader(zeroReader{}, 0).Next(); err != io.ErrNoProgress {
		t.Errorf("a reader that never makes progress: %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// TestDecodeUTF8 checks the decoder against the WHATWG Encoding standard's
// rule (one U+FFFD per maximal subpart) using the reference decoder of
// the fuzz tests, on the cases the Unicode standard lists (chapter 3,
// "U+FFFD Substitution of Maximal Subparts").
func TestDecodeUTF8(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd"},
		{"\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA"},
		{"\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA"},
		{"\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA\uFFFD\uFFFDB"},
		{"\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41", "\uFFFD\uFFFD\uFFFD\uFFFDA"},
		{"é€😀", "é€😀"},
	} {
		if got := string(decodeUTF8([]byte(tt.in))); got != tt.want {
			t.Errorf("decodeUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := refDecodeUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("refDecodeUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriterFormat(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	steps := []func() error{
		func() error { return w.WriteEvent(Event{Data: `{"id":"chatcmpl-1"}`}) },
		func() error { return w.WriteEvent(Event{Type: "message_stop", Data: `{"type":"message_stop"}`}) },
		func() error { return w.WriteEvent(Event{Data: "a\nb\r\nc\rd", ID: "7"}) },
		func() error { return w.WriteEvent(Event{Data: "", ID: "7"}) },
		func() error { return w.WriteEvent(Event{Data: "x"}) },
		func() error { return w.WriteComment("ping\nagain") },
		func() error { return w.WriteEventRetry(Event{Data: "r"}, 2500*time.Millisecond) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := "data: {\"id\":\"chatcmpl-1\"}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n" +
		"id: 7\ndata: a\ndata: b\ndata: c\ndata: d\n\n" +
		"data: \n\n" +
		"id: \ndata: x\n\n" +
		":ping\n:again\n" +
		"retry: 2500\ndata: r\n\n"
	if got := b.String(); got != want {
		t.Errorf("wrote\n%q\nwant\n%q", got, want)
	}
	evs, err := readAll(&b, 0)
	wantEvs := []Event{
		{Type: "message", Data: `{"id":"chatcmpl-1"}`},
		{Type: "message_stop", Data: `{"type":"message_stop"}`},
		{Type: "message", Data: "a\nb\nc\nd", ID: "7"},
		{Type: "message", Data: "", ID: "7"},
		{Type: "message", Data: "x"},
		{Type: "message", Data: "r"},
	}
	if diff := cmp.Diff(wantEvs, evs); diff != "" || err != nil {
		t.Errorf("read back (-want +got):\n%s (err %v)", diff, err)
	}
}

func TestWriterRejectsInjection(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	for _, e := range []Event{
		{Type: "x\ndata: injected", Data: "d"},
		{Type: "x\r", Data: "d"},
		{ID: "1\ndata: injected", Data: "d"},
		{ID: "1\x00", Data: "d"},
	} {
		if err := w.WriteEvent(e); err == nil {
			t.Errorf("WriteEvent(%+v) succeeded", e)
		}
	}
	if b.Len() != 0 {
		t.Errorf("rejected events wrote %q", b.String())
	}
	if err := w.WriteEventRetry(Event{Data: "x"}, -time.Second); err == nil {
		t.Error("negative retry accepted")
	}
}

func TestReaderIsUTF8Safe(t *testing.T) {
	// Whatever arrives, the data handed out is valid UTF-8: a client can
	// put it in JSON or a terminal without checking.
	evs, _ := readAll(strings.NewReader("data: \xC3\n\ndata: \x80\x80\n\n"), 0)
	for _, ev := range evs {
		if !utf8.ValidString(ev.Data) {
			t.Errorf("invalid UTF-8 in %q", ev.Data)
		}
	}
}
