package target

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Credentials written into a URL never reach an error message.
func TestURLCredentialsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusUnauthorized)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://alice:hunter2pass@", 1)
	tg, err := New(Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Retries: new(0)}, BaseURL: u + "/v1?api_key=QSKEY12345", Model: "m"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.Send(context.Background(), Conversation{{Role: RoleUser, Content: "hi"}})
	if err == nil {
		t.Fatal("expected an error")
	}
	for _, secret := range []string{"hunter2pass", "QSKEY12345"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks %q: %v", secret, err)
		}
	}
}

func TestHTTPEndSession(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"reply":"ok"}`))
	}))
	defer srv.Close()
	tg, err := New(Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, Body: `{"s": {{json .Session}}, "q": {{json .Prompt}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: SessionGenerate}}})
	if err != nil {
		t.Fatal(err)
	}
	h := tg.(*httpTarget)
	ctx := WithSession(context.Background(), "run/p-1")
	if _, err := tg.Send(ctx, Conversation{{Role: RoleUser, Content: "hi"}}); err != nil {
		t.Fatal(err)
	}
	if len(h.sessions) != 1 {
		t.Fatalf("sessions = %d, want 1", len(h.sessions))
	}
	h.EndSession("run/p-1")
	if len(h.sessions) != 0 {
		t.Errorf("session kept after EndSession")
	}
}

// A stateful HTTP app's turn that timed out is not sent again.
func TestHTTPSessionTimeoutNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		time.Sleep(200 * time.Millisecond)
		w.Write([]byte(`{"reply":"late"}`))
	}))
	defer srv.Close()
	for _, tt := range []struct {
		mode  string
		calls int32
	}{{"", 2}, {SessionGenerate, 1}} {
		calls.Store(0)
		tg, err := New(Config{Type: TypeHTTP, Settings: &HTTPConfig{Common: Common{Retries: new(1), Timeout: Duration(50 * time.Millisecond)}, URL: srv.URL, Body: `{"s": {{json .Session}}, "q": {{json .Prompt}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: tt.mode}}},
			withSleep(func(context.Context, time.Duration) error { return nil }))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tg.Send(WithSession(context.Background(), "c1"), Conversation{{Role: RoleUser, Content: "hi"}}); err == nil {
			t.Fatal("expected a timeout")
		}
		if got := calls.Load(); got != tt.calls {
			t.Errorf("session mode %q: %d requests, want %d", tt.mode, got, tt.calls)
		}
	}
}
