package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Wire format of OpenAI chat completions (POST /v1/chat/completions),
// which OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp, LM Studio and
// OpenRouter all speak. Member names follow the OpenAI API reference.

// ChatRequest is a chat completions request.
type ChatRequest struct {
	// Model is required by OpenAI; Azure takes the deployment from the URL
	// instead, so it is omitted when empty.
	Model       string        `json:"model,omitempty"`
	Messages    []ChatMessage `json:"messages"`
	Tools       []Tool        `json:"tools,omitempty"`
	ToolChoice  *ToolChoice   `json:"tool_choice,omitempty"`
	Temperature *float64      `json:"temperature,omitempty"`
	// MaxTokens is the older limit most compatible servers know;
	// MaxCompletionTokens is its replacement, which OpenAI's reasoning
	// models require.
	MaxTokens           int             `json:"max_tokens,omitempty"`
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	ResponseFormat      *ResponseFormat `json:"response_format,omitempty"`
	// Extra holds every other member (top_p, seed, stop, user, n, ...):
	// decoded as received and written after the modelled ones.
	Extra Extra `json:"-"`
}

type chatRequestFields ChatRequest

// MarshalJSON writes the request with its Extra members.
func (r ChatRequest) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(chatRequestFields(r))
	if err != nil {
		return nil, err
	}
	return appendExtra(b, r.Extra, reflect.TypeFor[chatRequestFields]())
}

// UnmarshalJSON reads the request, keeping unmodelled members in Extra.
func (r *ChatRequest) UnmarshalJSON(b []byte) error {
	var f chatRequestFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	extra, err := decodeExtra(b, reflect.TypeFor[chatRequestFields]())
	if err != nil {
		return err
	}
	f.Extra = extra
	*r = ChatRequest(f)
	return nil
}

// StreamOptions asks for extras in a streamed reply.
type StreamOptions struct {
	// IncludeUsage asks for a last chunk, with empty choices, that carries
	// the usage of the whole request.
	IncludeUsage bool `json:"include_usage"`
}

// ResponseFormat constrains the reply: "text", "json_object", or
// "json_schema" with the schema in JSONSchema.
type ResponseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// ChatMessage is one message of a request's conversation.
type ChatMessage struct {
	// Role is system, developer, user, assistant or tool.
	Role string `json:"role"`
	// Content is null only in an assistant turn that just calls tools.
	Content Content `json:"content"`
	Name    string  `json:"name,omitempty"`
	// Refusal is an earlier assistant turn's refusal, sent back as history.
	Refusal    string     `json:"refusal,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	// FunctionCall is the pre-tools form of a tool call.
	FunctionCall *FunctionCall `json:"function_call,omitempty"`
}

// Content is message content as it travels: a JSON string, null, or an
// array of parts. It keeps the JSON as received, so a proxy forwards
// image parts and the like unchanged; Text reads the text out of it. The
// zero value is null.
type Content []byte

// TextContent returns s as string content.
func TextContent(s string) Content {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// IsNull reports whether the content is absent or null.
func (c Content) IsNull() bool { return len(c) == 0 }

// MarshalJSON writes the content as held, or null.
func (c Content) MarshalJSON() ([]byte, error) {
	if len(c) == 0 {
		return []byte("null"), nil
	}
	return c, nil
}

// UnmarshalJSON keeps a copy of the JSON value; null becomes nil.
func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*c = nil
		return nil
	}
	*c = bytes.Clone(b)
	return nil
}

// ContentPart is one element of array content.
type ContentPart struct {
	// Type is "text" for text (bare strings in the array count as text
	// parts), or image_url, input_audio, file, ...
	Type string
	Text string
	// Raw is the part as received.
	Raw json.RawMessage
}

// Parts returns the content as parts: string content is one text part,
// null is none.
func (c Content) Parts() ([]ContentPart, error) {
	raw := bytes.TrimSpace(c)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []ContentPart{{Type: "text", Text: s, Raw: json.RawMessage(raw)}}, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, errors.New("message content is neither a string nor an array of parts")
	}
	parts := make([]ContentPart, 0, len(elems))
	for i, e := range elems {
		if err := json.Unmarshal(e, &s); err == nil {
			parts = append(parts, ContentPart{Type: "text", Text: s, Raw: e})
			continue
		}
		var p struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(e, &p); err != nil {
			return nil, fmt.Errorf("message content part %d is neither a string nor an object with a string type and text", i)
		}
		parts = append(parts, ContentPart{Type: p.Type, Text: p.Text, Raw: e})
	}
	return parts, nil
}

// Text returns the text of the content: the string, "" for null, or the
// text parts of an array concatenated (output_text parts, which some
// servers send, and parts without a type count as text; images and other
// parts are skipped).
func (c Content) Text() (string, error) {
	parts, err := c.Parts()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "output_text" || p.Type == "" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

// ToolCall is a call an assistant made, in a message or, with Index set,
// a fragment of one in a streamed delta.
type ToolCall struct {
	// Index says which call a streamed fragment belongs to; later
	// fragments of a call carry only the index and more arguments.
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and its arguments.
type FunctionCall struct {
	Name      string    `json:"name,omitempty"`
	Arguments Arguments `json:"arguments"`
}

// Arguments is tool-call arguments as JSON text. The API sends a JSON
// string holding JSON text ("{\"city\":\"Oslo\"}"); some compatible
// servers send the object itself, which decodes to its raw text. It is
// always encoded as a string. Arguments are model-written and may be
// invalid JSON.
type Arguments string

// UnmarshalJSON accepts a string, null (""), or any other JSON value,
// kept as its raw text.
func (a *Arguments) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*a = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = Arguments(s)
		return nil
	}
	*a = Arguments(b)
	return nil
}

// Tool declares a function the model may call.
type Tool struct {
	Type     string      `json:"type"` // "function"
	Function FunctionDef `json:"function"`
}

// FunctionDef describes a callable function.
type FunctionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"` // a JSON Schema
	Strict      *bool           `json:"strict,omitempty"`
}

// ToolChoice is the tool_choice member: a mode ("none", "auto",
// "required") or one function the model must call.
type ToolChoice struct {
	Mode     string
	Function string
	// Raw holds any other shape (newer ones, such as allowed_tools), as
	// received and written back unchanged.
	Raw json.RawMessage
}

type toolChoiceObject struct {
	Type     string `json:"type"`
	Function *struct {
		Name string `json:"name"`
	} `json:"function,omitempty"`
}

// MarshalJSON writes the mode as a string or the function as an object.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	switch {
	case len(t.Raw) > 0:
		return t.Raw, nil
	case t.Function != "":
		o := toolChoiceObject{Type: "function"}
		o.Function = &struct {
			Name string `json:"name"`
		}{t.Function}
		return json.Marshal(o)
	}
	return json.Marshal(t.Mode)
}

// UnmarshalJSON reads either form.
func (t *ToolChoice) UnmarshalJSON(b []byte) error {
	*t = ToolChoice{}
	if err := json.Unmarshal(b, &t.Mode); err == nil {
		return nil
	}
	var o toolChoiceObject
	if err := json.Unmarshal(b, &o); err == nil && o.Type == "function" && o.Function != nil {
		t.Function = o.Function.Name
		return nil
	}
	if !json.Valid(b) {
		return errors.New("tool_choice is not JSON")
	}
	t.Raw = bytes.Clone(b)
	return nil
}

// ChatCompletion is a non-streamed chat completion.
type ChatCompletion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"` // "chat.completion"
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	Choices           []ChatChoice `json:"choices"`
	Usage             *Usage       `json:"usage,omitempty"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty"`
	ServiceTier       string       `json:"service_tier,omitempty"`
}

// MarshalJSON writes nil Choices as [] rather than null.
func (c ChatCompletion) MarshalJSON() ([]byte, error) {
	type fields ChatCompletion
	if c.Choices == nil {
		c.Choices = []ChatChoice{}
	}
	return json.Marshal(fields(c))
}

// ChatChoice is one alternative of a completion.
type ChatChoice struct {
	Index   int             `json:"index"`
	Message ResponseMessage `json:"message"`
	// FinishReason is stop, length, tool_calls, content_filter or
	// function_call.
	FinishReason NullString      `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

// ResponseMessage is the assistant message of a choice.
type ResponseMessage struct {
	Role string `json:"role"`
	// Content is null when the model only called tools or refused.
	Content      Content       `json:"content"`
	Refusal      NullString    `json:"refusal"`
	ToolCalls    []ToolCall    `json:"tool_calls,omitempty"`
	FunctionCall *FunctionCall `json:"function_call,omitempty"`
	// Context is redoubt's extension, served by its demo app: the
	// documents the assistant retrieved to answer.
	Context Documents `json:"context,omitempty"`
}

// Documents is a list of retrieved documents. It decodes an array of
// strings or a single string; any other shape (Azure OpenAI's "On Your
// Data" sends an object under the same name) decodes as none rather than
// failing the whole response.
type Documents []string

// UnmarshalJSON implements the tolerant decoding described on Documents.
func (d *Documents) UnmarshalJSON(b []byte) error {
	*d = nil
	var s string
	if json.Unmarshal(b, &s) == nil {
		*d = Documents{s}
		return nil
	}
	var elems []json.RawMessage
	if json.Unmarshal(b, &elems) != nil {
		return nil
	}
	for _, e := range elems {
		if json.Unmarshal(e, &s) == nil {
			*d = append(*d, s)
		}
	}
	return nil
}

// Usage counts the tokens of a request.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// The details (cached and reasoning tokens, ...) are kept as received.
	PromptTokensDetails     json.RawMessage `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails json.RawMessage `json:"completion_tokens_details,omitempty"`
}

// ChatCompletionChunk is one event of a streamed completion.
type ChatCompletionChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"` // "chat.completion.chunk"
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	Choices           []ChunkChoice `json:"choices"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
	ServiceTier       string        `json:"service_tier,omitempty"`
	// Usage is set on the last chunk (with empty choices) when the request
	// asked for stream_options.include_usage.
	Usage *Usage `json:"usage,omitempty"`
}

// MarshalJSON writes nil Choices as [] rather than null.
func (c ChatCompletionChunk) MarshalJSON() ([]byte, error) {
	type fields ChatCompletionChunk
	if c.Choices == nil {
		c.Choices = []ChunkChoice{}
	}
	return json.Marshal(fields(c))
}

// ChunkChoice is one choice's part of a chunk.
type ChunkChoice struct {
	Index        int             `json:"index"`
	Delta        ChatDelta       `json:"delta"`
	FinishReason NullString      `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

// ChatDelta is what a chunk adds to a choice's message.
type ChatDelta struct {
	Role string `json:"role,omitempty"`
	// Content is a piece of text; omitted (nil) in chunks that carry none.
	Content      Content       `json:"content,omitzero"`
	Refusal      string        `json:"refusal,omitempty"`
	ToolCalls    []ToolCall    `json:"tool_calls,omitempty"`
	FunctionCall *FunctionCall `json:"function_call,omitempty"`
	// Context is the demo app's extension, as in ResponseMessage.
	Context Documents `json:"context,omitempty"`
}

// ErrorBody is an OpenAI error response: {"error": {...}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes an error.
type ErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	// Code is a string in OpenAI's errors; some servers send a number,
	// which decodes as its text.
	Code ErrorCode `json:"code"`
}

// ErrorCode is an error code, written as null when empty.
type ErrorCode string

// MarshalJSON implements json.Marshaler.
func (c ErrorCode) MarshalJSON() ([]byte, error) { return NullString(c).MarshalJSON() }

// UnmarshalJSON accepts a string, a number or null.
func (c *ErrorCode) UnmarshalJSON(b []byte) error {
	var s NullString
	if err := s.UnmarshalJSON(b); err == nil {
		*c = ErrorCode(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("error code is neither a string nor a number")
	}
	*c = ErrorCode(n)
	return nil
}

// APIError is an error a server reported in a body or in a stream.
type APIError struct {
	Type    string // invalid_request_error, overloaded_error, ...
	Code    string
	Message string
}

// Error returns "type: message", or the parts there are.
func (e *APIError) Error() string {
	switch {
	case e.Type != "" && e.Message != "":
		return e.Type + ": " + e.Message
	case e.Message != "":
		return e.Message
	case e.Code != "":
		return "error code " + e.Code
	}
	return e.Type
}

// ParseError reads the value of an "error" member, whatever its shape:
// an object with message, type and code (OpenAI, Anthropic), a bare
// string (some compatible servers), or anything else, kept as text.
func ParseError(raw json.RawMessage) *APIError {
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return &APIError{Message: s}
	}
	var d ErrorDetail
	if json.Unmarshal(raw, &d) == nil && (d.Message != "" || d.Type != "" || d.Code != "") {
		return &APIError{Type: d.Type, Code: string(d.Code), Message: d.Message}
	}
	return &APIError{Message: string(raw)}
}

// hasError reports whether an "error" member is present and not null.
func hasError(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && string(raw) != "null"
}

// DecodeChatCompletion reads a non-streamed completion. An error reported
// in the body (some servers answer 200 with one) is an *APIError; a body
// that is not JSON or has no choices member is an error saying so. Empty
// choices are returned as they are.
func DecodeChatCompletion(body []byte) (*ChatCompletion, error) {
	var env struct {
		ChatCompletion
		// These shadow the embedded fields, to see what is missing.
		Choices *[]ChatChoice   `json:"choices"`
		Error   json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || !json.Valid(body) {
			return nil, fmt.Errorf("not a chat completion (not JSON: %v)", err)
		}
		return nil, fmt.Errorf("not a chat completion: %v", err)
	}
	if hasError(env.Error) {
		return nil, ParseError(env.Error)
	}
	if env.Choices == nil {
		return nil, errors.New("not a chat completion (no choices field)")
	}
	c := env.ChatCompletion
	c.Choices = *env.Choices
	return &c, nil
}

// DecodeChatChunk reads one streamed chunk; an error sent in the stream
// ({"error": {...}}) is an *APIError.
func DecodeChatChunk(data []byte) (*ChatCompletionChunk, error) {
	var env struct {
		ChatCompletionChunk
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("not a chat completion chunk: %v", err)
	}
	if hasError(env.Error) {
		return nil, ParseError(env.Error)
	}
	return &env.ChatCompletionChunk, nil
}
