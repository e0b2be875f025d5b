package target

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// assertRedacted fails when any secret appears anywhere in the reply, or
// when nothing was redacted at all (the echo did not happen).
func assertRedacted(t *testing.T, r Reply, secrets ...string) {
	t.Helper()
	fields := append([]string{r.Content}, r.Context...)
	for _, tc := range r.ToolCalls {
		fields = append(fields, tc.ID, tc.Name, tc.Arguments)
	}
	all := strings.Join(fields, "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("reply leaks %q: %q", s, fields)
		}
	}
	if !strings.Contains(all, redacted) {
		t.Errorf("nothing redacted in %q", fields)
	}
}

// The key has characters JSON and URLs escape, so the echoed forms differ
// from the raw one.
const echoKey = `sk-live"x/y\z-0123456789`

func TestOpenAIRepliesRedacted(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		args, _ := json.Marshal(map[string]string{"key": key, "tenant": r.Header.Get("X-Tenant")})
		writeJSON(w, 200, completion("your key is "+key+" and "+r.URL.Query().Get("api_key"), map[string]any{"tool_calls": []any{
			map[string]any{"id": "call_" + key, "type": "function", "function": map[string]any{"name": "leak_" + key, "arguments": string(args)}},
		}}))
	})
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL + "/v1?api_key=QUERYKEY-777", Model: "m", APIKeyEnv: "K", Headers: map[string]string{"X-Tenant": "${TENANT}"}}},
		fakeEnv(map[string]string{"K": echoKey, "TENANT": "tenant-SECRET-5"}))
	got, err := tg.Send(context.Background(), userConv("x"))
	if err != nil {
		t.Fatal(err)
	}
	assertRedacted(t, got, echoKey, `sk-live\"x/y\\z-0123456789`, "tenant-SECRET-5", "QUERYKEY-777")
	if !json.Valid([]byte(got.ToolCalls[0].Arguments)) {
		t.Errorf("redacted arguments are no longer JSON: %s", got.ToolCalls[0].Arguments)
	}
}

func TestAnthropicRepliesRedacted(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		key := r.Header.Get("x-api-key")
		writeJSON(w, 200, map[string]any{"type": "message", "content": []any{
			map[string]any{"type": "text", "text": "key " + key + " auth " + r.Header.Get("Authorization")},
			map[string]any{"type": "tool_use", "id": "tu", "name": "n", "input": map[string]any{"k": key}},
		}})
	})
	tg, _ := mustNew(t, Config{Type: TypeAnthropic, Settings: &AnthropicConfig{BaseURL: srv.URL, Model: "m", APIKeyEnv: "K", Headers: map[string]string{"Authorization": "Basic bGl0ZXJhbDpwYXNz"}}},
		fakeEnv(map[string]string{"K": echoKey}))
	got, err := tg.Send(context.Background(), userConv("x"))
	if err != nil {
		t.Fatal(err)
	}
	assertRedacted(t, got, echoKey, `sk-live\"x/y\\z-0123456789`, "bGl0ZXJhbDpwYXNz")
}

// An http app echoing every credential it was sent: a ${VAR} header, a
// literal credential header, a key in the URL's query and user info, and a
// ${VAR} in the body.
func TestHTTPRepliesRedacted(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		user, pass, _ := r.BasicAuth()
		echo := strings.Join([]string{r.Header.Get("X-App-Token"), r.Header.Get("X-Api-Key"), r.URL.Query().Get("key"), user + ":" + pass, string(body)}, " | ")
		writeJSON(w, 200, map[string]any{"reply": echo, "docs": []string{"doc: " + echo}})
	})
	u := strings.Replace(srv.URL, "http://", "http://bob:URLPASS-4321@", 1)
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: u + "/chat?key=URLKEY-1234", ResponsePath: "reply", ContextPath: "docs", Headers: map[string]string{"X-App-Token": "${APP_TOKEN}", "X-Api-Key": "LITERAL-KEY-5678"}, Body: `{"q": {{json .Prompt}}, "user": "${USER_SECRET}"}`}},
		fakeEnv(map[string]string{"APP_TOKEN": "apptoken-SECRET", "USER_SECRET": "user-SECRET-9"}))
	got, err := tg.Send(context.Background(), userConv("x"))
	if err != nil {
		t.Fatal(err)
	}
	assertRedacted(t, got, "apptoken-SECRET", "LITERAL-KEY-5678", "URLKEY-1234", "URLPASS-4321", "user-SECRET-9")
	if len(got.Context) != 1 || strings.Contains(got.Context[0], "SECRET") {
		t.Errorf("context not redacted: %q", got.Context)
	}
}

func TestExecRepliesRedacted(t *testing.T) {
	tg := helperTarget(t, "echo-env", ExecConfig{Env: map[string]string{"HELPER_SECRET_LEN": "${SECRET}"}})
	got, err := tg.Send(context.Background(), userConv("x"))
	if err != nil {
		t.Fatal(err)
	}
	assertRedacted(t, got, "helper-SECRET-token")
	if got.Content != "my token is "+redacted || got.ToolCalls[0].Name != "send_"+redacted || len(got.Context) != 1 {
		t.Errorf("reply %+v", got)
	}
}
