package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// refParse is a literal, whole-input transcription of the standard's
// parsing rules, written independently of Reader (no buffering, no
// limits, its own UTF-8 decoder) so the fuzzer can compare the two. It
// returns the events and whether the stream ended inside an event.
func refParse(input []byte) (events []Event, truncated bool) {
	text := refDecodeUTF8(input)
	text = strings.TrimPrefix(text, "\uFEFF")
	var (
		data, eventType, lastID string
		pending                 bool
	)
	for {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			// An unterminated final line is never processed.
			return events, pending || text != ""
		}
		line := text[:i]
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
		switch {
		case line == "":
			pending = false
			if data == "" {
				eventType = ""
				continue
			}
			ev := Event{Type: "message", Data: strings.TrimSuffix(data, "\n"), ID: lastID}
			if eventType != "" {
				ev.Type = eventType
			}
			events = append(events, ev)
			data, eventType = "", ""
		case line[0] == ':':
		default:
			pending = true
			name, value, found := strings.Cut(line, ":")
			if found {
				value = strings.TrimPrefix(value, " ")
			}
			switch name {
			case "event":
				eventType = value
			case "data":
				data += value + "\n"
			case "id":
				if !strings.Contains(value, "\x00") {
					lastID = value
				}
			}
		}
	}
}

// refDecodeUTF8 replaces each maximal subpart of an ill-formed sequence
// with U+FFFD, using the table of well-formed byte sequences (Unicode
// chapter 3, table 3-7) rather than the WHATWG state machine of Reader.
func refDecodeUTF8(b []byte) string {
	var out strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			out.WriteRune(r)
			b = b[size:]
			continue
		}
		out.WriteRune(utf8.RuneError)
		b = b[max(1, maximalSubpart(b)):]
	}
	return out.String()
}

// maximalSubpart returns how many leading bytes of b form a prefix of a
// well-formed sequence (0 when the first byte cannot start one).
func maximalSubpart(b []byte) int {
	type rng struct{ lo, hi byte }
	cont := rng{0x80, 0xBF}
	var seq []rng
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		seq = []rng{cont}
	case c == 0xE0:
		seq = []rng{{0xA0, 0xBF}, cont}
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		seq = []rng{cont, cont}
	case c == 0xED:
		seq = []rng{{0x80, 0x9F}, cont}
	case c == 0xF0:
		seq = []rng{{0x90, 0xBF}, cont, cont}
	case c >= 0xF1 && c <= 0xF3:
		seq = []rng{cont, cont, cont}
	case c == 0xF4:
		seq = []rng{{0x80, 0x8F}, cont, cont}
	default:
		return 0
	}
	n := 1
	for _, want := range seq {
		if n >= len(b) || b[n] < want.lo || b[n] > want.hi {
			break
		}
		n++
	}
	return n
}

// chunkReader returns src in reads whose sizes come from plan (cycled):
// a size of 0 is a read that returns nothing, which io.Reader permits.
type chunkReader struct {
	src   []byte
	plan  []byte
	i     int
	zeros int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.src) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.plan) > 0 {
		n = int(c.plan[c.i%len(c.plan)]) % 9 // 0..8 bytes
		c.i++
	}
	if n == 0 && c.zeros < 3 {
		c.zeros++
		return 0, nil
	}
	c.zeros = 0
	n = max(n, 1)
	n = min(n, len(p), len(c.src))
	copy(p, c.src[:n])
	c.src = c.src[n:]
	return n, nil
}

// FuzzReader feeds arbitrary streams, in arbitrary pieces, to the Reader:
// it must never panic, must agree with the reference parser whatever the
// piece boundaries, must stay within its memory bound, and what it reads
// must come back unchanged through the Writer.
func FuzzReader(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[]}\n\ndata: [DONE]\n\n"), []byte{1})
	f.Add([]byte("event: message_start\r\ndata: {}\r\n\r\n: ping\r\n"), []byte{1, 2, 3})
	f.Add([]byte("\xEF\xBB\xBFid: 1\rdata: a\rdata: b\r\rretry: 10\n"), []byte{0, 5})
	f.Add([]byte("data: caf\xC3\xA9 \xE2\x82\n\ndata"), []byte{7})
	f.Fuzz(func(t *testing.T, input, plan []byte) {
		want, wantTrunc := refParse(input)

		// Unlimited (the input is small), in the given pieces.
		got, err := readAll(&chunkReader{src: input, plan: plan}, 0)
		if err != nil && !(wantTrunc && errors.Is(err, ErrTruncated)) {
			t.Fatalf("error %v (reference truncated: %v)", err, wantTrunc)
		}
		if wantTrunc && err == nil {
			t.Fatalf("stream ends inside an event but Next returned io.EOF")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("events differ from the reference (-want +got):\n%s", diff)
		}

		// A small limit: events before a limit error are the reference's
		// first events, and the buffers stay bounded.
		const limit = 64
		r := NewReader(&chunkReader{src: input, plan: plan}, limit)
		var n int
		for {
			ev, err := r.Next()
			if err != nil {
				if errors.Is(err, ErrTooLarge) || err == io.EOF || errors.Is(err, ErrTruncated) {
					break
				}
				t.Fatalf("limited reader: %v", err)
			}
			if n >= len(want) || ev != want[n] {
				t.Fatalf("limited reader event %d = %+v, reference has %d events", n, ev, len(want))
			}
			if len(ev.Data) > limit {
				t.Fatalf("event data of %d bytes passed a %d-byte limit", len(ev.Data), limit)
			}
			n++
		}
		if r.maxBufSize > limit+4096 || cap(r.data) > 4*limit {
			t.Fatalf("buffers grew to %d and %d bytes with a %d-byte limit", r.maxBufSize, cap(r.data), limit)
		}

		// Round trip: writing the events and reading them back changes
		// nothing, including the bytes of what was written a second time.
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, ev := range want {
			if err := w.WriteEvent(ev); err != nil {
				t.Fatalf("WriteEvent(%+v): %v", ev, err)
			}
		}
		first := bytes.Clone(buf.Bytes())
		back, err := readAll(&chunkReader{src: buf.Bytes(), plan: plan}, 0)
		if err != nil {
			t.Fatalf("reading what the Writer wrote: %v", err)
		}
		if diff := cmp.Diff(want, back); diff != "" {
			t.Fatalf("round trip changed the events (-want +got):\n%s", diff)
		}
		buf.Reset()
		w = NewWriter(&buf)
		for _, ev := range back {
			_ = w.WriteEvent(ev)
		}
		if !bytes.Equal(first, buf.Bytes()) {
			t.Fatalf("rewriting is not stable:\n%q\n%q", first, buf.Bytes())
		}

		// Arbitrary text written as one event comes back as the standard
		// says it must: line breaks as "\n", invalid UTF-8 replaced.
		var ew bytes.Buffer
		data := string(input)
		if err := NewWriter(&ew).WriteEvent(Event{Data: data}); err != nil {
			t.Fatal(err)
		}
		evs, err := readAll(&ew, 0)
		wantData := refDecodeUTF8([]byte(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(data)))
		if err != nil || len(evs) != 1 || evs[0].Data != wantData {
			t.Fatalf("data %q came back as %+v (%v), want %q", data, evs, err, wantData)
		}
	})
}
