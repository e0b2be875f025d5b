package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// DefaultAnthropicBaseURL is the API root used when BaseURL is empty.
const DefaultAnthropicBaseURL = "https://api.anthropic.com"

// anthropicVersion is the Messages API version this provider speaks.
const anthropicVersion = "2023-06-01"

// anthropic talks to the Anthropic Messages API.
type anthropic struct {
	name        string
	url         string
	model       string
	temperature *float64
	maxTokens   int
	header      http.Header
	tr          *transport
}

var (
	_ Target        = (*anthropic)(nil)
	_ UsageReporter = (*anthropic)(nil)
)

func newAnthropic(cfg Config, o options) (*anthropic, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	keyEnv := cfg.APIKeyEnv
	if keyEnv == "" && (base == "" || base == DefaultAnthropicBaseURL) {
		keyEnv = "ANTHROPIC_API_KEY"
	}
	if base == "" {
		base = DefaultAnthropicBaseURL
	}
	key, err := apiKey(keyEnv, o.getenv)
	if err != nil {
		return nil, err
	}
	p := &anthropic{
		name:        cfg.displayName(),
		model:       cfg.Model,
		temperature: cfg.Temperature,
		maxTokens:   cfg.MaxTokens,
		header:      http.Header{},
	}
	if p.url, err = endpointURL(base, "/v1/messages", nil); err != nil {
		return nil, fmt.Errorf("base_url: %w", err)
	}
	if p.maxTokens == 0 {
		p.maxTokens = DefaultAnthropicMaxTokens
	}
	p.header.Set("Content-Type", "application/json")
	p.header.Set("Accept", "application/json")
	p.header.Set("anthropic-version", anthropicVersion)
	if key != "" {
		p.header.Set("x-api-key", key)
	}
	secrets, err := setHeaders(p.header, cfg.Headers, o.getenv)
	if err != nil {
		return nil, err
	}
	p.tr = newTransport(cfg, o, keyEnv, append(secrets, key))
	return p, nil
}

// Name implements Target.
func (p *anthropic) Name() string { return p.name }

// Usage implements UsageReporter.
func (p *anthropic) Usage() Usage { return p.tr.usage() }

// Wire format of the Messages API.
type (
	anRequest struct {
		Model       string      `json:"model"`
		MaxTokens   int         `json:"max_tokens"`
		System      string      `json:"system,omitempty"`
		Messages    []anMessage `json:"messages"`
		Temperature *float64    `json:"temperature,omitempty"`
	}
	anMessage struct {
		Role string `json:"role"`
		// Content is a string for plain text turns and []anBlock for
		// turns with tool use or tool results.
		Content any `json:"content"`
	}
	anBlock struct {
		Type      string          `json:"type"`
		Text      string          `json:"text,omitempty"`
		ID        string          `json:"id,omitempty"`
		Name      string          `json:"name,omitempty"`
		Input     json.RawMessage `json:"input,omitempty"`
		ToolUseID string          `json:"tool_use_id,omitempty"`
		Content   string          `json:"content,omitempty"`
	}
	anResponse struct {
		Type    string     `json:"type"`
		Content *[]anBlock `json:"content"`
		Usage   struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
		Error json.RawMessage `json:"error"`
	}
)

// Send implements Target.
func (p *anthropic) Send(ctx context.Context, conv Conversation) (Reply, error) {
	req := anRequest{Model: p.model, MaxTokens: p.maxTokens, Temperature: p.temperature, Messages: anthropicMessages(conv)}
	var system []string
	for _, m := range conv {
		if m.Role == RoleSystem && m.Content != "" {
			system = append(system, m.Content)
		}
	}
	req.System = strings.Join(system, "\n\n")
	return p.tr.postJSON(ctx, p.url, p.header, req, parseAnthropic)
}

// anthropicMessages converts a conversation to Messages API turns. System
// messages go to the top-level system field instead; tool results become
// tool_result blocks in a user turn, merged when several follow each other
// because the API expects all results of one assistant turn together.
func anthropicMessages(conv Conversation) []anMessage {
	var out []anMessage
	for _, m := range conv {
		switch m.Role {
		case RoleSystem:
			continue
		case RoleTool:
			block := anBlock{Type: "tool_result", ToolUseID: m.ToolCallID, Content: m.Content}
			if n := len(out); n > 0 && out[n-1].Role == RoleUser {
				if blocks, ok := out[n-1].Content.([]anBlock); ok && len(blocks) > 0 && blocks[0].Type == "tool_result" {
					out[n-1].Content = append(blocks, block)
					continue
				}
			}
			out = append(out, anMessage{Role: RoleUser, Content: []anBlock{block}})
		case RoleAssistant:
			if len(m.ToolCalls) == 0 {
				out = append(out, anMessage{Role: RoleAssistant, Content: m.Content})
				continue
			}
			var blocks []anBlock
			if m.Content != "" {
				blocks = append(blocks, anBlock{Type: "text", Text: m.Content})
			}
			for _, tc := range m.ToolCalls {
				blocks = append(blocks, anBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: toolInput(tc.Arguments)})
			}
			out = append(out, anMessage{Role: RoleAssistant, Content: blocks})
		default:
			out = append(out, anMessage{Role: RoleUser, Content: m.Content})
		}
	}
	return out
}

// toolInput returns arguments as the JSON object tool_use requires.
// Arguments are model-written and may be anything; what is not an object
// is kept, as text, under "arguments" rather than dropped.
func toolInput(args string) json.RawMessage {
	trimmed := strings.TrimSpace(args)
	if trimmed == "" {
		return json.RawMessage("{}")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(trimmed), &obj) == nil && obj != nil {
		return json.RawMessage(trimmed)
	}
	wrapped, _ := json.Marshal(map[string]string{"arguments": args}) // cannot fail
	return wrapped
}

// parseAnthropic reads a Messages API response: text blocks concatenated,
// tool_use blocks as tool calls, other blocks (thinking) skipped.
func parseAnthropic(body []byte) (Reply, error) {
	var r anResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return Reply{}, fmt.Errorf("not a Messages API response (not JSON: %v)", err)
	}
	if r.Type == "error" || (len(r.Error) > 0 && string(r.Error) != "null") {
		return Reply{}, fmt.Errorf("the server reported an error: %s", apiErrorMessage(r.Error))
	}
	if r.Content == nil {
		return Reply{}, errors.New("not a Messages API response (no content field)")
	}
	var reply Reply
	var text strings.Builder
	for _, b := range *r.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			args := string(bytes.TrimSpace(b.Input))
			if args == "" || args == "null" {
				args = "{}"
			}
			reply.ToolCalls = append(reply.ToolCalls, ToolCall{ID: b.ID, Name: b.Name, Arguments: args})
		}
	}
	reply.Content = text.String()
	reply.Usage = Usage{PromptTokens: r.Usage.InputTokens, CompletionTokens: r.Usage.OutputTokens}
	return reply, nil
}
