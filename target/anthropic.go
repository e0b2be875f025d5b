package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/wire"
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
	// stream makes Send stream (the stream setting).
	stream bool
}

var (
	_ Target        = (*anthropic)(nil)
	_ UsageReporter = (*anthropic)(nil)
)

func newAnthropic(cfg *AnthropicConfig, o *Env) (*anthropic, error) {
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
		name:        displayName(cfg),
		model:       cfg.Model,
		temperature: cfg.Temperature,
		maxTokens:   cfg.MaxTokens,
		header:      http.Header{},
		stream:      cfg.Stream,
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

// request converts a conversation to a Messages API request: system
// messages joined into the system prompt, the rest as turns.
func (p *anthropic) request(conv Conversation) wire.MessagesRequest {
	req := wire.MessagesRequest{Model: p.model, MaxTokens: p.maxTokens, Temperature: p.temperature, Messages: anthropicMessages(conv)}
	var system []string
	for _, m := range conv {
		if m.Role == RoleSystem && m.Content != "" {
			system = append(system, m.Content)
		}
	}
	req.System = wire.AnthropicContent{Text: strings.Join(system, "\n\n")}
	return req
}

// Send implements Target. With the stream setting it streams, and returns
// the same Reply.
func (p *anthropic) Send(ctx context.Context, conv Conversation) (Reply, error) {
	if p.stream {
		return p.SendStream(ctx, conv, nil)
	}
	return p.tr.postJSON(ctx, p.url, p.header, p.request(conv), parseAnthropic)
}

// SendStream implements Streamer.
func (p *anthropic) SendStream(ctx context.Context, conv Conversation, onDelta func(delta string) error) (Reply, error) {
	req := p.request(conv)
	req.Stream = true
	return p.tr.postStream(ctx, p.url, p.header, req, streamCodec{stream: readAnthropicStream, whole: parseAnthropic}, onDelta)
}

// readAnthropicStream assembles a streamed message, passing on the text
// of its text blocks (not thinking, not tool input).
func readAnthropicStream(body io.Reader, emit func(string) error) (Reply, error) {
	m, err := wire.ReadMessagesStream(body, 0, func(ev *wire.StreamEvent) error {
		if ev.Type == wire.EventContentBlockDelta && ev.Delta != nil && ev.Delta.Type == wire.DeltaText {
			return emit(ev.Delta.Text)
		}
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	return anthropicReply(m), nil
}

// anthropicMessages converts a conversation to Messages API turns. System
// messages go to the top-level system field instead; tool results become
// tool_result blocks in a user turn, merged when several follow each other
// because the API expects all results of one assistant turn together.
func anthropicMessages(conv Conversation) []wire.AnthropicMessage {
	var out []wire.AnthropicMessage
	text := func(s string) wire.AnthropicContent { return wire.AnthropicContent{Text: s} }
	for _, m := range conv {
		switch m.Role {
		case RoleSystem:
			continue
		case RoleTool:
			block := wire.ContentBlock{Type: wire.BlockToolResult, ToolUseID: m.ToolCallID, Content: text(m.Content)}
			if n := len(out); n > 0 && out[n-1].Role == RoleUser {
				if blocks := out[n-1].Content.Blocks; len(blocks) > 0 && blocks[0].Type == wire.BlockToolResult {
					out[n-1].Content.Blocks = append(blocks, block)
					continue
				}
			}
			out = append(out, wire.AnthropicMessage{Role: RoleUser, Content: wire.AnthropicContent{Blocks: []wire.ContentBlock{block}}})
		case RoleAssistant:
			if len(m.ToolCalls) == 0 {
				out = append(out, wire.AnthropicMessage{Role: RoleAssistant, Content: text(m.Content)})
				continue
			}
			blocks := []wire.ContentBlock{}
			if m.Content != "" {
				blocks = append(blocks, wire.ContentBlock{Type: wire.BlockText, Text: m.Content})
			}
			for _, tc := range m.ToolCalls {
				blocks = append(blocks, wire.ContentBlock{Type: wire.BlockToolUse, ID: tc.ID, Name: tc.Name, Input: toolInput(tc.Arguments)})
			}
			out = append(out, wire.AnthropicMessage{Role: RoleAssistant, Content: wire.AnthropicContent{Blocks: blocks}})
		default:
			out = append(out, wire.AnthropicMessage{Role: RoleUser, Content: text(m.Content)})
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

// parseAnthropic reads a Messages API response. Garbage, error bodies and
// responses without content are errors.
func parseAnthropic(body []byte) (Reply, error) {
	m, err := wire.DecodeMessagesResponse(body)
	if err != nil {
		var apiErr *wire.APIError
		if errors.As(err, &apiErr) {
			return Reply{}, fmt.Errorf("the server reported an error: %s", truncateUTF8(apiErr.Error(), errorBodyBytes))
		}
		return Reply{}, err
	}
	return anthropicReply(m), nil
}

// anthropicReply converts a message, streamed or not, to a Reply: text
// blocks concatenated, tool_use blocks as tool calls, other blocks
// (thinking) skipped.
func anthropicReply(m *wire.MessagesResponse) Reply {
	var reply Reply
	var text strings.Builder
	for _, b := range m.Content {
		switch b.Type {
		case wire.BlockText:
			text.WriteString(b.Text)
		case wire.BlockToolUse:
			args := string(bytes.TrimSpace(b.Input))
			if args == "" || args == "null" {
				args = "{}"
			}
			reply.ToolCalls = append(reply.ToolCalls, ToolCall{ID: b.ID, Name: b.Name, Arguments: args})
		}
	}
	reply.Content = text.String()
	reply.Usage = Usage{PromptTokens: m.Usage.InputTokens, CompletionTokens: m.Usage.OutputTokens}
	return reply
}
