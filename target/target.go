// Package target is how redoubt talks to the systems it tests and to the
// models it uses as attacker and judge: one small interface, Target, and a
// provider for each kind of endpoint (OpenAI-compatible, Anthropic, templated
// HTTP, a local command, a Go function, and the built-in demo app).
//
// Each provider registers itself once (Register) with its own settings
// struct, which embeds the settings all share (Common); a Config names the
// type and holds that type's settings, and New builds it. Adding a provider
// is a file of its own (settings, constructor, one Register call) and its
// rows in docs/configuration.md: nothing else lists the providers.
//
// Everything a target returns is attacker-controlled text. Callers must treat
// Reply content as data: never execute it, never pass it to a shell, and
// escape it before rendering it as HTML.
package target

import (
	"context"
	"time"
)

// Roles used in Message.Role.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// ToolCalls are the tools an assistant turn asked for (or, for targets
	// that run their own tools, the tools it ran).
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID links a RoleTool message to the call it answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
}

// Conversation is an ordered list of messages, oldest first.
type Conversation []Message

// LastUser returns the content of the last user message, or "".
func (c Conversation) LastUser() string {
	for i := len(c) - 1; i >= 0; i-- {
		if c[i].Role == RoleUser {
			return c[i].Content
		}
	}
	return ""
}

// ToolCall is a function call made by a model or an agent.
type ToolCall struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	// Arguments is the raw JSON text of the arguments, exactly as the model
	// wrote it. It may be invalid JSON: it is attacker-controlled.
	Arguments string `json:"arguments"`
}

// Usage counts tokens as reported by the provider (zero when unknown).
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{u.PromptTokens + o.PromptTokens, u.CompletionTokens + o.CompletionTokens}
}

// Reply is what a target answered to one Send.
type Reply struct {
	Content   string     `json:"content"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// Context holds documents the target retrieved to answer (RAG), when the
	// target exposes them.
	Context []string      `json:"context,omitempty"`
	Usage   Usage         `json:"usage"`
	Latency time.Duration `json:"latency_ns"`
}

// Target is anything that answers a conversation: the system under test, an
// attacker model or a judge model.
//
// Send must be safe for concurrent use. It returns an error for transport
// failures, non-success statuses and replies it cannot parse; a refusal is
// a normal Reply, not an error.
type Target interface {
	// Name identifies the target in logs and reports (never a secret).
	Name() string
	Send(ctx context.Context, conv Conversation) (Reply, error)
}

type sessionKey struct{}

// WithSession returns a context that marks the conversation a Send belongs
// to. Stateful targets (the HTTP provider's sessions, the demo app's memory)
// keep one session per ID; the red-team engine sets a fresh ID for each probe
// so multi-turn probes share state and different probes do not.
func WithSession(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, sessionKey{}, id)
}

// SessionID returns the conversation ID set by WithSession, or "".
func SessionID(ctx context.Context) string {
	id, _ := ctx.Value(sessionKey{}).(string)
	return id
}

// SessionEnder is implemented by targets that keep state per conversation
// (see WithSession). The red-team engine calls EndSession when a probe is
// finished, so a long run does not keep every conversation's state.
type SessionEnder interface {
	EndSession(id string)
}

// Stateful is implemented by targets that remember a conversation on their
// side, per session (see WithSession), instead of reading it whole from
// each Send: an app that takes only the newest message. Stateful reports
// whether this target, as configured, does. The red-team engine uses it
// when a strategy goes back to an earlier point of a conversation: such a
// target must hear the kept turns again in a new session.
type Stateful interface {
	Stateful() bool
}

// Func adapts a Go function to a Target, for library users and tests.
type Func struct {
	ID string
	F  func(ctx context.Context, conv Conversation) (Reply, error)
}

// Name implements Target.
func (f Func) Name() string {
	if f.ID == "" {
		return "func"
	}
	return f.ID
}

// Send implements Target.
func (f Func) Send(ctx context.Context, conv Conversation) (Reply, error) {
	start := time.Now()
	r, err := f.F(ctx, conv)
	if r.Latency == 0 {
		r.Latency = time.Since(start)
	}
	return r, err
}

var _ Target = Func{}
