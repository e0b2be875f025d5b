package target

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
}

var (
	_ Target        = (*openAI)(nil)
	_ UsageReporter = (*openAI)(nil)
)

func newOpenAI(cfg Config, o options) (*openAI, error) {
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
		name:        cfg.displayName(),
		model:       cfg.Model,
		temperature: cfg.Temperature,
		maxTokens:   cfg.MaxTokens,
		header:      http.Header{},
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

// Wire format of the chat completions API. Field names follow the OpenAI
// API reference.
type (
	oaRequest struct {
		Model       string      `json:"model,omitempty"`
		Messages    []oaMessage `json:"messages"`
		Temperature *float64    `json:"temperature,omitempty"`
		MaxTokens   int         `json:"max_tokens,omitempty"`
	}
	oaMessage struct {
		Role string `json:"role"`
		// Content is a pointer because an assistant turn that only calls
		// tools carries "content": null.
		Content    *string      `json:"content"`
		ToolCalls  []oaToolCall `json:"tool_calls,omitempty"`
		ToolCallID string       `json:"tool_call_id,omitempty"`
	}
	oaToolCall struct {
		ID       string     `json:"id,omitempty"`
		Type     string     `json:"type"`
		Function oaFunction `json:"function"`
	}
	oaFunction struct {
		Name string `json:"name"`
		// Arguments is a JSON string in the API; some servers send an
		// object instead, which rawArguments accepts.
		Arguments json.RawMessage `json:"arguments"`
	}
	oaResponse struct {
		Choices *[]oaChoice `json:"choices"`
		Usage   *struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
		Error json.RawMessage `json:"error"`
	}
	oaChoice struct {
		Message struct {
			Content      json.RawMessage `json:"content"`
			Refusal      string          `json:"refusal"`
			ToolCalls    []oaToolCall    `json:"tool_calls"`
			FunctionCall *oaFunction     `json:"function_call"`
		} `json:"message"`
	}
)

// Send implements Target.
func (p *openAI) Send(ctx context.Context, conv Conversation) (Reply, error) {
	req := oaRequest{Model: p.model, Temperature: p.temperature, MaxTokens: p.maxTokens}
	for _, m := range conv {
		om := oaMessage{Role: m.Role, ToolCallID: m.ToolCallID}
		if m.Content != "" || len(m.ToolCalls) == 0 {
			om.Content = &m.Content
		}
		for _, tc := range m.ToolCalls {
			args := tc.Arguments
			if args == "" {
				args = "{}"
			}
			// The API wants arguments as a JSON string holding JSON text.
			enc, _ := json.Marshal(args) // marshalling a string cannot fail
			om.ToolCalls = append(om.ToolCalls, oaToolCall{
				ID: tc.ID, Type: "function", Function: oaFunction{Name: tc.Name, Arguments: enc},
			})
		}
		req.Messages = append(req.Messages, om)
	}
	return p.tr.postJSON(ctx, p.url, p.header, req, parseOpenAI)
}

// parseOpenAI reads a chat completion. Garbage, errors reported in a 200
// body and replies without choices are errors.
func parseOpenAI(body []byte) (Reply, error) {
	var r oaResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return Reply{}, fmt.Errorf("not a chat completion (not JSON: %v)", err)
	}
	if len(r.Error) > 0 && string(r.Error) != "null" {
		return Reply{}, fmt.Errorf("the server reported an error: %s", apiErrorMessage(r.Error))
	}
	if r.Choices == nil {
		return Reply{}, errors.New("not a chat completion (no choices field)")
	}
	if len(*r.Choices) == 0 {
		return Reply{}, errors.New("the chat completion has no choices")
	}
	msg := (*r.Choices)[0].Message
	content, err := ContentText(msg.Content)
	if err != nil {
		return Reply{}, err
	}
	if content == "" && msg.Refusal != "" {
		content = msg.Refusal
	}
	var reply Reply
	reply.Content = content
	for _, tc := range msg.ToolCalls {
		reply.ToolCalls = append(reply.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: rawArguments(tc.Function.Arguments)})
	}
	if fc := msg.FunctionCall; fc != nil && fc.Name != "" {
		reply.ToolCalls = append(reply.ToolCalls, ToolCall{Name: fc.Name, Arguments: rawArguments(fc.Arguments)})
	}
	if r.Usage != nil {
		reply.Usage = Usage{PromptTokens: r.Usage.PromptTokens, CompletionTokens: r.Usage.CompletionTokens}
	}
	return reply, nil
}

// ContentText reads OpenAI-style message content: a string, null, or an array of
// parts ({"type": "text", "text": ...}, or bare strings) whose text is
// concatenated; non-text parts are skipped.
func ContentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("message content is neither a string nor an array of parts")
	}
	var b strings.Builder
	for _, part := range parts {
		if err := json.Unmarshal(part, &s); err == nil {
			b.WriteString(s)
			continue
		}
		var p struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(part, &p); err != nil {
			return "", fmt.Errorf("message content part is not an object: %w", err)
		}
		if p.Type == "text" || p.Type == "output_text" || p.Type == "" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

// rawArguments returns tool-call arguments as JSON text: the content of a
// JSON string, or the raw text of any other value.
func rawArguments(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// apiErrorMessage extracts a readable message from an "error" value: a
// string, or an object with a message field.
func apiErrorMessage(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return truncateUTF8(s, errorBodyBytes)
	}
	var e struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Message != "" {
		if e.Type != "" {
			return truncateUTF8(e.Type+": "+e.Message, errorBodyBytes)
		}
		return truncateUTF8(e.Message, errorBodyBytes)
	}
	return truncateUTF8(string(raw), errorBodyBytes)
}
