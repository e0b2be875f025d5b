package target

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestPreflight(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, completion("OK", nil)) }
	status := func(code int) func(http.ResponseWriter, *http.Request, []byte) {
		return func(w http.ResponseWriter, r *http.Request, body []byte) {
			writeJSON(w, code, map[string]any{"error": map[string]any{"message": "nope"}})
		}
	}
	tests := []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request, []byte)
		down    bool // close the server before the preflight
		want    []string
	}{
		{"ok", ok, false, nil},
		{"unauthorized", status(401), false, []string{`target "t"`, "/chat/completions", "status 401", "check the API key in environment variable KEY"}},
		{"not found", status(404), false, []string{"status 404", "check the base URL"}},
		{"unreachable", ok, true, []string{`target "t"`, "cannot reach http://", "is the server running?"}},
		{"empty reply", func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, completion("", nil)) }, false,
			[]string{"was empty", "check the model name"}},
		{"garbage", func(w http.ResponseWriter, r *http.Request, body []byte) { _, _ = w.Write([]byte("<html>")) }, false,
			[]string{"not JSON", "check the target type, base URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.handler)
			tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Name: "t", Retries: new(0)}, BaseURL: srv.URL, Model: "m", APIKeyEnv: "KEY"}},
				fakeEnv(map[string]string{"KEY": "sk-preflight-secret"}))
			if tt.down {
				srv.Close()
			}
			err := Preflight(context.Background(), tg)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Preflight: %v", err)
				}
				if r := srv.requests(); len(r) != 1 || !strings.Contains(string(r[0].Body), PreflightPrompt) {
					t.Errorf("preflight did not send %q once: %+v", PreflightPrompt, r)
				}
				return
			}
			if err == nil {
				t.Fatal("Preflight succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "sk-preflight-secret") {
				t.Errorf("error leaks the key: %v", err)
			}
		})
	}
}

func TestPreflightHTTPTargetWrongPath(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, map[string]any{"answer": "OK"})
	})
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{Common: Common{Name: "app"}, URL: srv.URL, Body: `{"q": {{json .Prompt}}}`, ResponsePath: "reply"}})
	err := Preflight(context.Background(), tg)
	if err == nil || !strings.Contains(err.Error(), `key "reply"`) || !strings.Contains(err.Error(), "response_path") {
		t.Errorf("error %v, want one naming the missing response_path key", err)
	}
}
