package redteam

import (
	"encoding/json"
	"time"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// EventVersion is the version of the event schema. Readers reject events with
// a newer major version than they know.
const EventVersion = 1

// Probe is one test case: a goal from the catalog, dressed by an attack and
// played against the target by the attack's strategy.
type Probe struct {
	// ID is stable for a given plan: the same seed and options give the same
	// IDs in the same order, which is what makes resume possible.
	ID            string `json:"id"`
	Seq           int    `json:"seq"`
	Vulnerability string `json:"vulnerability"`
	Type          string `json:"type"`
	Attack        string `json:"attack"`
	// Goal is the baseline prompt (what the attacker wants).
	Goal string `json:"goal"`
	// Turns are the user messages planned for the probe, after the attack's
	// transform. The Scripted strategy sends exactly these; an adaptive
	// strategy may use them as its opening.
	Turns []string `json:"turns"`
	// Judges that apply to this probe's sub-type.
	Judges []string `json:"judges"`
	// Rubric says what a failing reply looks like for the sub-type, for
	// judges that read it.
	Rubric string `json:"rubric,omitempty"`
	// Markers are the unique tokens that replaced {marker} in the seed.
	Markers []string `json:"markers,omitempty"`
	// Severity is how bad a failure of the sub-type is (from the catalog):
	// the judges' evidence of a failure is rated with it.
	Severity finding.Severity `json:"severity,omitzero"`
}

// Case is a finished probe: what was sent, what came back, and the verdict.
type Case struct {
	Probe Probe `json:"probe"`
	// Turns and Replies are the attempt the verdict rests on: the first
	// that failed, or else the last.
	Turns   target.Conversation `json:"turns"`
	Replies []target.Reply      `json:"replies,omitempty"`
	// Attempts holds every attempt, each with its own verdict, when the
	// strategy made more than one.
	Attempts []Attempt     `json:"attempts,omitempty"`
	Verdict  judge.Verdict `json:"verdict"`
	// Usage counts the target's tokens; AttackUsage those of attacker
	// models (judge models' are in Verdict.Usage).
	Usage       target.Usage `json:"usage"`
	AttackUsage target.Usage `json:"attack_usage,omitzero"`
	// Costs are the case's tokens and their price, per model that spent
	// them (attacker, judge, and the target when its model has a price);
	// absent when no model spent any.
	Costs   []ModelCost   `json:"costs,omitempty"`
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// ModelCost is what one model spent, in a case or in a run.
type ModelCost struct {
	// Model is the configured model name; Role is attacker, judge or
	// target.
	Model            string  `json:"model"`
	Role             string  `json:"role"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	USD              float64 `json:"cost_usd"`
}

// CostSummary is what a run's models spent: in all, and per model.
type CostSummary struct {
	TotalUSD float64     `json:"total_usd"`
	Models   []ModelCost `json:"models"`
}

// Errored reports whether the probe got no verdict: the target, a judge or
// the attack's strategy failed. Such a case is recorded, so reports show
// it, but it is not done: a resumed run plays it again.
func (c *Case) Errored() bool { return c.Verdict.Outcome == judge.Error }

// Run statuses.
const (
	StatusRunning     = "running"
	StatusFinished    = "finished"
	StatusInterrupted = "interrupted"
	// StatusTargetFailed is a run stopped because the target kept failing
	// (see Breaker).
	StatusTargetFailed = "target_failed"
)

// RunInfo describes a run: enough to re-plan it exactly on resume.
type RunInfo struct {
	ID      string    `json:"id"`
	Started time.Time `json:"started"`
	Target  string    `json:"target"`
	// TargetConfig is the target's configuration without secrets (API keys
	// are never in it; literal header values are dropped), so a run can be
	// resumed without repeating the target flags.
	TargetConfig *target.Config `json:"target_config,omitempty"`
	// ConfigPath is the configuration file the run was started with.
	ConfigPath string `json:"config_path,omitempty"`
	// Out is the directory results are written to (absolute).
	Out  string `json:"out,omitempty"`
	Seed int64  `json:"seed"`
	// Options is the plan and target configuration the run was started
	// with, secrets excluded, so that --resume re-creates the same plan.
	Options  PlanOptions `json:"options"`
	Planned  int         `json:"planned"`
	Version  string      `json:"version,omitempty"`
	Finished time.Time   `json:"finished,omitzero"`
	// Status is one of the Status constants.
	Status string `json:"status"`
}

// PlanOptions choose what a plan covers.
type PlanOptions struct {
	Seed int64 `json:"seed"`
	// Vulnerabilities and Attacks restrict the plan (empty: all).
	// A vulnerability may be narrowed to sub-types as "vuln:type".
	Vulnerabilities []string `json:"vulnerabilities,omitempty"`
	Attacks         []string `json:"attacks,omitempty"`
	// PerType is how many probes to plan for each sub-type and attack.
	PerType int `json:"per_type"`
	// Max caps the plan by deterministic sampling (0: no cap).
	Max int `json:"max,omitempty"`
	// Purpose fills the {purpose} placeholder of seed prompts.
	Purpose string `json:"purpose,omitempty"`
	// Framework, when set, plans what that framework maps to (see
	// PlanWith): each category's vulnerabilities with its weighted attacks.
	Framework string `json:"framework,omitempty"`
	// Dataset, when set, adds one probe per row of a user's dataset per
	// attack (see DatasetSpec and LoadDataset).
	Dataset *DatasetSpec `json:"dataset,omitempty"`
}

// Event types, in the order a run emits them. A probe's events come in
// order (probe_started, its replies, then verdict or probe_errored); the
// events of different probes interleave.
const (
	EventRunStarted   = "run_started"
	EventProbeStarted = "probe_started"
	EventReply        = "reply"
	// EventVerdict carries a judged probe: it is done.
	EventVerdict = "verdict"
	// EventProbeErrored carries a probe that got no verdict (Case.Errored):
	// it is recorded but not done, and a resumed run plays it again, so
	// a probe may have several of these before its verdict.
	EventProbeErrored = "probe_errored"
	// EventRunFinished ends a session of the run, whatever its status (a
	// resumed run has several sessions).
	EventRunFinished = "run_finished"
)

// Event is one entry of a run's event stream. The stream is the canonical
// record of a run: the store, events.jsonl and every report are handlers
// over it, and a saved stream can be rendered again.
type Event struct {
	V    int       `json:"v"`
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	Run  string    `json:"run"`
	// RunInfo is set on run_started and run_finished.
	RunInfo *RunInfo `json:"run_info,omitempty"`
	// Probe is set on probe_started.
	Probe *Probe `json:"probe,omitempty"`
	// ProbeID, Attempt, Turn and Reply are set on reply: the reply to the
	// user turn with index Turn (from 0) of the attempt with index Attempt.
	ProbeID string        `json:"probe_id,omitempty"`
	Attempt int           `json:"attempt,omitempty"`
	Turn    int           `json:"turn,omitempty"`
	Reply   *target.Reply `json:"reply,omitempty"`
	// Case is set on verdict and probe_errored: the whole finished probe.
	Case *Case `json:"case,omitempty"`
	// CaseJSON is Case encoded as JSON. The engine makes it in the worker
	// that played the probe, so that handlers that store or log the case
	// (the store, the event log) do not each encode it again on the one
	// goroutine that runs a run's handlers. It is not part of the event's
	// own encoding.
	CaseJSON json.RawMessage `json:"-"`
}

// Handler receives a run's events, one at a time, in order, from one
// goroutine. An error stops the run: a result that cannot be recorded must
// not be reported as done.
type Handler interface {
	Handle(ev Event) error
}

// Flusher is a Handler that buffers. The engine calls Flush whenever no
// event is waiting and at the end of a run, so that handlers can commit in
// batches; what a handler has flushed must be durable.
type Flusher interface {
	Flush() error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(Event) error

// Handle implements Handler.
func (f HandlerFunc) Handle(ev Event) error { return f(ev) }

// Handlers returns a Handler that passes each event to every h in order,
// and flushes them in order: a handler that must not see what an earlier
// one has not made durable (a log written after the store commits) comes
// later.
func Handlers(h ...Handler) Handler { return handlers(h) }

type handlers []Handler

func (hs handlers) Handle(ev Event) error {
	for _, h := range hs {
		if err := h.Handle(ev); err != nil {
			return err
		}
	}
	return nil
}

func (hs handlers) Flush() error {
	for _, h := range hs {
		if f, ok := h.(Flusher); ok {
			if err := f.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}
