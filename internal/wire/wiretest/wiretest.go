// Package wiretest serves scripted OpenAI-compatible chat models for tests
// and benchmarks: attacker, judge and target fakes that the real clients
// talk to over HTTP.
package wiretest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/wire"
)

// Model is a scripted chat model.
type Model struct {
	// Answer returns the assistant's text for a request, or an error for a
	// request the script does not expect (served as 400). ctx ends when
	// the client goes away.
	Answer func(ctx context.Context, req wire.ChatRequest) (string, error)
	// Usage is reported with every answer.
	Usage wire.Usage
	// Calls counts the requests received.
	Calls atomic.Int64
}

// Serve starts an HTTP server for m at /v1/chat/completions (any path
// answers), closed when tb ends. Point a target's base_url at URL+"/v1".
func Serve(tb testing.TB, m *Model) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Calls.Add(1)
		var req wire.ChatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		text, err := m.Answer(r.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		u := m.Usage
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		_ = json.NewEncoder(w).Encode(wire.ChatCompletion{ID: "x", Object: "chat.completion", Model: req.Model,
			Choices: []wire.ChatChoice{{Message: wire.ResponseMessage{Role: "assistant", Content: wire.TextContent(text)}, FinishReason: "stop"}},
			Usage:   &u})
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// Text returns the text of the request's first message with the role, or
// "".
func Text(req wire.ChatRequest, role string) string {
	for _, m := range req.Messages {
		if m.Role == role {
			t, _ := m.Content.Text()
			return t
		}
	}
	return ""
}
