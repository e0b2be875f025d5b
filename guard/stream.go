package guard

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/finding"
)

// defaultWindow is how many bytes a stream holds back when no scanner says
// how long its longest match can be: a finding that may still be growing at
// the end of the text is never released half-redacted.
const defaultWindow = 256

// wholeTextEvery is how many new bytes a stream waits for before it runs the
// scanners that score the whole text (classifiers) again.
const wholeTextEvery = 512

// spanner is implemented by detectors that know the longest span a finding
// of theirs can have; a stream holds back that many bytes instead of
// defaultWindow.
type spanner interface {
	MaxSpan() int
}

// Stream checks a reply while it is generated: feed it the deltas, emit
// what it returns. It holds back no more than the longest pattern window,
// redacts spans before releasing them, and stops releasing anything once a
// block rule fires. Text already released cannot be recalled, so a
// whole-text scanner (a classifier) that fires late blocks only the rest.
// A Stream is not safe for concurrent use.
type Stream struct {
	g        *Guard
	prompt   string
	spans    []compiled // scanners with span findings
	whole    []compiled // scanners that score the whole text
	window   int
	buf      strings.Builder
	out      strings.Builder // what was released, redactions applied
	emitted  int             // bytes of buf released
	lastFull int             // len(buf) at the last whole-text scan
	findings []finding.Finding
	wholeDec Decision // the latest whole-text decision (replaced, not accumulated)
	scores   map[string]float64
	action   Action
}

// NewStream starts checking a reply to prompt against the output rules.
func (g *Guard) NewStream(prompt string) *Stream {
	s := &Stream{g: g, prompt: prompt, scores: map[string]float64{}, action: Allow}
	for _, c := range g.output {
		if c.spans {
			s.spans = append(s.spans, c)
			w := defaultWindow
			if sp, ok := c.det.(spanner); ok {
				w = sp.MaxSpan()
			}
			s.window = max(s.window, w)
		} else {
			s.whole = append(s.whole, c)
		}
	}
	return s
}

// Write adds a delta of the reply and returns the text that is now safe to
// emit (with redactions applied), and whether the stream is blocked. Once
// blocked, Write returns "" forever.
func (s *Stream) Write(delta string) (safe string, blocked bool) {
	if s.action == Block {
		return "", true
	}
	s.buf.WriteString(delta)
	return s.advance(false)
}

// Close ends the reply: it releases what was held back (redacted) and
// returns the decision over the whole reply. Its Sanitized is exactly what
// the stream released; after a block it is the part released before it.
func (s *Stream) Close() (rest string, d Decision) {
	if s.action != Block {
		rest, _ = s.advance(true)
	}
	findings := append(slices.Clone(s.findings), s.wholeDec.Findings...)
	slices.SortStableFunc(findings, func(a, b finding.Finding) int { return a.Start - b.Start })
	d = Decision{Action: s.action, Scores: s.scores, Findings: findings, Sanitized: s.out.String()}
	d.Flagged = d.Action.rank() >= Warn.rank()
	d.Redacted = d.Sanitized != s.buf.String()
	return rest, d
}

// advance scans what is not yet released and releases what is safe.
func (s *Stream) advance(final bool) (string, bool) {
	text := s.buf.String()
	if len(s.whole) > 0 && (final || len(text)-s.lastFull >= wholeTextEvery) {
		s.lastFull = len(text)
		s.wholeDec = s.g.check(s.whole, text, s.prompt, nil)
		s.fold(s.wholeDec)
		if s.action == Block {
			return "", true
		}
	}
	if len(s.spans) == 0 {
		out := text[s.emitted:]
		s.emitted = len(text)
		s.out.WriteString(out)
		return out, false
	}
	// Rescan from a window before the released part, so a match that
	// straddles the boundary is seen whole.
	from := max(0, s.emitted-s.window)
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	d, redactions := s.g.evaluate(s.spans, text[from:], s.prompt)
	end := len(text)
	if !final {
		end = max(s.emitted, len(text)-s.window)
		for end > s.emitted && end < len(text) && !utf8.RuneStart(text[end]) {
			end--
		}
	}
	for i := range d.Findings {
		d.Findings[i].Start += from
		d.Findings[i].End += from
	}
	// Never cut through a finding. Moving the end back to one finding's
	// start can put it inside another that overlaps it, so repeat until
	// no finding straddles the end; end only decreases, so this stops.
	for moved := true; moved; {
		moved = false
		for _, f := range d.Findings {
			if f.End > s.emitted && f.Start < end && f.End > end && end > s.emitted {
				end, moved = max(s.emitted, f.Start), true
			}
		}
	}
	for _, f := range d.Findings {
		if f.End > s.emitted && f.Start < end {
			s.findings = append(s.findings, f) // not reported yet, and released now
		}
	}
	s.fold(d)
	if s.action == Block {
		return "", true
	}
	out := text[s.emitted:end]
	// The redactions that fall in this piece, in the piece's offsets;
	// each keeps its own rule's mode, as in a whole-text check.
	var piece []redaction
	for _, r := range redactions {
		st, en := r.f.Start+from, r.f.End+from
		if en <= s.emitted || st >= end {
			continue // released already, or still held back
		}
		r.f.Start, r.f.End = max(st, s.emitted)-s.emitted, min(en, end)-s.emitted
		piece = append(piece, r)
	}
	if len(piece) > 0 {
		out = s.g.redact(out, piece, nil)
	}
	s.emitted = end
	s.out.WriteString(out)
	return out, false
}

// fold merges a partial decision's scores and action into the stream's.
// A block fires as soon as a block rule's finding is seen anywhere not yet
// released, held back or not: waiting would only release more of it.
func (s *Stream) fold(d Decision) {
	for k, v := range d.Scores {
		s.scores[k] = max(s.scores[k], v)
	}
	if d.Action.rank() > s.action.rank() {
		s.action = d.Action
	}
}
