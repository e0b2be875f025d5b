package wire

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/wire/sse"
)

// ErrIncomplete is matched (errors.Is) when a stream ended before it said
// it was finished: no [DONE] and no finish_reason (OpenAI), no
// message_stop and no stop_reason (Anthropic).
var ErrIncomplete = errors.New("the stream ended before the reply was complete")

// ChatAccumulator assembles the chunks of a streamed chat completion into
// the ChatCompletion a non-streamed request would have returned. The zero
// value is ready to use.
type ChatAccumulator struct {
	head    ChatCompletionChunk // id, created, model, ... of the first chunk with them
	choices []*choiceState      // in order of first appearance
	usage   *Usage
	chunks  int
}

type choiceState struct {
	index        int
	role         string
	content      strings.Builder
	hasContent   bool
	refusal      strings.Builder
	calls        []*ToolCall
	function     *FunctionCall // the legacy function_call, accumulated
	finishReason NullString
	context      Documents
}

// Add merges one chunk. Content and refusal pieces are appended; tool-call
// fragments are merged into the call their index names (the first
// fragment carries the id and name, the others more arguments); usage is
// taken from the last chunk that has it; finish_reason from the chunk that
// sets it.
func (a *ChatAccumulator) Add(c *ChatCompletionChunk) {
	a.chunks++
	a.head.ID = cmp.Or(a.head.ID, c.ID)
	a.head.Created = cmp.Or(a.head.Created, c.Created)
	a.head.Model = cmp.Or(a.head.Model, c.Model)
	a.head.SystemFingerprint = cmp.Or(a.head.SystemFingerprint, c.SystemFingerprint)
	a.head.ServiceTier = cmp.Or(a.head.ServiceTier, c.ServiceTier)
	if c.Usage != nil {
		u := *c.Usage
		a.usage = &u
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		st := a.choice(ch.Index)
		d := &ch.Delta
		st.role = cmp.Or(st.role, d.Role)
		if !d.Content.IsNull() {
			// A piece that is not text (a server sending parts) adds nothing.
			text, _ := d.Content.Text()
			st.content.WriteString(text)
			st.hasContent = true
		}
		st.refusal.WriteString(d.Refusal)
		for j := range d.ToolCalls {
			st.mergeCall(&d.ToolCalls[j])
		}
		if fc := d.FunctionCall; fc != nil {
			if st.function == nil {
				st.function = &FunctionCall{}
			}
			st.function.Name = mergeName(st.function.Name, fc.Name)
			st.function.Arguments += fc.Arguments
		}
		st.context = append(st.context, d.Context...)
		if ch.FinishReason != "" {
			st.finishReason = ch.FinishReason
		}
	}
}

func (a *ChatAccumulator) choice(index int) *choiceState {
	for _, st := range a.choices {
		if st.index == index {
			return st
		}
	}
	st := &choiceState{index: index}
	a.choices = append(a.choices, st)
	return st
}

// mergeCall adds a tool-call fragment. With an index (the API always
// sends one) the fragment belongs to the call with that index. Without
// one, as some compatible servers send whole calls, an id not seen yet
// starts a new call, and a fragment without an id continues the last.
func (st *choiceState) mergeCall(f *ToolCall) {
	var call *ToolCall
	switch {
	case f.Index != nil:
		for _, c := range st.calls {
			if *c.Index == *f.Index {
				call = c
				break
			}
		}
	case f.ID != "":
		for _, c := range st.calls {
			if c.ID == f.ID {
				call = c
				break
			}
		}
	case len(st.calls) > 0:
		call = st.calls[len(st.calls)-1]
	}
	if call == nil {
		idx := len(st.calls)
		if f.Index != nil {
			idx = *f.Index
		}
		call = &ToolCall{Index: &idx}
		st.calls = append(st.calls, call)
	}
	call.ID = cmp.Or(call.ID, f.ID)
	call.Type = cmp.Or(call.Type, f.Type)
	call.Function.Name = mergeName(call.Function.Name, f.Function.Name)
	call.Function.Arguments += f.Function.Arguments
}

// mergeName joins name fragments. The API sends a name once, but some
// servers repeat it in every fragment; a repeat is not appended.
func mergeName(have, piece string) string {
	if piece == "" || piece == have {
		return have
	}
	return have + piece
}

// Chunks returns how many chunks were added.
func (a *ChatAccumulator) Chunks() int { return a.chunks }

// Finished reports whether every choice seen has a finish_reason.
func (a *ChatAccumulator) Finished() bool {
	if len(a.choices) == 0 {
		return false
	}
	for _, st := range a.choices {
		if st.finishReason == "" {
			return false
		}
	}
	return true
}

// Completion returns what has been assembled so far as a non-streamed
// completion: choices in index order, tool calls in index order and
// without their stream indexes, content null when no content arrived.
func (a *ChatAccumulator) Completion() *ChatCompletion {
	c := &ChatCompletion{
		ID:                a.head.ID,
		Object:            "chat.completion",
		Created:           a.head.Created,
		Model:             a.head.Model,
		SystemFingerprint: a.head.SystemFingerprint,
		ServiceTier:       a.head.ServiceTier,
		Choices:           []ChatChoice{},
	}
	if a.usage != nil {
		u := *a.usage
		c.Usage = &u
	}
	states := slices.Clone(a.choices)
	slices.SortStableFunc(states, func(x, y *choiceState) int { return cmp.Compare(x.index, y.index) })
	for _, st := range states {
		msg := ResponseMessage{
			Role:    cmp.Or(st.role, "assistant"),
			Refusal: NullString(st.refusal.String()),
			Context: slices.Clone(st.context),
		}
		if st.hasContent {
			msg.Content = TextContent(st.content.String())
		}
		calls := slices.Clone(st.calls)
		slices.SortStableFunc(calls, func(x, y *ToolCall) int { return cmp.Compare(*x.Index, *y.Index) })
		for _, call := range calls {
			tc := *call
			tc.Index = nil
			tc.Type = cmp.Or(tc.Type, "function")
			msg.ToolCalls = append(msg.ToolCalls, tc)
		}
		if st.function != nil {
			fc := *st.function
			msg.FunctionCall = &fc
		}
		c.Choices = append(c.Choices, ChatChoice{Index: st.index, Message: msg, FinishReason: st.finishReason})
	}
	return c
}

// ReadChatStream reads a streamed chat completion from an event stream
// and returns it assembled. onChunk, when not nil, sees each chunk as it
// arrives; an error from it stops the reading and is returned as is.
// Events and lines larger than maxEvent bytes are errors (0: the sse
// package's default).
//
// The stream is complete at [DONE]; one that ends without it is accepted
// when every choice has a finish_reason (some compatible servers never
// send [DONE]) and is otherwise an ErrIncomplete error. An error the
// server sends in the stream is an *APIError.
func ReadChatStream(r io.Reader, maxEvent int, onChunk func(*ChatCompletionChunk) error) (*ChatCompletion, error) {
	sr := sse.NewReader(r, maxEvent)
	var acc ChatAccumulator
	for n := 1; ; n++ {
		ev, err := sr.Next()
		if err == io.EOF || errors.Is(err, sse.ErrTruncated) {
			if !acc.Finished() {
				return nil, fmt.Errorf("%w: no [DONE] and no finish_reason after %d chunks", ErrIncomplete, acc.Chunks())
			}
			return acc.Completion(), nil
		}
		if err != nil {
			return nil, err
		}
		data := bytes.TrimSpace([]byte(ev.Data))
		switch {
		case string(data) == "[DONE]":
			if acc.Chunks() == 0 {
				return nil, fmt.Errorf("%w: [DONE] before any chunk", ErrIncomplete)
			}
			return acc.Completion(), nil
		case len(data) == 0:
			continue // an empty keep-alive event
		case ev.Type == "error":
			// Some servers name the event; the data is the error.
			var body struct {
				Error json.RawMessage `json:"error"`
			}
			if json.Unmarshal(data, &body) == nil && hasError(body.Error) {
				return nil, ParseError(body.Error)
			}
			return nil, ParseError(data)
		}
		chunk, err := DecodeChatChunk(data)
		if err != nil {
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				return nil, err
			}
			return nil, fmt.Errorf("event %d: %w", n, err)
		}
		acc.Add(chunk)
		if onChunk != nil {
			if err := onChunk(chunk); err != nil {
				return nil, err
			}
		}
	}
}

// MessageAccumulator assembles the events of a streamed Anthropic message
// into the MessagesResponse a non-streamed request would have returned.
// The zero value is ready to use.
type MessageAccumulator struct {
	msg     MessagesResponse
	started bool
	stopped bool
	blocks  []*blockState
}

type blockState struct {
	index    int
	block    ContentBlock
	text     strings.Builder
	thinking strings.Builder
	json     strings.Builder
	hasJSON  bool
}

// Add applies one event. message_start sets the message and the input
// usage; text, thinking and input_json deltas are appended to their
// block; message_delta sets the stop reason and the cumulative usage; an
// error event is returned as an *APIError.
func (a *MessageAccumulator) Add(ev *StreamEvent) error {
	switch ev.Type {
	case EventMessageStart:
		if ev.Message != nil {
			a.msg = *ev.Message
			a.msg.Content = nil
		}
		a.started = true
	case EventContentBlockStart:
		st := a.block(ev.Index, "")
		if ev.ContentBlock != nil {
			st.block = *ev.ContentBlock
			// The start carries the block's initial text, usually empty.
			st.text.WriteString(st.block.Text)
			st.thinking.WriteString(st.block.Thinking)
		}
	case EventContentBlockDelta:
		d := ev.Delta
		if d == nil {
			return fmt.Errorf("content_block_delta for block %d has no delta", ev.Index)
		}
		st := a.block(ev.Index, blockTypeOf(d.Type))
		switch d.Type {
		case DeltaText:
			st.text.WriteString(d.Text)
		case DeltaInputJSON:
			st.json.WriteString(d.PartialJSON)
			st.hasJSON = true
		case DeltaThinking:
			st.thinking.WriteString(d.Thinking)
		case DeltaSignature:
			st.block.Signature += d.Signature
		}
	case EventMessageDelta:
		if md := ev.MessageDelta; md != nil {
			a.msg.StopReason = cmp.Or(md.StopReason, a.msg.StopReason)
			a.msg.StopSequence = cmp.Or(md.StopSequence, a.msg.StopSequence)
		}
		if u := ev.Usage; u != nil {
			// The counts are cumulative: a later non-zero count replaces
			// the earlier one; absent ones keep message_start's.
			a.msg.Usage.OutputTokens = cmp.Or(u.OutputTokens, a.msg.Usage.OutputTokens)
			a.msg.Usage.InputTokens = cmp.Or(u.InputTokens, a.msg.Usage.InputTokens)
			a.msg.Usage.CacheCreationInputTokens = cmp.Or(u.CacheCreationInputTokens, a.msg.Usage.CacheCreationInputTokens)
			a.msg.Usage.CacheReadInputTokens = cmp.Or(u.CacheReadInputTokens, a.msg.Usage.CacheReadInputTokens)
		}
	case EventMessageStop:
		a.stopped = true
	case EventError:
		if ev.Error == nil {
			return &APIError{Type: "error", Message: "the server sent an error event without details"}
		}
		return &APIError{Type: ev.Error.Type, Message: ev.Error.Message}
	}
	// ping, content_block_stop and event types added later change nothing.
	return nil
}

// blockTypeOf is the block type a delta implies, for a delta whose block
// was never started (tolerated rather than failing the whole reply).
func blockTypeOf(deltaType string) string {
	switch deltaType {
	case DeltaInputJSON:
		return BlockToolUse
	case DeltaThinking, DeltaSignature:
		return BlockThinking
	}
	return BlockText
}

func (a *MessageAccumulator) block(index int, typ string) *blockState {
	for _, st := range a.blocks {
		if st.index == index {
			return st
		}
	}
	st := &blockState{index: index, block: ContentBlock{Type: typ}}
	a.blocks = append(a.blocks, st)
	return st
}

// Finished reports whether message_stop arrived, or at least message_delta's
// stop_reason (after which only message_stop can follow).
func (a *MessageAccumulator) Finished() bool { return a.stopped || a.msg.StopReason != "" }

// Started reports whether message_start arrived.
func (a *MessageAccumulator) Started() bool { return a.started }

// Message returns what has been assembled so far, blocks in index order.
// A tool_use block's Input is its partial_json fragments joined (or the
// start's input, {}, when none came).
func (a *MessageAccumulator) Message() *MessagesResponse {
	m := a.msg
	m.Type = cmp.Or(m.Type, "message")
	m.Role = cmp.Or(m.Role, "assistant")
	m.Content = []ContentBlock{}
	states := slices.Clone(a.blocks)
	slices.SortStableFunc(states, func(x, y *blockState) int { return cmp.Compare(x.index, y.index) })
	for _, st := range states {
		b := st.block
		switch b.Type {
		case BlockText:
			b.Text = st.text.String()
		case BlockThinking:
			b.Thinking = st.thinking.String()
		case BlockToolUse:
			if st.hasJSON {
				b.Input = json.RawMessage(st.json.String())
			}
		}
		m.Content = append(m.Content, b)
	}
	return &m
}

// ReadMessagesStream reads a streamed Anthropic message from an event
// stream and returns it assembled. onEvent, when not nil, sees each event
// as it arrives; an error from it stops the reading and is returned as
// is. Events and lines larger than maxEvent bytes are errors (0: the sse
// package's default).
//
// The stream is complete at message_stop; one that ends after
// message_delta's stop_reason is accepted too, anything shorter is an
// ErrIncomplete error. An error event is an *APIError.
func ReadMessagesStream(r io.Reader, maxEvent int, onEvent func(*StreamEvent) error) (*MessagesResponse, error) {
	sr := sse.NewReader(r, maxEvent)
	var acc MessageAccumulator
	for n := 1; ; n++ {
		ev, err := sr.Next()
		if err == io.EOF || errors.Is(err, sse.ErrTruncated) {
			if !acc.Finished() {
				return nil, fmt.Errorf("%w: no message_stop after %d events", ErrIncomplete, n-1)
			}
			return acc.Message(), nil
		}
		if err != nil {
			return nil, err
		}
		data := bytes.TrimSpace([]byte(ev.Data))
		if len(data) == 0 {
			continue
		}
		var se StreamEvent
		if err := json.Unmarshal(data, &se); err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", n, ev.Type, err)
		}
		if se.Type == "" {
			// The data names its type; fall back on the event name.
			se.Type = ev.Type
		}
		if err := acc.Add(&se); err != nil {
			return nil, err
		}
		if onEvent != nil {
			if err := onEvent(&se); err != nil {
				return nil, err
			}
		}
		if se.Type == EventMessageStop {
			return acc.Message(), nil
		}
	}
}
