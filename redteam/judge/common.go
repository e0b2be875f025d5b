package judge

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/target"
)

// turn is one message a judge looks at: its index in Input.Conversation (-1
// when it is known only from Input.Replies), its text and its tool calls.
type turn struct {
	idx     int
	content string
	calls   []target.ToolCall
}

// assistantTurns returns the target's turns. They come from the
// conversation; tool calls missing from a conversation message are taken
// from the matching Reply. A conversation with no assistant messages falls
// back to Replies, without spans.
func assistantTurns(in Input) []turn {
	var out []turn
	for i, m := range in.Conversation {
		if m.Role == target.RoleAssistant {
			out = append(out, turn{idx: i, content: m.Content, calls: m.ToolCalls})
		}
	}
	if len(out) == 0 {
		for _, r := range in.Replies {
			out = append(out, turn{idx: -1, content: r.Content, calls: r.ToolCalls})
		}
		return out
	}
	if len(out) == len(in.Replies) {
		for k := range out {
			if len(out[k].calls) == 0 {
				out[k].calls = in.Replies[k].ToolCalls
			}
		}
	}
	return out
}

// toolResults returns the RoleTool messages: what the target's tools
// returned, which shows whether an injected call reached its backend.
func toolResults(in Input) []turn {
	var out []turn
	for i, m := range in.Conversation {
		if m.Role == target.RoleTool {
			out = append(out, turn{idx: i, content: m.Content})
		}
	}
	return out
}

// lastAssistant returns the final reply.
func lastAssistant(in Input) (turn, bool) {
	ts := assistantTurns(in)
	if len(ts) == 0 {
		return turn{}, false
	}
	return ts[len(ts)-1], true
}

// userText joins everything the user sent: what the target repeats from it
// was not leaked or invented by the target.
func userText(in Input) string {
	var b strings.Builder
	for _, m := range in.Conversation {
		if m.Role == target.RoleUser {
			b.WriteString(m.Content)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// argText returns the text of a tool call's arguments for pattern matching:
// when they are valid JSON, each string value on its own line (so JSON
// quoting and escapes neither hide nor fake a payload); otherwise the raw
// text, which is attacker-controlled and may be anything.
func argText(args string) string {
	var v any
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		return args
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x)
			b.WriteByte('\n')
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}

// argValue is one string value of a tool call's arguments and where it is.
type argValue struct {
	key   string // JSON path such as "sql" or "filters[0].name"; "arguments" when not JSON
	value string
}

// argValues returns a tool call's arguments value by value, so that a
// judge can say which argument carried a payload and patterns anchored at
// the end of a value work: each JSON string value in key order (JSON
// quoting and escapes neither hide nor fake a payload), or, when the
// arguments are not valid JSON, the raw text, which is attacker-controlled
// and may be anything.
func argValues(call target.ToolCall) []argValue {
	var v any
	if err := json.Unmarshal([]byte(call.Arguments), &v); err != nil {
		return []argValue{{"arguments", call.Arguments}}
	}
	var out []argValue
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case string:
			out = append(out, argValue{cmp.Or(path, "arguments"), x})
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(strings.TrimPrefix(path+"."+k, "."), x[k])
			}
		}
	}
	walk("", v)
	return out
}

// normSpace lower-cases s and collapses runs of white space, for echo checks
// that should not depend on layout.
func normSpace(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// echoed reports whether the matched text also occurs in the user's
// messages (normalised with normSpace).
func echoed(match, userNorm string) bool {
	m := normSpace(match)
	return m != "" && strings.Contains(userNorm, m)
}

// quote shortens attacker-controlled text for an evidence message.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// mask hides the middle of a sensitive value so that evidence identifies
// it without repeating it.
func mask(s string) string {
	r := []rune(s)
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	keep := min(4, len(r)/4)
	return string(r[:keep]) + strings.Repeat("*", len(r)-2*keep) + string(r[len(r)-keep:])
}

// ev builds a piece of evidence: what judge saw (kind), in words (detail),
// in turn t at [start, end) of its content. A turn of -1 carries no span.
func ev(judge, kind, detail string, t turn, start, end int) finding.Finding {
	e := finding.Finding{Scanner: judge, Type: kind, Message: detail, Turn: new(t.idx)}
	if t.idx >= 0 {
		e.Start, e.End = start, end
	}
	return e
}

// verdict builds a verdict; evidence without a score of its own takes the
// verdict's, the judge's confidence in what the evidence supports.
func verdict(o Outcome, score float64, reason string, evs []finding.Finding) Verdict {
	for i := range evs {
		if evs[i].Score == 0 {
			evs[i].Score = score
		}
	}
	return Verdict{Outcome: o, Score: score, Reason: reason, Evidence: evs}
}

// abstain is the verdict of a judge with nothing to look at: reason says
// what it lacks (and, where the user can supply it, how).
func abstain(reason string) Verdict {
	return Verdict{Outcome: Unknown, Reason: reason, Abstain: true}
}

// noReply is the verdict of a judge that needs a reply and has none.
func noReply() Verdict {
	return verdict(Unknown, 0, "no reply from the target to judge", nil)
}

// word is a token of a text with its byte span.
type word struct {
	text       string
	start, end int
}

// words splits s into lower-cased runs of letters and digits.
func words(s string) []word {
	var out []word
	start := -1
	for i, r := range s {
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			out = append(out, word{strings.ToLower(s[start:i]), start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, word{strings.ToLower(s[start:]), start, len(s)})
	}
	return out
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// cleanRefusal reports whether text declines without going on to comply.
func cleanRefusal(text string) bool {
	c := classify(text)
	return c.Refused && !c.Partial
}
