package target

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A header value that cannot be sent is a configuration error at New,
// naming the header and never quoting the value (it may be a key).
func TestInvalidStaticHeaderValues(t *testing.T) {
	const secret = "tok-SECRET-1234"
	env := map[string]string{"NL": secret + "\nX-Injected: 1", "KEY": "sk-SECRET-99\r\nX-Evil: 1", "OK": "fine"}
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"openai literal CR LF", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "http://h/v1", Headers: map[string]string{"X-Tenant": "a\r\nX-Evil: 1"}}},
			[]string{"headers.X-Tenant", "carriage return (CR) at byte 1"}},
		{"anthropic from ${VAR}", Config{Type: TypeAnthropic, Settings: &AnthropicConfig{Model: "m", BaseURL: "http://h", Headers: map[string]string{"X-Token": "Bearer ${NL}"}}},
			[]string{"headers.X-Token", "line feed (LF) at byte 22", "${VAR}"}},
		{"openai api key", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "http://h/v1", APIKeyEnv: "KEY"}},
			[]string{"environment variable KEY", "carriage return"}},
		{"control character", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "http://h/v1", Headers: map[string]string{"X-A": "a\x01"}}},
			[]string{"headers.X-A", "U+0001"}},
		{"bad header name", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "http://h/v1", Headers: map[string]string{"X Tenant": "${OK}"}}},
			[]string{`header name "X Tenant" is invalid`}},
		{"http literal", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h/chat", Headers: map[string]string{"X-App": "v\n"}}},
			[]string{"headers.X-App", "line feed"}},
		{"http from ${VAR}", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h/chat", Headers: map[string]string{"Authorization": "Bearer ${NL}"}}},
			[]string{"headers.Authorization", "line feed"}},
		{"http bad header name", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h/chat", Headers: map[string]string{"X:Y": "v"}}},
			[]string{`header name "X:Y" is invalid`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, fakeEnv(env))
			if err == nil {
				t.Fatal("New accepted a header that cannot be sent")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, s := range []string{secret, "sk-SECRET-99"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error quotes the value: %v", err)
				}
			}
		})
	}
	// Tabs and non-ASCII bytes are valid in a header value.
	if _, err := New(Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "http://h/v1", Headers: map[string]string{"X-A": "a\tb é"}}}); err != nil {
		t.Errorf("a tab and UTF-8 were refused: %v", err)
	}
}

// A value rendered into a header from the conversation or the session is
// checked at Send: a clear error naming the header, nothing sent, no retry.
func TestInvalidRenderedHeaderValue(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, map[string]any{"reply": "ok", "sid": "s1\r\nX-Admin: true"})
	})
	t.Run("session", func(t *testing.T) {
		tg, rec := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, Headers: map[string]string{"X-Session": "{{.Session}}"}, Body: `{"q": {{json .Prompt}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: SessionResponse, Path: "sid"}}})
		ctx := WithSession(context.Background(), "c1")
		if _, err := tg.Send(ctx, userConv("one")); err != nil {
			t.Fatal(err)
		}
		before := len(srv.requests())
		_, err := tg.Send(ctx, userConv("two"))
		if err == nil || !strings.Contains(err.Error(), "headers.X-Session") || !strings.Contains(err.Error(), "carriage return (CR) at byte 2") {
			t.Fatalf("error %v, want one naming headers.X-Session and the CR", err)
		}
		var ce *ConnError
		if errors.As(err, &ce) || strings.Contains(err.Error(), "is the server running") {
			t.Errorf("reported as a connection failure: %v", err)
		}
		if n := len(srv.requests()) - before; n != 0 {
			t.Errorf("%d requests sent", n)
		}
		if n := len(rec.recorded()); n != 0 {
			t.Errorf("%d retries", n)
		}
	})
	t.Run("prompt", func(t *testing.T) {
		tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, Headers: map[string]string{"X-Prompt": "{{.Prompt}}"}, ResponsePath: "reply"}})
		before := len(srv.requests())
		_, err := tg.Send(context.Background(), userConv("line one\nline two"))
		if err == nil || !strings.Contains(err.Error(), "headers.X-Prompt") || !strings.Contains(err.Error(), "line feed (LF) at byte 8") {
			t.Fatalf("error %v, want one naming headers.X-Prompt", err)
		}
		if n := len(srv.requests()) - before; n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
}

// Whatever builds a request, the transport refuses a header net/http
// cannot send as a permanent error, not as a retried connection failure.
func TestTransportRefusesInvalidHeaderWithoutRetry(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { w.WriteHeader(200) })
	rec := &sleepRecorder{}
	tr := newTransport(&HTTPConfig{URL: srv.URL}, &Env{client: http.DefaultClient, sleep: rec.sleep,
		jitter: func(d time.Duration) time.Duration { return d }, logger: discardLogger()}, "", nil)
	_, err := tr.do(context.Background(), "GET", srv.URL, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		if err == nil {
			r.Header.Set("X-Bad", "a\nb")
		}
		return r, err
	})
	if err == nil || !strings.Contains(err.Error(), "header X-Bad") {
		t.Fatalf("error %v, want one naming header X-Bad", err)
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		t.Errorf("reported as a connection error: %v", err)
	}
	if len(srv.requests()) != 0 || len(rec.recorded()) != 0 {
		t.Errorf("%d requests, %d retries; want none", len(srv.requests()), len(rec.recorded()))
	}
}
