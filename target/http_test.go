package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHTTPBodyTemplateEscapesPrompt(t *testing.T) {
	prompts := []string{
		`plain`,
		`say "hi" \ then {"x": 1}`,
		"line one\nline two\r\n\ttabbed",
		`</script><script>alert(1)</script> & more`,
		"emoji 🙂 and NUL \x00 and U+2028 \u2028",
		`{{.Session}} ${HOME} {{json .Prompt}}`,
	}
	for _, p := range prompts {
		t.Run(fmt.Sprintf("%.12q", p), func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				var in struct {
					Q        string         `json:"q"`
					Messages []Message      `json:"messages"`
					Meta     map[string]any `json:"meta"`
				}
				dec := json.NewDecoder(bytes.NewReader(body))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&in); err != nil {
					http.Error(w, "bad json: "+err.Error(), 400)
					return
				}
				writeJSON(w, 200, map[string]any{"data": map[string]any{"reply": in.Q, "n": len(in.Messages)}})
			})
			tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL + "/chat", Body: `{"q": {{json .Prompt}}, "messages": {{json .Messages}}, "meta": {"static": true}}`, ResponsePath: "data.reply"}})
			conv := Conversation{{Role: RoleSystem, Content: "sys"}, {Role: RoleUser, Content: p}}
			got, err := tg.Send(context.Background(), conv)
			if err != nil {
				t.Fatal(err)
			}
			if got.Content != strings.ToValidUTF8(p, "\uFFFD") {
				t.Errorf("the app received %q, want %q", got.Content, p)
			}
			if ct := srv.requests()[0].Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestHTTPResponsePath(t *testing.T) {
	const doc = `{"data": {"reply": "hello", "n": 4.50, "ok": true, "obj": {"a": [1, 2]}, "nil": null},
		"items": [{"text": "first"}, {"text": "last"}], "a.b": "dotted"}`
	tests := []struct {
		name, path, body string
		want             string
		wantErr          string
	}{
		{"string", "data.reply", doc, "hello", ""},
		{"number kept as written", "data.n", doc, "4.50", ""},
		{"bool", "data.ok", doc, "true", ""},
		{"object as JSON", "data.obj", doc, `{"a":[1,2]}`, ""},
		{"index", "items.0.text", doc, "first", ""},
		{"negative index", "items.-1.text", doc, "last", ""},
		{"escaped dot", `a\.b`, doc, "dotted", ""},
		{"whole body", "", "  plain text reply\n", "plain text reply", ""},
		{"missing key", "data.answer", doc, "", `key "answer"`},
		{"index out of range", "items.5.text", doc, "", "out of range"},
		{"key into array", "items.text", doc, "", "is an array"},
		{"null", "data.nil", doc, "", "null"},
		{"not json", "data.reply", "<html>500</html>", "", "not JSON"},
		{"trailing garbage", "data.reply", `{"data":{"reply":"x"}} junk`, "", "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { _, _ = w.Write([]byte(tt.body)) })
			tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, Body: `{{json .Prompt}}`, ResponsePath: tt.path}})
			got, err := tg.Send(context.Background(), userConv("x"))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want ErrBadResponse containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Content != tt.want {
				t.Errorf("Content = %q, want %q", got.Content, tt.want)
			}
		})
	}
}

func TestHTTPContextPathAndGet(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Method != http.MethodGet || len(body) != 0 {
			http.Error(w, "want GET without body", 400)
			return
		}
		writeJSON(w, 200, map[string]any{"answer": "a: " + r.URL.Query().Get("q"), "sources": []any{"doc one", map[string]any{"id": 2}}})
	})
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{Method: "get", URL: srv.URL + "/ask?q={{urlquery .Prompt}}", ResponsePath: "answer", ContextPath: "sources"}})
	got, err := tg.Send(context.Background(), userConv("what & why?"))
	if err != nil {
		t.Fatal(err)
	}
	got.Latency = 0
	want := Reply{Content: "a: what & why?", Context: []string{"doc one", `{"id":2}`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reply (-want +got):\n%s", diff)
	}
}

// sessionApp is a stateful fake app: it counts turns per session and
// answers "<session> turn <n>". How it learns the session depends on the
// mode under test.
type sessionApp struct {
	mu    sync.Mutex
	turns map[string]int
	next  int
}

func (a *sessionApp) handle(mode string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		var in struct {
			Q   string `json:"q"`
			SID string `json:"sid"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		sid := in.SID
		switch mode {
		case SessionGenerate:
			if sid == "" || r.Header.Get("X-Session") != sid || r.URL.Query().Get("sid") != sid {
				http.Error(w, "session missing from body, header or URL", 400)
				return
			}
		case SessionCookie:
			sid = ""
			if c, err := r.Cookie("app_sid"); err == nil {
				sid = c.Value
			}
		}
		if sid == "" {
			if mode == SessionGenerate {
				http.Error(w, "no session", 400)
				return
			}
			a.next++
			sid = fmt.Sprintf("s%d", a.next)
			if mode == SessionCookie {
				http.SetCookie(w, &http.Cookie{Name: "app_sid", Value: sid})
				http.SetCookie(w, &http.Cookie{Name: "tracking", Value: "ignored"})
			}
		}
		a.turns[sid]++
		writeJSON(w, 200, map[string]any{"reply": fmt.Sprintf("%s turn %d", sid, a.turns[sid]), "conversation": map[string]any{"id": sid}})
	}
}

func TestHTTPSessions(t *testing.T) {
	tests := []struct {
		mode string
		cfg  HTTPConfig
	}{
		{SessionGenerate, HTTPConfig{URL: "/chat?sid={{urlquery .Session}}", Headers: map[string]string{"X-Session": "{{.Session}}"},
			Body: `{"q": {{json .Prompt}}, "sid": {{json .Session}}}`, Session: SessionConfig{Mode: SessionGenerate}}},
		{SessionResponse, HTTPConfig{URL: "/chat", Body: `{"q": {{json .Prompt}}, "sid": {{json .Session}}}`,
			Session: SessionConfig{Mode: SessionResponse, Path: "conversation.id"}}},
		{SessionCookie, HTTPConfig{URL: "/chat", Body: `{"q": {{json .Prompt}}}`, Session: SessionConfig{Mode: SessionCookie, Cookie: "app_sid"}}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			app := &sessionApp{turns: map[string]int{}}
			srv := newFakeServer(t, app.handle(tt.mode))
			cfg := tt.cfg
			cfg.URL, cfg.ResponsePath = srv.URL+cfg.URL, "reply"
			tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &cfg})

			// Two conversations run at once, two turns each.
			replies := make([][]string, 2)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for c := range 2 {
				wg.Go(func() {
					ctx := WithSession(context.Background(), fmt.Sprintf("probe-%d", c))
					for turn := range 2 {
						r, err := tg.Send(ctx, userConv(fmt.Sprintf("turn %d", turn)))
						if err != nil {
							errs <- err
							return
						}
						replies[c] = append(replies[c], r.Content)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for c, rs := range replies {
				if len(rs) != 2 {
					t.Fatalf("conversation %d got %d replies", c, len(rs))
				}
				id := strings.TrimSuffix(rs[0], " turn 1")
				if rs[1] != id+" turn 2" {
					t.Errorf("conversation %d: replies %q: the second turn did not continue the first", c, rs)
				}
				ids[id] = true
			}
			if len(ids) != 2 {
				t.Errorf("the two conversations shared a session: %v", replies)
			}
			// A Send without a session ID starts a conversation of its own.
			r, err := tg.Send(context.Background(), userConv("solo"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(r.Content, " turn 1") || ids[strings.TrimSuffix(r.Content, " turn 1")] {
				t.Errorf("session-less Send reply %q, want a fresh session", r.Content)
			}
		})
	}
}

func TestHTTPResponseSessionMissing(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, map[string]any{"reply": "hi"})
	})
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, Body: `{"sid": {{json .Session}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: SessionResponse, Path: "session_id"}}})
	_, err := tg.Send(WithSession(context.Background(), "p1"), userConv("x"))
	if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "session.path") {
		t.Errorf("error %v, want one about session.path", err)
	}
}

func TestHTTPEnvReferencesAndSessionValuesStaySeparate(t *testing.T) {
	const token = "app-token-SECRET-42"
	var seen []string
	var mu sync.Mutex
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		mu.Lock()
		seen = append(seen, string(body))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "denied "+r.Header.Get("Authorization"), 403)
			return
		}
		// The app hands out a session value that looks like an env reference.
		writeJSON(w, 200, map[string]any{"reply": "ok", "sid": "${APP_TOKEN}"})
	})
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, ResponsePath: "reply", Headers: map[string]string{"Authorization": "Bearer ${APP_TOKEN}"}, Body: `{"sid": {{json .Session}}}`, Session: SessionConfig{Mode: SessionResponse, Path: "sid"}}},
		fakeEnv(map[string]string{"APP_TOKEN": token}))
	ctx := WithSession(context.Background(), "p")
	for range 2 {
		if _, err := tg.Send(ctx, userConv("x")); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{`{"sid": ""}`, `{"sid": "${APP_TOKEN}"}`}; !cmp.Equal(want, seen) {
		t.Errorf("bodies sent %q, want %q: a session value must never be expanded", seen, want)
	}

	// With a wrong token the 403 names the URL but not the token.
	bad, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer ${APP_TOKEN}"}}},
		fakeEnv(map[string]string{"APP_TOKEN": "wrong-token-SECRET"}))
	_, err := bad.Send(ctx, userConv("x"))
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 403 || strings.Contains(err.Error(), "wrong-token-SECRET") {
		t.Errorf("error %v: want a 403 without the token", err)
	}
}

func TestHTTPConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		env  map[string]string
		want string
	}{
		{"no url", Config{Type: TypeHTTP, Settings: &HTTPConfig{}}, nil, "url is required"},
		{"bad url", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "localhost:8080/chat"}}, nil, "want http:// or https://"},
		{"bad template", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h", Body: `{{json .Prompt`}}, nil, "body template"},
		{"unknown field", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h", Body: `{{.Nope}}`}}, nil, ""},
		{"unset env", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h", Headers: map[string]string{"X-Key": "${MISSING}"}}}, nil, "headers.X-Key references ${MISSING}"},
		{"bad response path", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h", ResponsePath: "a..b"}}, nil, "response_path"},
		{"unknown session mode", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h", Session: SessionConfig{Mode: "sticky"}}}, nil, `session.mode "sticky"`},
		{"response mode without path", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h", Body: "{{.Session}}", Session: SessionConfig{Mode: SessionResponse}}}, nil, "session.path is required"},
		{"session unused", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h", Body: "{{json .Prompt}}", Session: SessionConfig{Mode: SessionGenerate}}}, nil, "no template uses .Session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, fakeEnv(tt.env))
			if tt.want == "" {
				// Unknown fields surface when rendering, not at New.
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestHTTPUnknownTemplateFieldFailsAtSend(t *testing.T) {
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://127.0.0.1:1", Body: `{{.Nope}}`}})
	_, err := tg.Send(context.Background(), userConv("x"))
	if err == nil || !strings.Contains(err.Error(), "rendering body template") {
		t.Errorf("error %v, want a body template error", err)
	}
}
