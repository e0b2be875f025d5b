package target

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAnthropicRequest(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, map[string]any{"type": "message", "content": []any{map[string]any{"type": "text", "text": "ok"}}})
	})
	tg, _ := mustNew(t, Config{Type: TypeAnthropic, Settings: &AnthropicConfig{BaseURL: srv.URL, Model: "claude-test", APIKeyEnv: "AK"}},
		fakeEnv(map[string]string{"AK": "ant-key-abcdef"}))
	conv := Conversation{
		{Role: RoleSystem, Content: "rule one"},
		{Role: RoleSystem, Content: "rule two"},
		{Role: RoleUser, Content: "weather in Oslo and Rome?"},
		{Role: RoleAssistant, Content: "Checking.", ToolCalls: []ToolCall{
			{ID: "tu_1", Name: "weather", Arguments: `{"city":"Oslo"}`},
			{ID: "tu_2", Name: "weather", Arguments: `not json`},
		}},
		{Role: RoleTool, ToolCallID: "tu_1", Content: "rain"},
		{Role: RoleTool, ToolCallID: "tu_2", Content: "sun"},
	}
	if _, err := tg.Send(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	if r.Path != "/v1/messages" {
		t.Errorf("path %s, want /v1/messages", r.Path)
	}
	if r.Header.Get("x-api-key") != "ant-key-abcdef" || r.Header.Get("anthropic-version") != "2023-06-01" {
		t.Errorf("headers x-api-key=%q anthropic-version=%q", r.Header.Get("x-api-key"), r.Header.Get("anthropic-version"))
	}
	var got map[string]any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"model":      "claude-test",
		"max_tokens": 1024.0,
		"system":     "rule one\n\nrule two",
		"messages": []any{
			map[string]any{"role": "user", "content": "weather in Oslo and Rome?"},
			map[string]any{"role": "assistant", "content": []any{
				map[string]any{"type": "text", "text": "Checking."},
				map[string]any{"type": "tool_use", "id": "tu_1", "name": "weather", "input": map[string]any{"city": "Oslo"}},
				map[string]any{"type": "tool_use", "id": "tu_2", "name": "weather", "input": map[string]any{"arguments": "not json"}},
			}},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "tool_result", "tool_use_id": "tu_1", "content": "rain"},
				map[string]any{"type": "tool_result", "tool_use_id": "tu_2", "content": "sun"},
			}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
}

func TestAnthropicReplies(t *testing.T) {
	tests := []struct {
		name string
		resp string
		want Reply
	}{
		{"text blocks concatenated", `{"type":"message","content":[{"type":"text","text":"Hel"},{"type":"thinking","thinking":"x"},{"type":"text","text":"lo"}],"usage":{"input_tokens":5,"output_tokens":2}}`,
			Reply{Content: "Hello", Usage: Usage{5, 2}}},
		{"tool use", `{"type":"message","content":[{"type":"text","text":"Sending."},{"type":"tool_use","id":"toolu_1","name":"send_email","input":{"to":"x@y.z"}}],"usage":{"input_tokens":9,"output_tokens":4}}`,
			Reply{Content: "Sending.", ToolCalls: []ToolCall{{ID: "toolu_1", Name: "send_email", Arguments: `{"to":"x@y.z"}`}}, Usage: Usage{9, 4}}},
		{"empty content", `{"type":"message","content":[],"stop_reason":"end_turn"}`, Reply{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { _, _ = w.Write([]byte(tt.resp)) })
			tg, _ := mustNew(t, Config{Type: TypeAnthropic, Settings: &AnthropicConfig{BaseURL: srv.URL, Model: "m", MaxTokens: 10}})
			got, err := tg.Send(context.Background(), userConv("x"))
			if err != nil {
				t.Fatal(err)
			}
			got.Latency = 0
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			var req map[string]any
			_ = json.Unmarshal(srv.requests()[0].Body, &req)
			if req["max_tokens"] != 10.0 {
				t.Errorf("max_tokens = %v, want 10", req["max_tokens"])
			}
		})
	}
}

func TestAnthropicBadResponses(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not json", "oops", "not JSON"},
		{"openai shape", `{"choices":[]}`, "no content field"},
		{"error object", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, "overloaded_error: Overloaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { _, _ = w.Write([]byte(tt.body)) })
			tg, _ := mustNew(t, Config{Type: TypeAnthropic, Settings: &AnthropicConfig{BaseURL: srv.URL, Model: "m"}})
			_, err := tg.Send(context.Background(), userConv("x"))
			if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v: want ErrBadResponse mentioning %q", err, tt.want)
			}
		})
	}
}
