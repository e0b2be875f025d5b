package target

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestEndpointURL(t *testing.T) {
	tests := []struct {
		base, path string
		query      url.Values
		want       string
	}{
		{"http://h/v1", "/chat/completions", nil, "http://h/v1/chat/completions"},
		{"http://h/v1/", "/chat/completions", nil, "http://h/v1/chat/completions"},
		{"http://h", "/v1/messages", nil, "http://h/v1/messages"},
		{"http://h/v1?api_key=K&x=1", "/chat/completions", nil, "http://h/v1/chat/completions?api_key=K&x=1"},
		{"http://h/v1/?api_key=K", "chat/completions", nil, "http://h/v1/chat/completions?api_key=K"},
		{"http://h/a%2Fb/", "/c", nil, "http://h/a%2Fb/c"},
		{"http://h/v1?", "/c", nil, "http://h/v1/c"},
		{"http://h/v1#frag", "/c", nil, "http://h/v1/c"},
		{"https://r.example/?x=1", "/openai/deployments/my%20gpt/chat/completions", url.Values{"api-version": {"2024-06-01"}},
			"https://r.example/openai/deployments/my%20gpt/chat/completions?api-version=2024-06-01&x=1"},
		{"https://r.example/?api-version=old&x=1", "/d", url.Values{"api-version": {"new"}}, "https://r.example/d?api-version=new&x=1"},
	}
	for _, tt := range tests {
		got, err := endpointURL(tt.base, tt.path, tt.query)
		if err != nil {
			t.Errorf("endpointURL(%q, %q): %v", tt.base, tt.path, err)
			continue
		}
		if got != tt.want {
			t.Errorf("endpointURL(%q, %q, %v) = %q, want %q", tt.base, tt.path, tt.query, got, tt.want)
		}
	}
	if _, err := endpointURL("http://h/?a=%zz", "/c", url.Values{"b": {"1"}}); err == nil || !strings.Contains(err.Error(), "invalid query") {
		t.Errorf("malformed query merged without error: %v", err)
	}
}

// A base_url with a query string keeps the query after the endpoint path,
// for every provider that builds its URL from base_url.
func TestBaseURLWithQuery(t *testing.T) {
	okOpenAI := func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, completion("ok", nil)) }
	okAnthropic := func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, map[string]any{"type": "message", "content": []any{map[string]any{"type": "text", "text": "ok"}}})
	}
	tests := []struct {
		name      string
		handler   func(http.ResponseWriter, *http.Request, []byte)
		cfg       func(base string) Config
		suffix    string // appended to the server URL as base_url
		wantPath  string
		wantQuery url.Values
	}{
		{"openai", okOpenAI, func(b string) Config {
			return Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: b, Model: "m"}}
		},
			"/v1?api_key=K&x=1", "/v1/chat/completions", url.Values{"api_key": {"K"}, "x": {"1"}}},
		{"anthropic", okAnthropic, func(b string) Config {
			return Config{Type: TypeAnthropic, Settings: &AnthropicConfig{BaseURL: b, Model: "m"}}
		},
			"/?gateway=eu", "/v1/messages", url.Values{"gateway": {"eu"}}},
		{"azure merges api-version", okOpenAI, func(b string) Config {
			return Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: b, Deployment: "gpt", APIVersion: "2024-06-01", APIKeyEnv: "K"}}
		}, "/?tenant=t1", "/openai/deployments/gpt/chat/completions", url.Values{"tenant": {"t1"}, "api-version": {"2024-06-01"}}},
		{"azure keeps the base url's api-version", okOpenAI, func(b string) Config {
			return Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: b, Deployment: "gpt", APIKeyEnv: "K"}}
		}, "?api-version=2025-01-01-preview", "/openai/deployments/gpt/chat/completions", url.Values{"api-version": {"2025-01-01-preview"}}},
		{"azure default api-version", okOpenAI, func(b string) Config {
			return Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: b, Deployment: "gpt", APIKeyEnv: "K"}}
		}, "/", "/openai/deployments/gpt/chat/completions", url.Values{"api-version": {DefaultAzureAPIVersion}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.handler)
			tg, _ := mustNew(t, tt.cfg(srv.URL+tt.suffix), fakeEnv(map[string]string{"K": "key-123456"}))
			if _, err := tg.Send(context.Background(), userConv("x")); err != nil {
				t.Fatal(err)
			}
			r := srv.requests()[0]
			q, _ := url.ParseQuery(r.Query)
			if r.Path != tt.wantPath || q.Encode() != tt.wantQuery.Encode() {
				t.Errorf("request to %s?%s, want %s?%s", r.Path, r.Query, tt.wantPath, tt.wantQuery.Encode())
			}
		})
	}
}
