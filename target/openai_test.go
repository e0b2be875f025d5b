package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// openAIWireRequest mirrors the chat completions request as documented by
// OpenAI. The fake decodes with unknown fields disallowed, so a misspelt
// or invented field name fails the test.
type openAIWireRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role      string  `json:"role"`
		Content   *string `json:"content"`
		ToolCalls []struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
		ToolCallID string `json:"tool_call_id"`
	} `json:"messages"`
	Temperature *float64 `json:"temperature"`
	MaxTokens   int      `json:"max_tokens"`
}

func decodeOpenAIRequest(t *testing.T, body []byte) openAIWireRequest {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var r openAIWireRequest
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("request is not OpenAI wire format: %v\n%s", err, body)
	}
	return r
}

func completion(content any, extra map[string]any) map[string]any {
	msg := map[string]any{"role": "assistant", "content": content}
	for k, v := range extra {
		msg[k] = v
	}
	return map[string]any{
		"id":      "chatcmpl-1",
		"object":  "chat.completion",
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": "stop"}},
		"usage":   map[string]any{"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
	}
}

func TestOpenAIRequestWireFormat(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, completion("hi", nil))
	})
	temp := 0.0
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL + "/v1/", Model: "gpt-test", APIKeyEnv: "K", Temperature: &temp, MaxTokens: 64, Headers: map[string]string{"HTTP-Referer": "https://example.test", "X-Title": "${TITLE}"}}}, fakeEnv(map[string]string{"K": "sk-test-123456", "TITLE": "redoubt"}))

	conv := Conversation{
		{Role: RoleSystem, Content: "be terse"},
		{Role: RoleUser, Content: "weather?"},
		{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Oslo"}`}}},
		{Role: RoleTool, ToolCallID: "call_1", Content: "rain"},
	}
	if _, err := tg.Send(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1/chat/completions" {
		t.Errorf("request %s %s, want POST /v1/chat/completions", r.Method, r.Path)
	}
	for h, want := range map[string]string{
		"Authorization": "Bearer sk-test-123456",
		"Content-Type":  "application/json",
		"Http-Referer":  "https://example.test",
		"X-Title":       "redoubt",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	got := decodeOpenAIRequest(t, r.Body)
	if got.Model != "gpt-test" || got.MaxTokens != 64 || got.Temperature == nil || *got.Temperature != 0 {
		t.Errorf("model/max_tokens/temperature = %q/%d/%v", got.Model, got.MaxTokens, got.Temperature)
	}
	if len(got.Messages) != 4 {
		t.Fatalf("got %d messages, want 4", len(got.Messages))
	}
	if m := got.Messages[2]; m.Content != nil || len(m.ToolCalls) != 1 || m.ToolCalls[0].Type != "function" ||
		m.ToolCalls[0].Function.Name != "get_weather" || m.ToolCalls[0].Function.Arguments != `{"city":"Oslo"}` {
		t.Errorf("assistant tool-call turn = %+v", m)
	}
	if m := got.Messages[3]; m.Role != "tool" || m.ToolCallID != "call_1" || m.Content == nil || *m.Content != "rain" {
		t.Errorf("tool turn = %+v", m)
	}
}

func TestOpenAIOmitsUnsetParameters(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, completion("hi", nil))
	})
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "llama3"}})
	if _, err := tg.Send(context.Background(), userConv("x")); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(srv.requests()[0].Body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"temperature", "max_tokens"} {
		if _, ok := raw[k]; ok {
			t.Errorf("request has %q though it was not configured", k)
		}
	}
	if h := srv.requests()[0].Header.Get("Authorization"); h != "" {
		t.Errorf("local server without api_key_env got Authorization %q", h)
	}
}

func TestOpenAIAzure(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, completion("hi", nil))
	})
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Deployment: "my gpt", APIVersion: "2024-06-01"}},
		fakeEnv(map[string]string{"AZURE_OPENAI_API_KEY": "azure-key-999"}))
	if _, err := tg.Send(context.Background(), userConv("x")); err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	if r.Path != "/openai/deployments/my gpt/chat/completions" || r.Query != "api-version=2024-06-01" {
		t.Errorf("Azure request to %s?%s", r.Path, r.Query)
	}
	if got := r.Header.Get("api-key"); got != "azure-key-999" {
		t.Errorf("api-key header = %q", got)
	}
	if got := r.Header.Get("Authorization"); got != "" {
		t.Errorf("Azure request carries Authorization %q", got)
	}
}

func TestOpenAIReplies(t *testing.T) {
	tests := []struct {
		name string
		resp any
		want Reply
	}{
		{"string content", completion("Hello", nil),
			Reply{Content: "Hello", Usage: Usage{11, 7}}},
		{"content parts", completion([]any{
			map[string]any{"type": "text", "text": "Hel"},
			map[string]any{"type": "image_url", "image_url": map[string]any{"url": "x"}},
			map[string]any{"type": "text", "text": "lo"},
		}, nil), Reply{Content: "Hello", Usage: Usage{11, 7}}},
		{"null content with tool calls", completion(nil, map[string]any{"tool_calls": []any{
			map[string]any{"id": "call_9", "type": "function", "function": map[string]any{"name": "send_email", "arguments": `{"to":"a@b.c"}`}},
			map[string]any{"id": "call_10", "type": "function", "function": map[string]any{"name": "obj_args", "arguments": map[string]any{"k": 1}}},
		}}), Reply{ToolCalls: []ToolCall{
			{ID: "call_9", Name: "send_email", Arguments: `{"to":"a@b.c"}`},
			{ID: "call_10", Name: "obj_args", Arguments: `{"k":1}`},
		}, Usage: Usage{11, 7}}},
		{"legacy function_call", completion(nil, map[string]any{"function_call": map[string]any{"name": "f", "arguments": "{}"}}),
			Reply{ToolCalls: []ToolCall{{Name: "f", Arguments: "{}"}}, Usage: Usage{11, 7}}},
		{"refusal", completion(nil, map[string]any{"refusal": "I can't help with that."}),
			Reply{Content: "I can't help with that.", Usage: Usage{11, 7}}},
		{"no usage", map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": "ok"}}}},
			Reply{Content: "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, tt.resp) })
			tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "m"}})
			got, err := tg.Send(context.Background(), userConv("x"))
			if err != nil {
				t.Fatal(err)
			}
			got.Latency = 0
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenAIBadResponses(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"html", "<html>gateway</html>", "not JSON"},
		{"empty body", "", "not JSON"},
		{"empty choices", `{"choices": []}`, "no choices"},
		{"no choices field", `{"object": "list", "data": []}`, "no choices field"},
		{"error in 200 body", `{"error": {"type": "invalid_request_error", "message": "model not loaded"}}`, "model not loaded"},
		{"content of wrong type", `{"choices": [{"message": {"content": 42}}]}`, "neither a string nor an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				w.WriteHeader(200)
				_, _ = w.Write([]byte(tt.body))
			})
			tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "m"}})
			_, err := tg.Send(context.Background(), userConv("x"))
			if err == nil {
				t.Fatal("Send succeeded on a bad response")
			}
			if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error %q: want ErrBadResponse mentioning %q and the URL", err, tt.want)
			}
		})
	}
}

func TestOpenAIUsageAccumulates(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, completion("ok", nil)) })
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "m"}})
	for range 3 {
		if _, err := tg.Send(context.Background(), userConv("x")); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := tg.(UsageReporter).Usage(), (Usage{33, 21}); got != want {
		t.Errorf("Usage() = %+v, want %+v", got, want)
	}
}
