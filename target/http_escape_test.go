package target

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// uriServer answers {"reply": "ok", "sid": <next session value>} and
// records the request URI exactly as it arrived, before any decoding.
type uriServer struct {
	*httptest.Server
	mu   sync.Mutex
	uris []string
}

func newURIServer(t *testing.T, session string) *uriServer {
	t.Helper()
	s := &uriServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.uris = append(s.uris, r.RequestURI)
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"reply": "ok", "sid": session})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *uriServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.uris...)
}

// A session value the app hands out is escaped into the URL: it can add
// neither path segments nor query parameters.
func TestHTTPURLValuesAreEscaped(t *testing.T) {
	tests := []struct {
		name, url, session string
		want               string // the second request's URI
	}{
		{"path", "/chat/{{.Session}}/messages", "abc/def?role=admin&x=1#f",
			"/chat/abc%2Fdef%3Frole%3Dadmin%26x%3D1%23f/messages"},
		{"query", "/chat?sid={{.Session}}&v=1", "a&role=admin#x",
			"/chat?sid=a%26role%3Dadmin%23x&v=1"},
		{"urlquery is not escaped twice", "/chat?sid={{urlquery .Session}}", "a b&c%",
			"/chat?sid=a%20b%26c%25"},
		{"piped urlquery", "/chat/{{.Session | urlquery}}", "x/y z",
			"/chat/x%2Fy%20z"},
		{"dots inside a segment are fine", "/chat/{{.Session}}", "v1.2..3",
			"/chat/v1.2..3"},
		{"percent signs are data", "/chat/{{.Session}}", "%2e%2e", "/chat/%252e%252e"},
		{"unicode and controls", "/c?s={{.Session}}", "é\r\n\x00", "/c?s=%C3%A9%0D%0A%00"},
		{"if and with branches", "/c{{if .Session}}/{{.Session}}{{end}}{{with .Session}}?s={{.}}{{end}}", "a/b",
			"/c/a%2Fb?s=a%2Fb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newURIServer(t, tt.session)
			tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL + tt.url, Body: `{"q": {{json .Prompt}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: SessionResponse, Path: "sid"}}})
			ctx := WithSession(context.Background(), "c1")
			for range 2 {
				if _, err := tg.Send(ctx, userConv("hi")); err != nil {
					t.Fatal(err)
				}
			}
			if got := srv.seen(); len(got) != 2 || got[1] != tt.want {
				t.Errorf("requests %q, want the second to be %q", got, tt.want)
			}
		})
	}
}

// A value that would climb out of the path the template names is refused
// before anything is sent, and the refusal is not retried.
func TestHTTPURLDotSegmentsRejected(t *testing.T) {
	for _, session := range []string{"..", ".", "abc/../../admin?role=admin", `..\admin`} {
		t.Run(session, func(t *testing.T) {
			srv := newURIServer(t, session)
			tg, rec := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL + "/chat/{{.Session}}", Body: `{"q": {{json .Prompt}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: SessionResponse, Path: "sid"}}})
			ctx := WithSession(context.Background(), "c1")
			if _, err := tg.Send(ctx, userConv("hi")); err != nil { // learns the session
				t.Fatal(err)
			}
			_, err := tg.Send(ctx, userConv("again"))
			if err == nil || !strings.Contains(err.Error(), "rendered url") || !strings.Contains(err.Error(), "segment") {
				t.Fatalf("error %v, want a rendered url error about a dot segment", err)
			}
			if n := len(srv.seen()); n != 1 {
				t.Errorf("%d requests reached the server, want only the first", n)
			}
			if n := len(rec.recorded()); n != 0 {
				t.Errorf("%d retries of a request that cannot be built", n)
			}
		})
	}
	// In the query, dots are plain data.
	srv := newURIServer(t, "..")
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL + "/chat?s={{.Session}}", Body: `{"q": {{json .Prompt}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: SessionResponse, Path: "sid"}}})
	ctx := WithSession(context.Background(), "c1")
	for range 2 {
		if _, err := tg.Send(ctx, userConv("hi")); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.seen(); got[1] != "/chat?s=.." {
		t.Errorf("query dots sent as %q", got[1])
	}
}

// ${VAR} references are configuration and print as they are, so a URL
// taken from the environment still works; the prompt is escaped.
func TestHTTPURLEnvReferenceNotEscaped(t *testing.T) {
	srv := newURIServer(t, "")
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "${APP_URL}/ask?q={{.Prompt}}&key=${APP_KEY}", ResponsePath: "reply"}},
		fakeEnv(map[string]string{"APP_URL": srv.URL + "/v1", "APP_KEY": "k=1&2"}))
	if _, err := tg.Send(context.Background(), userConv("what & why?")); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.seen()[0], "/v1/ask?q=what%20%26%20why%3F&key=k=1&2"; got != want {
		t.Errorf("request URI %q, want %q", got, want)
	}
}

func TestHTTPURLHostFromValueRejected(t *testing.T) {
	for _, u := range []string{
		"http://{{.Session}}.example.test/chat",
		"http://app.example.test{{.Prompt}}/chat",
		"http://app.example.test:{{.Session}}/chat",
		"{{.Session}}://app.example.test/chat",
	} {
		_, err := New(Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: u, Body: `{"s": {{json .Session}}}`, Session: SessionConfig{Mode: SessionGenerate}}})
		if err == nil || !strings.Contains(err.Error(), "url:") {
			t.Errorf("url %q: error %v, want a url error", u, err)
		}
	}
	// A literal dot segment in the file is caught at New too.
	if _, err := New(Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h/a/../admin"}}); err == nil || !strings.Contains(err.Error(), "segment") {
		t.Errorf("literal dot segment: error %v", err)
	}
}

func TestURLEscape(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	got := urlEscape(string(all))
	for i := 0; i < len(got); i++ {
		c := got[i]
		if !(c == '%' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			t.Fatalf("urlEscape left %q unescaped", c)
		}
	}
	if got := urlEscapeArgs("a", 1); got != "a1" {
		t.Errorf("urlEscapeArgs(a, 1) = %q", got)
	}
}
