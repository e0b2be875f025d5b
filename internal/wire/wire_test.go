package wire

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/internal/wire/sse"
)

// jsonValue decodes JSON into generic values, for comparing documents
// regardless of member order and spacing.
func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return v
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

func TestContent(t *testing.T) {
	tests := []struct {
		raw, want, err string
	}{
		{`"hello"`, "hello", ""},
		{`null`, "", ""},
		{``, "", ""},
		{`[{"type":"text","text":"Hel"},{"type":"image_url","image_url":{"url":"x"}},{"type":"output_text","text":"l"},"o",{"text":"!"}]`, "Hello!", ""},
		{`[{"type":"image_url","image_url":{"url":"x"}}]`, "", ""},
		{`42`, "", "neither a string nor an array"},
		{`[42]`, "", "part 0"},
	}
	for _, tt := range tests {
		var c Content
		if tt.raw != "" {
			if err := json.Unmarshal([]byte(tt.raw), &c); err != nil {
				t.Fatalf("%s: %v", tt.raw, err)
			}
		}
		got, err := c.Text()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Text(%s) error %v, want %q", tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Text(%s) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
	// Content is written back as received, and nil as null.
	var m ChatMessage
	in := `{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:x","detail":"low"}}]}`
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(jsonValue(t, []byte(in)), jsonValue(t, mustMarshal(t, m))); diff != "" {
		t.Errorf("content not kept (-in +out):\n%s", diff)
	}
	if got := string(mustMarshal(t, ChatMessage{Role: "assistant"})); got != `{"role":"assistant","content":null}` {
		t.Errorf("nil content wrote %s", got)
	}
	if got := string(mustMarshal(t, ChatDelta{})); got != `{}` {
		t.Errorf("empty delta wrote %s", got)
	}
	if got := string(mustMarshal(t, ChatDelta{Content: TextContent("")})); got != `{"content":""}` {
		t.Errorf("empty text delta wrote %s", got)
	}
}

func TestArguments(t *testing.T) {
	for raw, want := range map[string]Arguments{
		`"{\"a\":1}"`: `{"a":1}`,
		`{"a": 1}`:    `{"a": 1}`,
		`null`:        "",
		`[1,2]`:       `[1,2]`,
	} {
		var f FunctionCall
		if err := json.Unmarshal([]byte(`{"name":"f","arguments":`+raw+`}`), &f); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if f.Arguments != want {
			t.Errorf("arguments %s decoded as %q, want %q", raw, f.Arguments, want)
		}
	}
	if got := string(mustMarshal(t, FunctionCall{Name: "f", Arguments: `{"a":1}`})); got != `{"name":"f","arguments":"{\"a\":1}"}` {
		t.Errorf("arguments encoded as %s, want a JSON string", got)
	}
}

func TestChatRequestRoundTrip(t *testing.T) {
	in := `{
		"model": "gpt-4o", "messages": [
			{"role": "developer", "content": "be brief"},
			{"role": "user", "content": [{"type": "text", "text": "hi"}], "name": "ann"},
			{"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
			{"role": "tool", "content": "ok", "tool_call_id": "c1"}],
		"tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}, "strict": true}}],
		"tool_choice": {"type": "function", "function": {"name": "f"}},
		"temperature": 0, "max_completion_tokens": 100, "stream": true,
		"stream_options": {"include_usage": true},
		"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
		"top_p": 0.5, "seed": 7, "stop": ["\n"], "metadata": {"k": "v"}
	}`
	var r ChatRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Temperature == nil || *r.Temperature != 0 || r.ToolChoice.Function != "f" || !r.StreamOptions.IncludeUsage || len(r.Extra) != 4 {
		t.Errorf("decoded %+v", r)
	}
	if diff := cmp.Diff(jsonValue(t, []byte(in)), jsonValue(t, mustMarshal(t, r))); diff != "" {
		t.Errorf("round trip lost something (-in +out):\n%s", diff)
	}
	// Extra never duplicates a modelled member, whatever its case.
	r = ChatRequest{Model: "m", Messages: []ChatMessage{}, Extra: Extra{"MODEL": json.RawMessage(`"x"`), "n": json.RawMessage(`2`)}}
	if got := string(mustMarshal(t, r)); got != `{"model":"m","messages":[],"n":2}` {
		t.Errorf("wrote %s", got)
	}
	r.Extra = Extra{"bad": json.RawMessage(`{`)}
	if _, err := json.Marshal(r); err == nil {
		t.Error("invalid JSON in Extra was written")
	}
}

func TestToolChoice(t *testing.T) {
	for _, in := range []string{`"auto"`, `"none"`, `"required"`, `{"type":"function","function":{"name":"f"}}`, `{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}`} {
		var tc ToolChoice
		if err := json.Unmarshal([]byte(in), &tc); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if diff := cmp.Diff(jsonValue(t, []byte(in)), jsonValue(t, mustMarshal(t, tc))); diff != "" {
			t.Errorf("%s: round trip (-in +out):\n%s", in, diff)
		}
	}
}

func TestDecodeChatCompletion(t *testing.T) {
	tests := []struct{ body, err string }{
		{`<html>`, "not JSON"},
		{``, "not JSON"},
		{`{"object":"list"}`, "no choices field"},
		{`{"error":{"type":"invalid_request_error","message":"model not loaded","code":404}}`, "invalid_request_error: model not loaded"},
		{`{"error":"busy"}`, "busy"},
		{`{"choices":5}`, "not a chat completion"},
	}
	for _, tt := range tests {
		_, err := DecodeChatCompletion([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.body, err, tt.err)
		}
	}
	var apiErr *APIError
	if _, err := DecodeChatCompletion([]byte(`{"error":{"message":"m","code":429}}`)); !errors.As(err, &apiErr) || apiErr.Code != "429" {
		t.Errorf("error body: %#v", err)
	}
	c, err := DecodeChatCompletion([]byte(`{"choices":[],"error":null}`))
	if err != nil || len(c.Choices) != 0 {
		t.Errorf("empty choices: %v, %v", c, err)
	}
	// Azure On Your Data puts an object under message.context.
	c, err = DecodeChatCompletion([]byte(`{"choices":[{"message":{"content":"x","context":{"citations":[]}}}]}`))
	if err != nil || c.Choices[0].Message.Context != nil {
		t.Errorf("object context: %+v, %v", c, err)
	}
}

// TestChunkWireFormat pins the bytes a server writes: what OpenAI sends,
// which the official SDKs read.
func TestChunkWireFormat(t *testing.T) {
	idx := 0
	chunks := []ChatCompletionChunk{
		{ID: "c", Object: "chat.completion.chunk", Created: 1, Model: "m", Choices: []ChunkChoice{{Delta: ChatDelta{Role: "assistant", Content: TextContent("")}}}},
		{ID: "c", Object: "chat.completion.chunk", Created: 1, Model: "m", Choices: []ChunkChoice{{Delta: ChatDelta{ToolCalls: []ToolCall{{Index: &idx, Function: FunctionCall{Arguments: `{"a"`}}}}}}},
		{ID: "c", Object: "chat.completion.chunk", Created: 1, Model: "m", Choices: []ChunkChoice{{Delta: ChatDelta{}, FinishReason: "stop"}}},
		{ID: "c", Object: "chat.completion.chunk", Created: 1, Model: "m", Usage: &Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}},
	}
	want := []string{
		`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"logprobs":null}]}`,
		`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]},"finish_reason":null,"logprobs":null}]}`,
		`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop","logprobs":null}]}`,
		`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`,
	}
	for i := range chunks {
		if got := string(mustMarshal(t, chunks[i])); got != want[i] {
			t.Errorf("chunk %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestChatStreamEqualsCompletion: a realistic stream (content, two
// parallel tool calls whose argument fragments interleave, a finish
// chunk, a usage chunk) assembles into exactly the non-streamed
// completion, read one byte at a time.
func TestChatStreamEqualsCompletion(t *testing.T) {
	want, err := DecodeChatCompletion(readFile(t, "openai_completion.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seen int
	got, err := ReadChatStream(iotest.OneByteReader(strings.NewReader(string(readFile(t, "openai_stream.txt")))), 0,
		func(*ChatCompletionChunk) error { seen++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if seen != 10 {
		t.Errorf("onChunk saw %d chunks, want 10", seen)
	}
	if diff := cmp.Diff(jsonValue(t, mustMarshal(t, want)), jsonValue(t, mustMarshal(t, got))); diff != "" {
		t.Errorf("assembled completion (-non-streamed +streamed):\n%s", diff)
	}
}

func TestChatStreamTolerance(t *testing.T) {
	chunk := func(s string) string { return "data: " + s + "\n\n" }
	tests := []struct {
		name, stream string
		check        func(*testing.T, *ChatCompletion)
		err          string
	}{
		{"no [DONE] but finished",
			chunk(`{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}`),
			func(t *testing.T, c *ChatCompletion) {
				if s, _ := c.Choices[0].Message.Content.Text(); s != "hi" {
					t.Errorf("content %q", s)
				}
			}, ""},
		{"vLLM usage chunk with null choices",
			chunk(`{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"length"}]}`) + chunk(`{"choices":null,"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`) + "data: [DONE]\n\n",
			func(t *testing.T, c *ChatCompletion) {
				if c.Usage == nil || c.Usage.TotalTokens != 4 || c.Choices[0].FinishReason != "length" {
					t.Errorf("usage %+v, finish %q", c.Usage, c.Choices[0].FinishReason)
				}
			}, ""},
		{"whole tool calls without index, name repeated",
			chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":{"x":1}}},{"id":"b","function":{"name":"g","arguments":"{"}}]}}]}`) +
				chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"g","arguments":"}"}}]},"finish_reason":"tool_calls"}]}`) + "data: [DONE]\n\n",
			func(t *testing.T, c *ChatCompletion) {
				calls := c.Choices[0].Message.ToolCalls
				if len(calls) != 2 || calls[0].Function.Arguments != `{"x":1}` || calls[1].Function.Name != "g" || calls[1].Function.Arguments != "{}" || calls[1].Type != "function" {
					t.Errorf("tool calls %+v", calls)
				}
				if !c.Choices[0].Message.Content.IsNull() {
					t.Errorf("content %s, want null", c.Choices[0].Message.Content)
				}
			}, ""},
		{"two choices", chunk(`{"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]}`) + chunk(`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"},{"index":1,"delta":{},"finish_reason":"stop","logprobs":null}]}`),
			func(t *testing.T, c *ChatCompletion) {
				a, _ := c.Choices[0].Message.Content.Text()
				b, _ := c.Choices[1].Message.Content.Text()
				if len(c.Choices) != 2 || a != "A" || b != "B" || c.Choices[1].Index != 1 {
					t.Errorf("choices %+v", c.Choices)
				}
			}, ""},
		{"refusal", chunk(`{"choices":[{"index":0,"delta":{"refusal":"I can't"}}]}`) + chunk(`{"choices":[{"index":0,"delta":{"refusal":" help."},"finish_reason":"stop"}]}`),
			func(t *testing.T, c *ChatCompletion) {
				if c.Choices[0].Message.Refusal != "I can't help." {
					t.Errorf("refusal %q", c.Choices[0].Message.Refusal)
				}
			}, ""},
		{"keep-alives", ": ping\n\ndata:\n\n" + chunk(`{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}`), nil, ""},
		{"cut short", chunk(`{"choices":[{"index":0,"delta":{"content":"hi"}}]}`) + "data: {\"choi", nil, "ended before the reply was complete"},
		{"empty", "", nil, "no [DONE] and no finish_reason after 0 chunks"},
		{"only [DONE]", "data: [DONE]\n\n", nil, "[DONE] before any chunk"},
		{"error mid-stream", chunk(`{"choices":[{"index":0,"delta":{"content":"hi"}}]}`) + chunk(`{"error":{"message":"The server had an error","type":"server_error"}}`), nil, "server_error: The server had an error"},
		{"named error event", "event: error\ndata: {\"message\":\"rate limited\",\"code\":429}\n\n", nil, "rate limited"},
		{"garbage", "data: <html>\n\n", nil, "event 1: not a chat completion chunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ReadChatStream(strings.NewReader(tt.stream), 0, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
	_, err := ReadChatStream(strings.NewReader("data: {\"choices\":[]}\n"), 0, nil)
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("truncated stream: %v, want ErrIncomplete", err)
	}
	stop := errors.New("enough")
	_, err = ReadChatStream(strings.NewReader(string(readFile(t, "openai_stream.txt"))), 0, func(*ChatCompletionChunk) error { return stop })
	if err != stop {
		t.Errorf("callback error came back as %v", err)
	}
	_, err = ReadChatStream(strings.NewReader("data: "+strings.Repeat("x", 200)+"\n\n"), 100, nil)
	if !errors.Is(err, sse.ErrTooLarge) {
		t.Errorf("oversized event: %v", err)
	}
}

// TestMessagesStreamEqualsResponse: a realistic Anthropic stream
// (thinking with signature, text, a tool_use whose input arrives as
// input_json_delta fragments, pings, usage split over message_start and
// message_delta) assembles into exactly the non-streamed message.
func TestMessagesStreamEqualsResponse(t *testing.T) {
	want, err := DecodeMessagesResponse(readFile(t, "anthropic_message.json"))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	got, err := ReadMessagesStream(iotest.OneByteReader(strings.NewReader(string(readFile(t, "anthropic_stream.txt")))), 0,
		func(e *StreamEvent) error { types = append(types, e.Type); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != 19 || types[0] != EventMessageStart || types[len(types)-1] != EventMessageStop {
		t.Errorf("events seen: %v", types)
	}
	if diff := cmp.Diff(jsonValue(t, mustMarshal(t, want)), jsonValue(t, mustMarshal(t, got))); diff != "" {
		t.Errorf("assembled message (-non-streamed +streamed):\n%s", diff)
	}
}

func TestMessagesStreamErrors(t *testing.T) {
	start := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
	tests := []struct{ name, stream, err string }{
		{"overloaded", start + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n", "overloaded_error: Overloaded"},
		{"cut", start + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n", "no message_stop after 2 events"},
		{"not JSON", start + "event: ping\ndata: {\n\n", "event 2 (ping)"},
		{"delta without delta", start + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0}\n\n", "has no delta"},
	}
	for _, tt := range tests {
		_, err := ReadMessagesStream(strings.NewReader(tt.stream), 0, nil)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
	}
	// Usage: message_delta's cumulative counts replace message_start's;
	// newer servers repeat input_tokens there.
	m, err := ReadMessagesStream(strings.NewReader(start+
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"no start\"}}\n\n"+
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":7,\"output_tokens\":12}}\n\n"), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Usage.InputTokens != 7 || m.Usage.OutputTokens != 12 || m.StopReason != "end_turn" || len(m.Content) != 1 || m.Content[0].Text != "no start" {
		t.Errorf("message %+v", m)
	}
}

// TestStreamEventWireFormat pins the bytes a server writes for each
// Anthropic event, as the Messages API sends them.
func TestStreamEventWireFormat(t *testing.T) {
	tests := []struct {
		ev   StreamEvent
		want string
	}{
		{StreamEvent{Type: EventMessageStart, Message: &MessagesResponse{ID: "m", Type: "message", Role: "assistant", Model: "c", Usage: AnthropicUsage{InputTokens: 3, OutputTokens: 1}}},
			`{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"c","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}`},
		{StreamEvent{Type: EventContentBlockStart, Index: 0, ContentBlock: &ContentBlock{Type: BlockText}},
			`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`},
		{StreamEvent{Type: EventContentBlockStart, Index: 1, ContentBlock: &ContentBlock{Type: BlockToolUse, ID: "t", Name: "f"}},
			`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}`},
		{StreamEvent{Type: EventContentBlockDelta, Index: 1, Delta: &BlockDelta{Type: DeltaInputJSON}},
			`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}`},
		{StreamEvent{Type: EventContentBlockDelta, Delta: &BlockDelta{Type: DeltaText, Text: "Hi"}},
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`},
		{StreamEvent{Type: EventContentBlockStop, Index: 0}, `{"type":"content_block_stop","index":0}`},
		{StreamEvent{Type: EventMessageDelta, MessageDelta: &MessageDelta{StopReason: "end_turn"}, Usage: &AnthropicUsage{OutputTokens: 15}},
			`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":0,"output_tokens":15}}`},
		{StreamEvent{Type: EventMessageStop}, `{"type":"message_stop"}`},
		{StreamEvent{Type: EventPing}, `{"type":"ping"}`},
		{StreamEvent{Type: EventError, Error: &AnthropicErrorDetail{Type: "overloaded_error", Message: "Overloaded"}},
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
	}
	for _, tt := range tests {
		got := string(mustMarshal(t, tt.ev))
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.ev.Type, got, tt.want)
		}
		var back StreamEvent
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatal(err)
		}
		if again := string(mustMarshal(t, back)); again != got {
			t.Errorf("%s: decode and encode gave %s", tt.ev.Type, again)
		}
	}
	// An event type from the future passes through unchanged.
	in := `{"type":"content_block_annotation","index":2,"x":[1]}`
	var ev StreamEvent
	if err := json.Unmarshal([]byte(in), &ev); err != nil || string(mustMarshal(t, ev)) != in {
		t.Errorf("unknown event: %v, %s", err, mustMarshal(t, ev))
	}
}

func TestMessagesRequestRoundTrip(t *testing.T) {
	in := `{
		"model": "claude-sonnet-4-5", "max_tokens": 1024,
		"system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
		"messages": [
			{"role": "user", "content": "weather?"},
			{"role": "assistant", "content": [
				{"type": "thinking", "thinking": "hmm", "signature": "sig"},
				{"type": "text", "text": "Checking.", "citations": null},
				{"type": "tool_use", "id": "tu1", "name": "w", "input": {"city": "Oslo"}}]},
			{"role": "user", "content": [
				{"type": "tool_result", "tool_use_id": "tu1", "content": [{"type": "text", "text": "rain"}], "is_error": true},
				{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}]}],
		"tools": [{"name": "w", "description": "weather", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}},
			{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}],
		"tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
		"temperature": 1, "stream": true, "thinking": {"type": "enabled", "budget_tokens": 2000},
		"top_k": 5, "service_tier": "auto"
	}`
	var r MessagesRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.System.PlainText() != "be brief" || r.Messages[0].Content.Text != "weather?" || len(r.Extra) != 2 || r.Tools[1].Extra["max_uses"] == nil {
		t.Errorf("decoded %+v", r)
	}
	if diff := cmp.Diff(jsonValue(t, []byte(in)), jsonValue(t, mustMarshal(t, r))); diff != "" {
		t.Errorf("round trip lost something (-in +out):\n%s", diff)
	}
	var c AnthropicContent
	if err := json.Unmarshal([]byte(`{"a":1}`), &c); err == nil {
		t.Error("object content accepted")
	}
}

func TestDecodeMessagesResponse(t *testing.T) {
	for body, want := range map[string]string{
		`oops`:           "not JSON",
		`{"choices":[]}`: "no content field",
		`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`: "overloaded_error: Overloaded",
	} {
		if _, err := DecodeMessagesResponse([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", body, err, want)
		}
	}
	// A server tool's result block, whose content is an object, does not
	// fail the response; it is kept raw.
	m, err := DecodeMessagesResponse([]byte(`{"type":"message","content":[{"type":"web_search_tool_result","tool_use_id":"s","content":{"type":"web_search_tool_result_error","error_code":"max_uses_exceeded"}},{"type":"text","text":"ok"}]}`))
	if err != nil || len(m.Content) != 2 || m.Content[0].Raw == nil || m.Content[1].Text != "ok" {
		t.Errorf("server tool result: %+v, %v", m, err)
	}
}

func TestWriteHelpers(t *testing.T) {
	var b strings.Builder
	w := sse.NewWriter(&b)
	if err := WriteChatChunk(w, &ChatCompletionChunk{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteChatDone(w); err != nil {
		t.Fatal(err)
	}
	if err := WriteStreamEvent(w, &StreamEvent{Type: EventPing}); err != nil {
		t.Fatal(err)
	}
	want := "data: {\"id\":\"x\",\"object\":\"\",\"created\":0,\"model\":\"\",\"choices\":[]}\n\ndata: [DONE]\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\n"
	if b.String() != want {
		t.Errorf("wrote %q\nwant  %q", b.String(), want)
	}
	if err := WriteStreamEvent(w, &StreamEvent{Type: EventMessageStart}); err == nil {
		t.Error("message_start without a message was written")
	}
}
