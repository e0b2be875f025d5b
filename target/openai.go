package target

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/wire"
)

// DefaultOpenAIBaseURL is the API root used when BaseURL is empty.
const DefaultOpenAIBaseURL = "https://api.openai.com/v1"

// openAI talks to any OpenAI-compatible chat completions endpoint: OpenAI,
// Azure OpenAI, Ollama, vLLM, llama.cpp, LM Studio, OpenRouter. Only Azure
// needs special handling (its URL shape and key header).
type openAI struct {
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
	_ Target        = (*openAI)(nil)
	_ UsageReporter = (*openAI)(nil)
)

func newOpenAI(cfg *OpenAIConfig, o *Env) (*openAI, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	keyEnv := cfg.APIKeyEnv
	switch {
	case keyEnv != "":
	case cfg.Deployment != "":
		keyEnv = "AZURE_OPENAI_API_KEY"
	case base == "" || base == DefaultOpenAIBaseURL:
		keyEnv = "OPENAI_API_KEY"
	}
	if base == "" {
		base = DefaultOpenAIBaseURL
	}
	key, err := apiKey(keyEnv, o.getenv)
	if err != nil {
		return nil, err
	}
	p := &openAI{
		name:        displayName(cfg),
		model:       cfg.Model,
		temperature: cfg.Temperature,
		maxTokens:   cfg.MaxTokens,
		header:      http.Header{},
		stream:      cfg.Stream,
	}
	p.header.Set("Content-Type", "application/json")
	p.header.Set("Accept", "application/json")
	endpoint, query := "/chat/completions", url.Values{}
	if cfg.Deployment != "" {
		endpoint = "/openai/deployments/" + url.PathEscape(cfg.Deployment) + "/chat/completions"
		// api_version wins over an api-version already in base_url's
		// query; the default only fills the gap.
		if version := cfg.APIVersion; version != "" || !hasQueryParam(base, "api-version") {
			query.Set("api-version", cmp.Or(version, DefaultAzureAPIVersion))
		}
		if key != "" {
			p.header.Set("api-key", key)
		}
	} else if key != "" {
		p.header.Set("Authorization", "Bearer "+key)
	}
	if p.url, err = endpointURL(base, endpoint, query); err != nil {
		return nil, fmt.Errorf("base_url: %w", err)
	}
	secrets, err := setHeaders(p.header, cfg.Headers, o.getenv)
	if err != nil {
		return nil, err
	}
	p.tr = newTransport(cfg, o, keyEnv, append(secrets, key))
	return p, nil
}

// Name implements Target.
func (p *openAI) Name() string { return p.name }

// Usage implements UsageReporter.
func (p *openAI) Usage() Usage { return p.tr.usage() }

// request converts a conversation to a chat completions request.
func (p *openAI) request(conv Conversation) wire.ChatRequest {
	req := wire.ChatRequest{Model: p.model, Temperature: p.temperature, MaxTokens: p.maxTokens}
	for _, m := range conv {
		om := wire.ChatMessage{Role: m.Role, ToolCallID: m.ToolCallID}
		// An assistant turn that only calls tools carries "content": null.
		if m.Content != "" || len(m.ToolCalls) == 0 {
			om.Content = wire.TextContent(m.Content)
		}
		for _, tc := range m.ToolCalls {
			args := tc.Arguments
			if args == "" {
				args = "{}"
			}
			om.ToolCalls = append(om.ToolCalls, wire.ToolCall{
				ID: tc.ID, Type: "function", Function: wire.FunctionCall{Name: tc.Name, Arguments: wire.Arguments(args)},
			})
		}
		req.Messages = append(req.Messages, om)
	}
	return req
}

// Send implements Target. With the stream setting it streams, and returns
// the same Reply.
func (p *openAI) Send(ctx context.Context, conv Conversation) (Reply, error) {
	if p.stream {
		return p.SendStream(ctx, conv, nil)
	}
	return p.tr.postJSON(ctx, p.url, p.header, p.request(conv), parseOpenAI)
}

// SendStream implements Streamer. It asks for the usage chunk
// (stream_options.include_usage), so token accounting matches Send.
func (p *openAI) SendStream(ctx context.Context, conv Conversation, onDelta func(delta string) error) (Reply, error) {
	req := p.request(conv)
	req.Stream = true
	req.StreamOptions = &wire.StreamOptions{IncludeUsage: true}
	return p.tr.postStream(ctx, p.url, p.header, req, streamCodec{stream: readOpenAIStream, whole: parseOpenAI}, onDelta)
}

// readOpenAIStream assembles a streamed completion, passing on the text
// of the first choice, the one the Reply holds.
func readOpenAIStream(body io.Reader, emit func(string) error) (Reply, error) {
	c, err := wire.ReadChatStream(body, 0, func(chunk *wire.ChatCompletionChunk) error {
		for _, ch := range chunk.Choices {
			if ch.Index != 0 || ch.Delta.Content.IsNull() {
				continue
			}
			// Content that is not text adds nothing, as in the Reply.
			text, _ := ch.Delta.Content.Text()
			if err := emit(text); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	return openAIReply(c)
}

// parseOpenAI reads a chat completion. Garbage, errors reported in a 200
// body and replies without choices are errors.
func parseOpenAI(body []byte) (Reply, error) {
	c, err := wire.DecodeChatCompletion(body)
	if err != nil {
		var apiErr *wire.APIError
		if errors.As(err, &apiErr) {
			return Reply{}, fmt.Errorf("the server reported an error: %s", truncateUTF8(apiErr.Error(), errorBodyBytes))
		}
		return Reply{}, err
	}
	return openAIReply(c)
}

// openAIReply converts a completion, streamed or not, to a Reply: the
// first choice's text (its refusal when it has no text), tool calls,
// retrieved documents (the demo app's context extension) and usage.
func openAIReply(c *wire.ChatCompletion) (Reply, error) {
	if len(c.Choices) == 0 {
		return Reply{}, errors.New("the chat completion has no choices")
	}
	msg := c.Choices[0].Message
	content, err := msg.Content.Text()
	if err != nil {
		return Reply{}, err
	}
	if content == "" && msg.Refusal != "" {
		content = string(msg.Refusal)
	}
	reply := Reply{Content: content, Context: msg.Context}
	for _, tc := range msg.ToolCalls {
		reply.ToolCalls = append(reply.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: string(tc.Function.Arguments)})
	}
	if fc := msg.FunctionCall; fc != nil && fc.Name != "" {
		reply.ToolCalls = append(reply.ToolCalls, ToolCall{Name: fc.Name, Arguments: string(fc.Arguments)})
	}
	if c.Usage != nil {
		reply.Usage = Usage{PromptTokens: c.Usage.PromptTokens, CompletionTokens: c.Usage.CompletionTokens}
	}
	return reply, nil
}

// ContentText reads OpenAI-style message content: a string, null, or an
// array of parts ({"type": "text", "text": ...}, or bare strings) whose
// text is concatenated; non-text parts are skipped.
func ContentText(raw json.RawMessage) (string, error) {
	return wire.Content(raw).Text()
}

// rawArguments returns tool-call arguments as JSON text: the content of a
// JSON string, or the raw text of any other value.
func rawArguments(raw json.RawMessage) string {
	var a wire.Arguments
	_ = a.UnmarshalJSON(raw) // never fails: what is not a string is kept as text
	return string(a)
}
