package target

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// openAIStreamBody is a streamed completion as OpenAI sends it: a role
// chunk, content pieces (one of them split inside a UTF-8 sequence by
// the tests), two parallel tool calls whose argument fragments
// interleave, a finish chunk, the usage chunk and [DONE].
var openAIStreamBody = strings.Join([]string{
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Checking the weather – "},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"☀️ or 🌧?"},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":":\"CET\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":81,"completion_tokens":43,"total_tokens":124}}`,
	`[DONE]`,
}, "\n\n")

// openAIStreamReply is what the stream above, and the same completion
// not streamed, must give.
var openAIStreamReply = Reply{
	Content: "Checking the weather – ☀️ or 🌧?",
	ToolCalls: []ToolCall{
		{ID: "call_a", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
		{ID: "call_b", Name: "get_time", Arguments: `{"tz":"CET"}`},
	},
	Usage: Usage{81, 43},
}

// sseBody turns the payloads joined above into an event stream with the
// given line ending.
func sseBody(payloads, eol string) string {
	var b strings.Builder
	for _, p := range strings.Split(payloads, "\n\n") {
		b.WriteString("data: " + p + eol + eol)
	}
	return b.String()
}

// dribble writes body one byte at a time, flushing each, and pauses
// before each byte for which pause is true, so the client's reads break
// exactly there. It returns early if the client goes away.
func dribble(w http.ResponseWriter, r *http.Request, body string, pause func(body string, i int) bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for i := 0; i < len(body); i++ {
		if pause != nil && pause(body, i) {
			time.Sleep(2 * time.Millisecond)
		}
		if _, err := w.Write([]byte{body[i]}); err != nil || r.Context().Err() != nil {
			return
		}
		_ = rc.Flush()
	}
}

// midRune pauses inside multi-byte UTF-8 sequences; midLineEnd between
// the CR and the LF of a CRLF.
func midRune(body string, i int) bool    { return i > 0 && body[i]&0xC0 == 0x80 }
func midLineEnd(body string, i int) bool { return i > 0 && body[i] == '\n' && body[i-1] == '\r' }

// TestOpenAIStreamBoundaries streams the same completion split at every
// byte, inside UTF-8 sequences and between CR and LF, with LF, CRLF and
// CR line endings: every way gives the Reply the non-streamed completion
// gives, and the deltas joined are its content.
func TestOpenAIStreamBoundaries(t *testing.T) {
	tests := []struct {
		name  string
		eol   string
		pause func(string, int) bool
	}{
		{"one byte at a time", "\n", nil},
		{"split inside UTF-8", "\n", midRune},
		{"CRLF split between CR and LF", "\r\n", midLineEnd},
		{"CR only", "\r", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := sseBody(openAIStreamBody, tt.eol)
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { dribble(w, r, body, tt.pause) })
			tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "gpt-4o-mini"}})
			var deltas []string
			got, err := tg.(Streamer).SendStream(context.Background(), userConv("weather?"), func(d string) error {
				deltas = append(deltas, d)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Latency <= 0 {
				t.Error("no latency recorded")
			}
			got.Latency = 0
			if diff := cmp.Diff(openAIStreamReply, got); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			if joined := strings.Join(deltas, ""); joined != openAIStreamReply.Content || len(deltas) < 2 {
				t.Errorf("deltas %q join to %q", deltas, joined)
			}
		})
	}
}

func TestOpenAIStreamRequest(t *testing.T) {
	var plain, streamed atomic.Int32
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		if req["stream"] == true {
			streamed.Add(1)
			dribble(w, r, sseBody(openAIStreamBody, "\n"), nil)
			return
		}
		plain.Add(1)
		writeJSON(w, 200, map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1741569952, "model": "gpt-4o-mini",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "tool_calls", "message": map[string]any{
				"role": "assistant", "content": "Checking the weather – ☀️ or 🌧?", "refusal": nil,
				"tool_calls": []any{
					map[string]any{"id": "call_a", "type": "function", "function": map[string]any{"name": "get_weather", "arguments": `{"city":"Oslo"}`}},
					map[string]any{"id": "call_b", "type": "function", "function": map[string]any{"name": "get_time", "arguments": `{"tz":"CET"}`}},
				}}}},
			"usage": map[string]any{"prompt_tokens": 81, "completion_tokens": 43, "total_tokens": 124},
		})
	})
	temp := 0.5
	cfg := Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "gpt-4o-mini", Temperature: &temp, MaxTokens: 50, APIKeyEnv: "K"}}
	env := fakeEnv(map[string]string{"K": "sk-test-abcdef"})
	tg, _ := mustNew(t, cfg, env)
	want, err := tg.Send(context.Background(), userConv("weather?"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Settings.(*OpenAIConfig).Stream = true
	stg, _ := mustNew(t, cfg, env)
	got, err := stg.Send(context.Background(), userConv("weather?"))
	if err != nil {
		t.Fatal(err)
	}
	want.Latency, got.Latency = 0, 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("streamed Send differs from plain Send (-plain +streamed):\n%s", diff)
	}
	if plain.Load() != 1 || streamed.Load() != 1 {
		t.Fatalf("plain %d, streamed %d requests", plain.Load(), streamed.Load())
	}
	if got, want := stg.(UsageReporter).Usage(), (Usage{81, 43}); got != want {
		t.Errorf("streamed usage total %+v, want %+v", got, want)
	}
	r := srv.requests()[1]
	var req map[string]any
	if err := json.Unmarshal(r.Body, &req); err != nil {
		t.Fatal(err)
	}
	if req["stream"] != true || fmt.Sprint(req["stream_options"]) != "map[include_usage:true]" || req["max_tokens"] != 50.0 || req["temperature"] != 0.5 {
		t.Errorf("streamed request %s", r.Body)
	}
	if r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("Authorization") != "Bearer sk-test-abcdef" {
		t.Errorf("headers Accept=%q Authorization=%q", r.Header.Get("Accept"), r.Header.Get("Authorization"))
	}
	if srv.requests()[0].Header.Get("Accept") != "application/json" {
		t.Error("the plain request's Accept header changed")
	}
}

// anthropicStreamBody is a streamed message as the Messages API sends it:
// pings, a thinking block with its signature, text, a tool_use block
// whose input arrives in input_json_delta fragments, and usage split
// between message_start and message_delta.
const anthropicStreamBody = `event: message_start
data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"They want the weather."}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3h"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me check – "}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"☀️ in Oslo."}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":" \"Oslo\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

`

const anthropicWholeBody = `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",
"content":[{"type":"thinking","thinking":"They want the weather.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3h"},
{"type":"text","text":"Let me check – ☀️ in Oslo."},
{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"location": "Oslo"}}],
"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":89}}`

func TestAnthropicStream(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		if req["stream"] != true {
			_, _ = io.WriteString(w, anthropicWholeBody)
			return
		}
		dribble(w, r, strings.ReplaceAll(anthropicStreamBody, "\n", "\r\n"), midRune)
	})
	cfg := Config{Type: TypeAnthropic, Settings: &AnthropicConfig{BaseURL: srv.URL, Model: "claude-sonnet-4-5", APIKeyEnv: "AK"}}
	env := fakeEnv(map[string]string{"AK": "ant-key-abcdef"})
	tg, _ := mustNew(t, cfg, env)
	want, err := tg.Send(context.Background(), Conversation{{Role: RoleSystem, Content: "be brief"}, {Role: RoleUser, Content: "weather?"}})
	if err != nil {
		t.Fatal(err)
	}
	want.Latency = 0
	if want.Content != "Let me check – ☀️ in Oslo." || len(want.ToolCalls) != 1 || want.Usage != (Usage{472, 89}) {
		t.Fatalf("plain reply %+v", want)
	}
	var deltas []string
	got, err := tg.(Streamer).SendStream(context.Background(), Conversation{{Role: RoleSystem, Content: "be brief"}, {Role: RoleUser, Content: "weather?"}},
		func(d string) error { deltas = append(deltas, d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	got.Latency = 0
	// The tool input is the fragments joined: the same JSON, spaced as the
	// model wrote it.
	if got.ToolCalls[0].Arguments != `{"location": "Oslo"}` {
		t.Errorf("arguments %q", got.ToolCalls[0].Arguments)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("streamed reply differs (-plain +streamed):\n%s", diff)
	}
	if strings.Join(deltas, "") != want.Content {
		t.Errorf("deltas %q", deltas)
	}
	r := srv.requests()[1]
	var req map[string]any
	if err := json.Unmarshal(r.Body, &req); err != nil {
		t.Fatal(err)
	}
	if req["stream"] != true || req["system"] != "be brief" || r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("x-api-key") != "ant-key-abcdef" {
		t.Errorf("streamed request %s, headers %v", r.Body, r.Header)
	}

	// With the stream setting, Send streams.
	cfg.Settings.(*AnthropicConfig).Stream = true
	stg, _ := mustNew(t, cfg, env)
	got, err = stg.Send(context.Background(), userConv("weather?"))
	if err != nil || got.Content != want.Content {
		t.Fatalf("Send with stream: %+v, %v", got, err)
	}
	if n := len(srv.requests()); n != 3 {
		t.Fatalf("%d requests", n)
	}
	if !strings.Contains(string(srv.requests()[2].Body), `"stream":true`) {
		t.Errorf("stream setting did not stream: %s", srv.requests()[2].Body)
	}
}

// hijack answers with raw bytes and closes the connection: a status line
// and headers promising more body than comes, then what is given.
func hijack(w http.ResponseWriter, body string) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 100000\r\n\r\n%s", body)
	_ = buf.Flush()
}

func TestStreamRetries(t *testing.T) {
	okBody := sseBody(openAIStreamBody, "\n")
	firstEvents := sseBody(strings.Join(strings.Split(openAIStreamBody, "\n\n")[:3], "\n\n"), "\n")
	tests := []struct {
		name     string
		handle   func(n int32, w http.ResponseWriter, r *http.Request)
		requests int32
		err      string
		check    func(t *testing.T, err error)
	}{
		{"503 then stream: retried", func(n int32, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.WriteHeader(503)
				return
			}
			dribble(w, r, okBody, nil)
		}, 2, "", nil},
		{"headers then nothing: retried", func(n int32, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				hijack(w, "")
				return
			}
			dribble(w, r, okBody, nil)
		}, 2, "", nil},
		{"cut after part of the stream: not retried", func(n int32, w http.ResponseWriter, r *http.Request) {
			hijack(w, okBody[:300])
		}, 1, "broke off after 300 bytes", func(t *testing.T, err error) {
			var se *StreamError
			if !errors.As(err, &se) || se.Received != 300 || se.Timeout != 0 {
				t.Errorf("error %#v, want a StreamError after 300 bytes", err)
			}
		}},
		{"error event mid-stream: not retried", func(n int32, w http.ResponseWriter, r *http.Request) {
			dribble(w, r, firstEvents+"data: {\"error\":{\"type\":\"server_error\",\"message\":\"The server had an error processing your request.\"}}\n\n", nil)
		}, 1, "the server reported an error: server_error: The server had an error", func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadResponse) {
				t.Errorf("error %v is not ErrBadResponse", err)
			}
		}},
		{"stream ends early: not retried", func(n int32, w http.ResponseWriter, r *http.Request) {
			dribble(w, r, firstEvents, nil)
		}, 1, "ended before the reply was complete", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { tt.handle(n.Add(1), w, r) })
			tg, sleeps := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Retries: new(3)}, BaseURL: srv.URL, Model: "m", Stream: true}})
			reply, err := tg.Send(context.Background(), userConv("x"))
			if got := n.Load(); got != tt.requests {
				t.Errorf("%d requests, want %d (waits %v)", got, tt.requests, sleeps.recorded())
			}
			if tt.err == "" {
				if err != nil || reply.Content != openAIStreamReply.Content {
					t.Fatalf("reply %+v, error %v", reply, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), srv.URL) {
				t.Fatalf("error %v, want %q and the URL", err, tt.err)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestStreamTimeoutNotRetried(t *testing.T) {
	var n atomic.Int32
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		n.Add(1)
		dribble(w, r, "data: "+strings.Split(openAIStreamBody, "\n\n")[1]+"\n\n", nil)
		<-r.Context().Done() // then nothing more, until the client gives up
	})
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Timeout: Duration(300 * time.Millisecond), Retries: new(3)}, BaseURL: srv.URL, Model: "m"}})
	var deltas []string
	_, err := tg.(Streamer).SendStream(context.Background(), userConv("x"), func(d string) error { deltas = append(deltas, d); return nil })
	var se *StreamError
	if !errors.As(err, &se) || se.Timeout != 300*time.Millisecond || !strings.Contains(err.Error(), "no complete reply within 300ms") {
		t.Fatalf("error %v, want a StreamError for the timeout", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests: a timed-out stream was retried", n.Load())
	}
	if strings.Join(deltas, "") != "Checking the weather – " {
		t.Errorf("deltas before the timeout: %q", deltas)
	}
}

func TestStreamCallbackError(t *testing.T) {
	var n atomic.Int32
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		n.Add(1)
		dribble(w, r, sseBody(openAIStreamBody, "\n"), nil)
	})
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "m"}})
	// Even an error that looks transient is the caller's, never retried.
	stop := &HTTPError{Status: 503}
	_, err := tg.(Streamer).SendStream(context.Background(), userConv("x"), func(string) error { return stop })
	if err != stop {
		t.Errorf("error %v, want the callback's own", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests", n.Load())
	}
	if u := tg.(UsageReporter).Usage(); u != (Usage{}) {
		t.Errorf("an abandoned stream counted usage %+v", u)
	}
}

// TestStreamRedactsDeltas: a target that echoes its key splits it over
// several deltas; no delta may carry any of it.
func TestStreamRedactsDeltas(t *testing.T) {
	const key = "sk-live-0123456789abcdef"
	pieces := []string{"Your key is sk-li", "ve-01234", "56789abcdef, and again: ", key, "."}
	var body strings.Builder
	for _, p := range pieces {
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": p}}}})
		body.WriteString("data: " + string(b) + "\n\n")
	}
	body.WriteString(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n")
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { dribble(w, r, body.String(), nil) })
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "m", APIKeyEnv: "K"}}, fakeEnv(map[string]string{"K": key}))
	var deltas []string
	reply, err := tg.(Streamer).SendStream(context.Background(), userConv("x"), func(d string) error { deltas = append(deltas, d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := "Your key is [REDACTED], and again: [REDACTED]."
	if reply.Content != want || strings.Join(deltas, "") != want {
		t.Errorf("reply %q, deltas %q", reply.Content, deltas)
	}
	if len(deltas) < 2 {
		t.Errorf("deltas %q: text was held back to the end", deltas)
	}
}

// TestStreamServerIgnoresStream: a server that answers "stream": true
// with a plain JSON completion still gives the reply, as one delta.
func TestStreamServerIgnoresStream(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "text/event-stream") // and yet JSON
		_, _ = io.WriteString(w, "\r\n  ")
		writeJSON(w, 200, completion("whole", nil))
	})
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "m"}})
	var deltas []string
	reply, err := tg.(Streamer).SendStream(context.Background(), userConv("x"), func(d string) error { deltas = append(deltas, d); return nil })
	if err != nil || reply.Content != "whole" || reply.Usage != (Usage{11, 7}) || len(deltas) != 1 || deltas[0] != "whole" {
		t.Errorf("reply %+v, deltas %q, error %v", reply, deltas, err)
	}
}

func TestStreamBadStatus(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 401, map[string]any{"error": map[string]any{"message": "Incorrect API key provided: sk-wrong-999999"}})
	})
	tg, _ := mustNew(t, Config{Type: TypeAnthropic, Settings: &AnthropicConfig{BaseURL: srv.URL, Model: "m", APIKeyEnv: "AK"}}, fakeEnv(map[string]string{"AK": "sk-wrong-999999"}))
	_, err := tg.(Streamer).SendStream(context.Background(), userConv("x"), nil)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 401 || strings.Contains(err.Error(), "sk-wrong-999999") || !strings.Contains(err.Error(), "check the API key in environment variable AK") {
		t.Errorf("error %v", err)
	}
}

func TestCountingReader(t *testing.T) {
	c := &countingReader{r: strings.NewReader("0123456789"), limit: 5}
	b, err := io.ReadAll(c)
	if !errors.Is(err, errTooLarge) || len(b) > 6 {
		t.Errorf("read %q, error %v", b, err)
	}
	c = &countingReader{r: strings.NewReader("01234"), limit: 5}
	if b, err := io.ReadAll(bufio.NewReader(c)); err != nil || string(b) != "01234" || c.n != 5 {
		t.Errorf("read %q (%d), error %v", b, c.n, err)
	}
}
