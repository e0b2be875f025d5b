package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Wire format of the Anthropic Messages API (POST /v1/messages, version
// 2023-06-01). Member names follow Anthropic's API reference.

// MessagesRequest is a Messages API request.
type MessagesRequest struct {
	Model     string `json:"model"`
	MaxTokens int    `json:"max_tokens"`
	// System is the system prompt: a string, or text blocks (which may
	// carry cache_control).
	System        AnthropicContent     `json:"system,omitzero"`
	Messages      []AnthropicMessage   `json:"messages"`
	Tools         []AnthropicTool      `json:"tools,omitempty"`
	ToolChoice    *AnthropicToolChoice `json:"tool_choice,omitempty"`
	Temperature   *float64             `json:"temperature,omitempty"`
	StopSequences []string             `json:"stop_sequences,omitempty"`
	Stream        bool                 `json:"stream,omitempty"`
	// Thinking configures extended thinking, kept as received.
	Thinking json.RawMessage `json:"thinking,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// Extra holds every other member (top_p, top_k, service_tier, ...).
	Extra Extra `json:"-"`
}

type messagesRequestFields MessagesRequest

// MarshalJSON writes the request with its Extra members.
func (r MessagesRequest) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(messagesRequestFields(r))
	if err != nil {
		return nil, err
	}
	return appendExtra(b, r.Extra, reflect.TypeFor[messagesRequestFields]())
}

// UnmarshalJSON reads the request, keeping unmodelled members in Extra.
func (r *MessagesRequest) UnmarshalJSON(b []byte) error {
	var f messagesRequestFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	extra, err := decodeExtra(b, reflect.TypeFor[messagesRequestFields]())
	if err != nil {
		return err
	}
	f.Extra = extra
	*r = MessagesRequest(f)
	return nil
}

// AnthropicMessage is one turn of a request.
type AnthropicMessage struct {
	Role    string           `json:"role"` // user or assistant
	Content AnthropicContent `json:"content"`
}

// AnthropicContent is content that is either a plain string or an array
// of blocks. With Blocks nil it is the string Text; otherwise it is
// Blocks (possibly empty) and Text is unused.
type AnthropicContent struct {
	Text   string
	Blocks []ContentBlock
}

// IsZero reports whether the content is the empty string.
func (c AnthropicContent) IsZero() bool { return c.Text == "" && c.Blocks == nil }

// PlainText returns the string, or the text of the text blocks joined.
func (c AnthropicContent) PlainText() string {
	if c.Blocks == nil {
		return c.Text
	}
	var b strings.Builder
	for _, bl := range c.Blocks {
		if bl.Type == "text" {
			b.WriteString(bl.Text)
		}
	}
	return b.String()
}

// MarshalJSON writes a string or an array of blocks.
func (c AnthropicContent) MarshalJSON() ([]byte, error) {
	if c.Blocks == nil {
		return json.Marshal(c.Text)
	}
	return json.Marshal(c.Blocks)
}

// UnmarshalJSON reads a string, an array of blocks, or null (empty).
func (c *AnthropicContent) UnmarshalJSON(b []byte) error {
	*c = AnthropicContent{}
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &c.Text)
	case len(b) > 0 && b[0] == '[':
		c.Blocks = []ContentBlock{}
		return json.Unmarshal(b, &c.Blocks)
	}
	return errors.New("content is neither a string nor an array of blocks")
}

// Block types this package models; others are kept raw in ContentBlock.
const (
	BlockText             = "text"
	BlockToolUse          = "tool_use"
	BlockToolResult       = "tool_result"
	BlockThinking         = "thinking"
	BlockRedactedThinking = "redacted_thinking"
)

// ContentBlock is one block of content. Which fields apply depends on
// Type; a block of another type (image, document, server_tool_use,
// web_search_tool_result, ...) is kept in Raw and written back as
// received.
type ContentBlock struct {
	Type string
	// Text is a text block's text.
	Text string
	// ID, Name and Input describe a tool_use block. Input is the
	// arguments object as JSON text; in an accumulated stream it is the
	// partial_json fragments joined, which is whatever the model wrote.
	ID    string
	Name  string
	Input json.RawMessage
	// ToolUseID, Content and IsError describe a tool_result block.
	ToolUseID string
	Content   AnthropicContent
	IsError   bool
	// Thinking and Signature describe a thinking block; Data a
	// redacted_thinking block.
	Thinking  string
	Signature string
	Data      string
	// Extra holds members of a modelled type that no field covers
	// (cache_control, citations).
	Extra Extra
	// Raw is a block of a type not modelled, as received.
	Raw json.RawMessage
}

// The encoded forms of the modelled block types: the members each type
// always has, in the API's order.
type (
	textBlock struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	toolUseBlock struct {
		Type  string          `json:"type"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	}
	toolResultBlock struct {
		Type      string           `json:"type"`
		ToolUseID string           `json:"tool_use_id"`
		Content   AnthropicContent `json:"content,omitzero"`
		IsError   bool             `json:"is_error,omitempty"`
	}
	thinkingBlock struct {
		Type      string `json:"type"`
		Thinking  string `json:"thinking"`
		Signature string `json:"signature"`
	}
	redactedThinkingBlock struct {
		Type string `json:"type"`
		Data string `json:"data"`
	}
)

// MarshalJSON writes the block in its type's form.
func (b ContentBlock) MarshalJSON() ([]byte, error) {
	var v any
	switch b.Type {
	case BlockText:
		v = textBlock{b.Type, b.Text}
	case BlockToolUse:
		input := b.Input
		if len(bytes.TrimSpace(input)) == 0 {
			input = json.RawMessage("{}")
		}
		v = toolUseBlock{b.Type, b.ID, b.Name, input}
	case BlockToolResult:
		v = toolResultBlock{b.Type, b.ToolUseID, b.Content, b.IsError}
	case BlockThinking:
		v = thinkingBlock{b.Type, b.Thinking, b.Signature}
	case BlockRedactedThinking:
		v = redactedThinkingBlock{b.Type, b.Data}
	default:
		if len(b.Raw) > 0 {
			return b.Raw, nil
		}
		return json.Marshal(struct {
			Type string `json:"type"`
		}{b.Type})
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s block: %w", b.Type, err)
	}
	return appendExtra(out, b.Extra, reflect.TypeOf(v))
}

// UnmarshalJSON reads a block of any type.
func (b *ContentBlock) UnmarshalJSON(data []byte) error {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("content block: %w", err)
	}
	*b = ContentBlock{Type: probe.Type}
	var err error
	var t reflect.Type
	switch probe.Type {
	case BlockText:
		var v textBlock
		err, t = json.Unmarshal(data, &v), reflect.TypeOf(v)
		b.Text = v.Text
	case BlockToolUse:
		var v toolUseBlock
		err, t = json.Unmarshal(data, &v), reflect.TypeOf(v)
		b.ID, b.Name, b.Input = v.ID, v.Name, bytes.Clone(v.Input)
	case BlockToolResult:
		var v toolResultBlock
		err, t = json.Unmarshal(data, &v), reflect.TypeOf(v)
		b.ToolUseID, b.Content, b.IsError = v.ToolUseID, v.Content, v.IsError
	case BlockThinking:
		var v thinkingBlock
		err, t = json.Unmarshal(data, &v), reflect.TypeOf(v)
		b.Thinking, b.Signature = v.Thinking, v.Signature
	case BlockRedactedThinking:
		var v redactedThinkingBlock
		err, t = json.Unmarshal(data, &v), reflect.TypeOf(v)
		b.Data = v.Data
	default:
		b.Raw = bytes.Clone(data)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s block: %w", probe.Type, err)
	}
	b.Extra, err = decodeExtra(data, t)
	return err
}

// AnthropicTool declares a tool: a client tool (name, description,
// input_schema) or a server tool (a versioned type such as
// web_search_20250305, with its own settings kept in Extra).
type AnthropicTool struct {
	Type        string          `json:"type,omitempty"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema,omitempty"`
	Extra       Extra           `json:"-"`
}

type anthropicToolFields AnthropicTool

// MarshalJSON writes the tool with its Extra members.
func (t AnthropicTool) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(anthropicToolFields(t))
	if err != nil {
		return nil, err
	}
	return appendExtra(b, t.Extra, reflect.TypeFor[anthropicToolFields]())
}

// UnmarshalJSON reads the tool, keeping unmodelled members in Extra.
func (t *AnthropicTool) UnmarshalJSON(b []byte) error {
	var f anthropicToolFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	extra, err := decodeExtra(b, reflect.TypeFor[anthropicToolFields]())
	if err != nil {
		return err
	}
	f.Extra = extra
	*t = AnthropicTool(f)
	return nil
}

// AnthropicToolChoice is the tool_choice member.
type AnthropicToolChoice struct {
	Type                   string `json:"type"` // auto, any, tool or none
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// MessagesResponse is a Messages API response, and the message of a
// message_start event.
type MessagesResponse struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"` // "message"
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []ContentBlock `json:"content"`
	StopReason   NullString     `json:"stop_reason"`
	StopSequence NullString     `json:"stop_sequence"`
	Usage        AnthropicUsage `json:"usage"`
}

// MarshalJSON writes nil Content as [] rather than null, as
// message_start requires.
func (m MessagesResponse) MarshalJSON() ([]byte, error) {
	type fields MessagesResponse
	if m.Content == nil {
		m.Content = []ContentBlock{}
	}
	return json.Marshal(fields(m))
}

// AnthropicUsage counts tokens. In a stream, message_start carries the
// input tokens and message_delta the cumulative output tokens (and, from
// newer servers, the input tokens again).
type AnthropicUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens,omitempty"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens,omitempty"`
}

// AnthropicErrorBody is an error response: {"type": "error", "error": {...}}.
type AnthropicErrorBody struct {
	Type  string               `json:"type"`
	Error AnthropicErrorDetail `json:"error"`
}

// AnthropicErrorDetail describes an error (overloaded_error, ...).
type AnthropicErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// DecodeMessagesResponse reads a non-streamed response. An error body is
// an *APIError; what is not JSON or has no content member is an error
// saying so.
func DecodeMessagesResponse(body []byte) (*MessagesResponse, error) {
	var env struct {
		MessagesResponse
		Content *[]ContentBlock `json:"content"`
		Error   json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		if !json.Valid(body) {
			return nil, fmt.Errorf("not a Messages API response (not JSON: %v)", err)
		}
		return nil, fmt.Errorf("not a Messages API response: %v", err)
	}
	if env.Type == "error" || hasError(env.Error) {
		return nil, ParseError(env.Error)
	}
	if env.Content == nil {
		return nil, errors.New("not a Messages API response (no content field)")
	}
	m := env.MessagesResponse
	m.Content = *env.Content
	return &m, nil
}

// Stream event types.
const (
	EventMessageStart      = "message_start"
	EventContentBlockStart = "content_block_start"
	EventContentBlockDelta = "content_block_delta"
	EventContentBlockStop  = "content_block_stop"
	EventMessageDelta      = "message_delta"
	EventMessageStop       = "message_stop"
	EventPing              = "ping"
	EventError             = "error"
)

// Delta types of content_block_delta.
const (
	DeltaText      = "text_delta"
	DeltaInputJSON = "input_json_delta"
	DeltaThinking  = "thinking_delta"
	DeltaSignature = "signature_delta"
)

// StreamEvent is one event of a streamed message. Which fields apply
// depends on Type; an event of a type not modelled is kept in Raw.
type StreamEvent struct {
	Type string
	// Message is message_start's message, with empty content.
	Message *MessagesResponse
	// Index is the content block of content_block_start, _delta and
	// _stop: its position in the final message's content.
	Index        int
	ContentBlock *ContentBlock // content_block_start
	Delta        *BlockDelta   // content_block_delta
	MessageDelta *MessageDelta // message_delta's delta
	Usage        *AnthropicUsage
	Error        *AnthropicErrorDetail
	Raw          json.RawMessage
}

// BlockDelta is what a content_block_delta adds to its block.
type BlockDelta struct {
	Type        string // text_delta, input_json_delta, thinking_delta, signature_delta
	Text        string
	PartialJSON string
	Thinking    string
	Signature   string
	// Raw is a delta of a type not modelled (citations_delta, ...).
	Raw json.RawMessage
}

// MessageDelta is message_delta's change to the message.
type MessageDelta struct {
	StopReason   NullString `json:"stop_reason"`
	StopSequence NullString `json:"stop_sequence"`
}

type streamEventFields struct {
	Type         string                `json:"type"`
	Message      *MessagesResponse     `json:"message,omitempty"`
	Index        *int                  `json:"index,omitempty"`
	ContentBlock *ContentBlock         `json:"content_block,omitempty"`
	Delta        json.RawMessage       `json:"delta,omitempty"`
	Usage        *AnthropicUsage       `json:"usage,omitempty"`
	Error        *AnthropicErrorDetail `json:"error,omitempty"`
}

// MarshalJSON writes the event with the members its type has.
func (e StreamEvent) MarshalJSON() ([]byte, error) {
	f := streamEventFields{Type: e.Type}
	index := func() *int { i := e.Index; return &i }
	switch e.Type {
	case EventMessageStart:
		if e.Message == nil {
			return nil, errors.New("message_start without a message")
		}
		f.Message = e.Message
	case EventContentBlockStart:
		if e.ContentBlock == nil {
			return nil, errors.New("content_block_start without a content block")
		}
		f.Index, f.ContentBlock = index(), e.ContentBlock
	case EventContentBlockDelta:
		if e.Delta == nil {
			return nil, errors.New("content_block_delta without a delta")
		}
		d, err := e.Delta.MarshalJSON()
		if err != nil {
			return nil, err
		}
		f.Index, f.Delta = index(), d
	case EventContentBlockStop:
		f.Index = index()
	case EventMessageDelta:
		md := MessageDelta{}
		if e.MessageDelta != nil {
			md = *e.MessageDelta
		}
		d, err := json.Marshal(md)
		if err != nil {
			return nil, err
		}
		f.Delta, f.Usage = d, e.Usage
		if f.Usage == nil {
			f.Usage = &AnthropicUsage{}
		}
	case EventError:
		f.Error = e.Error
		if f.Error == nil {
			f.Error = &AnthropicErrorDetail{Type: "api_error"}
		}
	case EventMessageStop, EventPing:
	default:
		if len(e.Raw) > 0 {
			return e.Raw, nil
		}
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads an event of any type.
func (e *StreamEvent) UnmarshalJSON(b []byte) error {
	var f streamEventFields
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("stream event: %w", err)
	}
	*e = StreamEvent{Type: f.Type, Message: f.Message, ContentBlock: f.ContentBlock, Usage: f.Usage, Error: f.Error}
	if f.Index != nil {
		e.Index = *f.Index
	}
	switch f.Type {
	case EventContentBlockDelta:
		if len(f.Delta) > 0 {
			e.Delta = new(BlockDelta)
			if err := json.Unmarshal(f.Delta, e.Delta); err != nil {
				return fmt.Errorf("content_block_delta: %w", err)
			}
		}
	case EventMessageDelta:
		if len(f.Delta) > 0 {
			e.MessageDelta = new(MessageDelta)
			if err := json.Unmarshal(f.Delta, e.MessageDelta); err != nil {
				return fmt.Errorf("message_delta: %w", err)
			}
		}
	case EventMessageStart, EventContentBlockStart, EventContentBlockStop, EventMessageStop, EventPing, EventError:
	default:
		e.Raw = bytes.Clone(b)
	}
	return nil
}

type blockDeltaFields struct {
	Type        string  `json:"type"`
	Text        *string `json:"text,omitempty"`
	PartialJSON *string `json:"partial_json,omitempty"`
	Thinking    *string `json:"thinking,omitempty"`
	Signature   *string `json:"signature,omitempty"`
}

// MarshalJSON writes the delta with its type's member.
func (d BlockDelta) MarshalJSON() ([]byte, error) {
	f := blockDeltaFields{Type: d.Type}
	switch d.Type {
	case DeltaText:
		f.Text = &d.Text
	case DeltaInputJSON:
		f.PartialJSON = &d.PartialJSON
	case DeltaThinking:
		f.Thinking = &d.Thinking
	case DeltaSignature:
		f.Signature = &d.Signature
	default:
		if len(d.Raw) > 0 {
			return d.Raw, nil
		}
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads a delta of any type.
func (d *BlockDelta) UnmarshalJSON(b []byte) error {
	var f blockDeltaFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*d = BlockDelta{Type: f.Type}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	switch f.Type {
	case DeltaText, DeltaInputJSON, DeltaThinking, DeltaSignature:
		d.Text, d.PartialJSON, d.Thinking, d.Signature = deref(f.Text), deref(f.PartialJSON), deref(f.Thinking), deref(f.Signature)
	default:
		d.Raw = bytes.Clone(b)
	}
	return nil
}
