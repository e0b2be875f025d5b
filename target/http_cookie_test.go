package target

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
)

// With session.cookie set, only that cookie is kept and sent back: an app
// (or anything between) that sets other cookies must not have them echoed
// into the conversation, and a conversation must not carry state the
// configuration did not ask for.
func TestHTTPSessionCookieFilter(t *testing.T) {
	var turn atomic.Int32
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch turn.Add(1) {
		case 1:
			http.SetCookie(w, &http.Cookie{Name: "tracking", Value: "t1"})
			http.SetCookie(w, &http.Cookie{Name: "app_sid", Value: "s1"})
			http.SetCookie(w, &http.Cookie{Name: "lb", Value: "node-3"})
		case 2:
			http.SetCookie(w, &http.Cookie{Name: "tracking", Value: "t2"})
		}
		writeJSON(w, 200, map[string]any{"reply": "ok"})
	})
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, Body: `{"q": {{json .Prompt}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: SessionCookie, Cookie: "app_sid"}}})
	ctx := WithSession(context.Background(), "c1")
	for range 3 {
		if _, err := tg.Send(ctx, userConv("x")); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.requests()
	if got := reqs[0].Header.Values("Cookie"); len(got) != 0 {
		t.Errorf("first request sent cookies %q", got)
	}
	for i, r := range reqs[1:] {
		if got := r.Header.Values("Cookie"); !slices.Equal(got, []string{"app_sid=s1"}) {
			t.Errorf("request %d sent cookies %q, want only app_sid=s1", i+2, got)
		}
	}
}

// Without session.cookie every cookie is kept, and one the app deletes
// (Max-Age < 0) is dropped.
func TestHTTPSessionAllCookies(t *testing.T) {
	var turn atomic.Int32
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch turn.Add(1) {
		case 1:
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
			http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		case 2:
			http.SetCookie(w, &http.Cookie{Name: "a", MaxAge: -1})
		}
		writeJSON(w, 200, map[string]any{"reply": "ok"})
	})
	tg, _ := mustNew(t, Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: srv.URL, Body: `{"q": {{json .Prompt}}}`, ResponsePath: "reply", Session: SessionConfig{Mode: SessionCookie}}})
	ctx := WithSession(context.Background(), "c1")
	for range 3 {
		if _, err := tg.Send(ctx, userConv("x")); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.requests()
	if got := reqs[1].Header.Values("Cookie"); !slices.Equal(got, []string{"a=1", "b=2"}) {
		t.Errorf("second request sent %q, want a=1 and b=2", got)
	}
	if got := reqs[2].Header.Values("Cookie"); !slices.Equal(got, []string{"b=2"}) {
		t.Errorf("third request sent %q, want b=2 only (a was deleted)", got)
	}
}
