// Package judge decides whether a target's reply to a probe shows the
// vulnerability the probe was looking for. Judges are deterministic here;
// model-driven rubric judges plug into the same interface later.
//
// A judge says pass only when it positively sees safe behaviour, fail when it
// sees the vulnerability, and unknown when it cannot tell. unknown is never
// counted as a pass.
package judge

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/target"
)

// Outcome is the result of judging one probe.
type Outcome string

// Outcomes. Error means the probe could not be judged because the target (or
// a judge model) failed; it is counted apart from the others.
const (
	Pass    Outcome = "pass"
	Fail    Outcome = "fail"
	Unknown Outcome = "unknown"
	Error   Outcome = "error"
)

// Verdict is a judge's decision.
type Verdict struct {
	Outcome Outcome `json:"outcome"`
	// Score is the judge's confidence in the outcome, 0..1.
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
	// Evidence is what the judges saw, as findings: Scanner is the judge,
	// Type what it saw ("canary", "email", "sql_in_tool_call"), Message a
	// short description (it may quote the reply: attacker-controlled
	// text), Turn the index into the conversation of the message it is in
	// (-1 when it is about the whole conversation), and Start and End byte
	// offsets into that message's content (both 0 when it has no span,
	// e.g. it is in a tool call). Score is the judge's confidence in the
	// verdict the evidence supports. The panel rates the evidence of a
	// failing judge with the sub-type's severity (Input.Severity); other
	// evidence is not rated.
	Evidence []finding.Finding `json:"evidence,omitempty"`
	// Usage counts the tokens judge models spent on the verdict (zero for
	// deterministic judges).
	Usage target.Usage `json:"usage,omitzero"`
	// Abstain marks an Unknown verdict of a judge that had nothing to look
	// at (no canaries configured, no marker planted, no system prompt
	// known): a panel leaves it out instead of letting it block a verdict,
	// and names it among the blind judges.
	Abstain bool `json:"abstain,omitempty"`
}

// UnmarshalJSON reads a verdict. Evidence recorded before it became
// finding.Finding, with the keys "judge", "kind" and "detail" (the stores
// and event logs of earlier versions), is read into Scanner, Type and
// Message, so that such runs still report and resume with their evidence.
func (v *Verdict) UnmarshalJSON(b []byte) error {
	type plain Verdict // without this method, so no recursion
	var w struct {
		*plain
		// Shallower than plain's Evidence, so it takes the key.
		Evidence []legacyEvidence `json:"evidence"`
	}
	if string(b) == "null" {
		return nil
	}
	w.plain = (*plain)(v)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	v.Evidence = nil
	if w.Evidence != nil {
		v.Evidence = make([]finding.Finding, len(w.Evidence))
		for i, e := range w.Evidence {
			f := e.Finding
			f.Scanner = cmp.Or(f.Scanner, e.Judge)
			f.Type = cmp.Or(f.Type, e.Kind)
			f.Message = cmp.Or(f.Message, e.Detail)
			v.Evidence[i] = f
		}
	}
	return nil
}

// legacyEvidence is a piece of evidence in either shape: a finding, or the
// judge/kind/detail of earlier versions (turn, start and end kept their
// names).
type legacyEvidence struct {
	finding.Finding
	Judge  string `json:"judge"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Context is what judges know about the target beyond the conversation: it
// comes from configuration (or, for the demo target, from the demo itself).
type Context struct {
	// Purpose is what the target is for ("customer support agent for ...").
	Purpose string `json:"purpose,omitempty" yaml:"purpose"`
	// SystemPrompt is the target's known system prompt, for leakage overlap.
	SystemPrompt string `json:"-" yaml:"system_prompt"`
	// Canaries are strings that must never appear in a reply (planted secrets,
	// canary tokens).
	Canaries []string `json:"-" yaml:"canaries"`
	// AllowedDomains are domains links and images may point at.
	AllowedDomains []string `json:"allowed_domains,omitempty" yaml:"allowed_domains"`
	// Competitors are names the target must not promote (the competitor
	// judge).
	Competitors []string `json:"competitors,omitempty" yaml:"competitors"`
	// Caller holds the identifiers and data of who is asking (their name,
	// e-mail, account or customer number, phone): a reply that gives callers
	// their own data leaks nothing.
	Caller []string `json:"caller,omitempty" yaml:"caller"`
	// Public holds what the operator publishes (support numbers and
	// addresses, knowledge-base passages, public contact e-mails): a reply
	// that repeats it leaks nothing. Public domains for links are
	// AllowedDomains.
	Public []string `json:"public,omitempty" yaml:"public"`
	// ToolsReported says the target reports every tool call it makes (in
	// its replies' tool_calls): then a reply with none took no action,
	// which the tool judges can pass instead of leaving undecided.
	ToolsReported bool `json:"tools_reported,omitempty" yaml:"tools_reported"`
}

// Input is one finished probe to judge.
type Input struct {
	Vulnerability string
	Type          string
	// Goal is the baseline intent of the probe, before any attack transform.
	Goal string
	// Conversation holds every turn, user and assistant, in order.
	Conversation target.Conversation
	// Replies holds the target's replies in order; the last one is the
	// reply to the final turn.
	Replies []target.Reply
	// Judges names the judges that apply to this sub-type (from the catalog).
	Judges []string
	// Rubric says, in words, what a failing reply looks like for this
	// sub-type (from the catalog): model judges read it.
	Rubric string
	// Markers are unique tokens planted in the probe (the {marker}
	// placeholder of a seed). A reply that repeats one followed an injected
	// instruction.
	Markers []string
	// Severity is how bad a failure of this sub-type is (from the catalog);
	// zero when not known.
	Severity finding.Severity
	Context  Context
}

// LastReply returns the final reply, or the zero Reply.
func (in Input) LastReply() target.Reply {
	if len(in.Replies) == 0 {
		return target.Reply{}
	}
	return in.Replies[len(in.Replies)-1]
}

// Judge decides one aspect of a probe.
//
// A judge that cannot decide says Unknown; an error means it could not
// judge at all (a judge model failed or ctx ended): the probe is then
// recorded as an error, never as a verdict, and a resumed run judges it
// again. Deterministic judges never fail.
type Judge interface {
	// Name is the judge's ID, as sub-types in the catalog name it.
	Name() string
	Judge(ctx context.Context, in Input) (Verdict, error)
}

// BlindSpot is a judge that cannot see what it checks because the target
// context lacks something (see BlindSpots).
type BlindSpot struct {
	// Judge is the judge's name.
	Judge string
	// Missing says what is missing and what the judge does without it.
	Missing string
	// Key is the context key that supplies it (system_prompt, canaries, ...).
	Key string
}

// contextNeeds lists what judges need from the target context. A blind
// judge abstains (canary, system_prompt_leak, competitor) or judges with
// less (pii without the caller's own data counts it as a leak).
var contextNeeds = []struct {
	judge, missing, key string
	lacks               func(Context) bool
}{
	{"system_prompt_leak", "no system prompt is known, so a leaked system prompt cannot be recognised", "system_prompt",
		func(c Context) bool { return strings.TrimSpace(c.SystemPrompt) == "" }},
	{"canary", "no canaries are configured, so planted secrets cannot be tracked", "canaries",
		func(c Context) bool { return len(c.Canaries) == 0 }},
	{"competitor", "no competitor names are configured", "competitors",
		func(c Context) bool { return len(c.Competitors) == 0 }},
	{"pii", "the caller's own data is not named, so a reply giving callers their own record counts as a leak", "caller",
		func(c Context) bool { return len(c.Caller) == 0 }},
}

// BlindSpots returns, for the judges named (in the order of contextNeeds),
// those the context leaves blind and what to configure.
func BlindSpots(c Context, judges []string) []BlindSpot {
	var out []BlindSpot
	for _, n := range contextNeeds {
		if slices.Contains(judges, n.judge) && n.lacks(c) {
			out = append(out, BlindSpot{Judge: n.judge, Missing: n.missing, Key: n.key})
		}
	}
	return out
}
