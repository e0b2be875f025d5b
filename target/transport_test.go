package target

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// statusSequence answers with the given statuses in order (and Retry-After
// values when non-empty), then with a completion.
func statusSequence(t *testing.T, steps []struct {
	status     int
	retryAfter string
}) *fakeServer {
	var n atomic.Int32
	return newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		i := int(n.Add(1)) - 1
		if i < len(steps) {
			if steps[i].retryAfter != "" {
				w.Header().Set("Retry-After", steps[i].retryAfter)
			}
			writeJSON(w, steps[i].status, map[string]any{"error": map[string]any{"message": "try later"}})
			return
		}
		writeJSON(w, 200, completion("ok", nil))
	})
}

type step = struct {
	status     int
	retryAfter string
}

func TestRetries(t *testing.T) {
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name      string
		steps     []step
		retries   *int // nil: the default
		wantErr   int  // HTTP status of the final error; 0 for success
		wantCalls int
		// wantWaits are the waits requested (jitter returns its ceiling).
		wantWaits []time.Duration
		// approx accepts waits within 2s of the wanted ones (HTTP dates).
		approx bool
	}{
		{"429 retry-after seconds", []step{{429, "2"}}, nil, 0, 2, []time.Duration{2 * time.Second}, false},
		{"503 retry-after date", []step{{503, httpDate}}, nil, 0, 2, []time.Duration{90 * time.Second}, true},
		{"5xx backoff doubles", []step{{500, ""}, {502, ""}, {504, ""}}, nil, 0, 4,
			[]time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}, false},
		{"no retry on 400", []step{{400, ""}}, nil, 400, 1, nil, false},
		{"no retry on 401", []step{{401, ""}}, nil, 401, 1, nil, false},
		{"no retry on 404", []step{{404, ""}}, nil, 404, 1, nil, false},
		{"retries exhausted", []step{{500, ""}, {500, ""}, {500, ""}}, new(2), 500, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}, false},
		{"default is 3 retries", []step{{500, ""}, {500, ""}, {500, ""}, {500, ""}}, nil, 500, 4,
			[]time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}, false},
		{"retries 0 is one attempt", []step{{503, "1"}}, new(0), 503, 1, nil, false},
		{"retries 0 on a connection-level 500 too", []step{{500, ""}}, new(0), 500, 1, nil, false},
		{"retry-after too long is reported", []step{{429, "3600"}}, nil, 429, 1, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := statusSequence(t, tt.steps)
			tg, rec := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Retries: tt.retries}, BaseURL: srv.URL, Model: "m"}})
			_, err := tg.Send(context.Background(), userConv("x"))
			if tt.wantErr == 0 && err != nil {
				t.Fatalf("Send: %v", err)
			}
			if tt.wantErr != 0 {
				var he *HTTPError
				if !errors.As(err, &he) || he.Status != tt.wantErr {
					t.Fatalf("error %v, want HTTPError with status %d", err, tt.wantErr)
				}
			}
			if got := len(srv.requests()); got != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tt.wantCalls)
			}
			got := rec.recorded()
			if tt.approx {
				// An HTTP date has whole seconds: accept a wait within 2s.
				for i := range got {
					if i < len(tt.wantWaits) && (got[i]-tt.wantWaits[i]).Abs() <= 2*time.Second {
						got[i] = tt.wantWaits[i]
					}
				}
			}
			if diff := cmp.Diff(tt.wantWaits, got); diff != "" {
				t.Errorf("requested waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryConnectionError(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {})
	url := srv.URL
	srv.Close() // nothing listens there any more
	tg, rec := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Retries: new(2)}, BaseURL: url, Model: "m"}})
	_, err := tg.Send(context.Background(), userConv("x"))
	var ce *ConnError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want *ConnError", err)
	}
	if !strings.Contains(err.Error(), "cannot reach "+url+"/chat/completions") || !strings.Contains(err.Error(), "is the server running?") {
		t.Errorf("error %q does not say which URL cannot be reached", err)
	}
	if got := len(rec.recorded()); got != 2 {
		t.Errorf("%d retry waits, want 2", got)
	}
}

func TestCancelStopsRetryWait(t *testing.T) {
	srv := statusSequence(t, []step{{503, "30"}, {503, "30"}})
	ctx, cancel := context.WithCancel(context.Background())
	// The sleep cancels the context and reports it, as a real wait would.
	sleep := func(ctx context.Context, d time.Duration) error { cancel(); <-ctx.Done(); return ctx.Err() }
	tg, err := New(Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "m"}}, withSleep(sleep))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.Send(ctx, userConv("x"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if got := len(srv.requests()); got != 1 {
		t.Errorf("server saw %d requests after cancel, want 1", got)
	}
}

func TestSleepContextStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepContext on a cancelled context = %v", err)
	}
}

func TestInFlightCap(t *testing.T) {
	const limit, total = 3, 12
	var (
		cur, peak atomic.Int32
		gate      = make(chan struct{})
	)
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-gate // hold every request until all senders are queued
		cur.Add(-1)
		writeJSON(w, 200, completion("ok", nil))
	})
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{MaxInFlight: limit}, BaseURL: srv.URL, Model: "m"}})
	tr := tg.(*openAI).tr
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release) // unblocks the server if the test fails early
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for range total {
		wg.Go(func() {
			_, err := tg.Send(context.Background(), userConv("x"))
			errs <- err
		})
	}
	// Wait until the cap is full: every slot taken by a request that the
	// server holds. Then release them all.
	for deadline := time.Now().Add(10 * time.Second); len(tr.slots) < limit || cur.Load() < limit; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests reached the server, want %d", cur.Load(), limit)
		}
		time.Sleep(time.Millisecond)
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := peak.Load(); got != limit {
		t.Errorf("peak concurrent requests = %d, want %d", got, limit)
	}
	if got := len(srv.requests()); got != total {
		t.Errorf("server saw %d requests, want %d", got, total)
	}
}

func TestRateLimit(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, completion("ok", nil)) })
	// One request per 1000 s: the first passes, the second cannot get a
	// token before its deadline, and the limiter says so at once.
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{RPS: 0.001}, BaseURL: srv.URL, Model: "m"}})
	if _, err := tg.Send(context.Background(), userConv("x")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := tg.Send(ctx, userConv("x"))
	if err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("second Send: error %v, want a rate-limit wait error", err)
	}
	if got := len(srv.requests()); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	const key = "sk-live-SECRET-0123456789"
	const hdr = "tenant-SECRET-abcdef"
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		// A server that echoes credentials back, as some do.
		msg := "bad key " + r.Header.Get("Authorization") + " for tenant " + r.Header.Get("X-Tenant-Token")
		writeJSON(w, 401, map[string]any{"error": map[string]any{"message": msg}})
	})
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: srv.URL, Model: "m", APIKeyEnv: "KEY", Headers: map[string]string{"X-Tenant-Token": "${TENANT}"}}},
		fakeEnv(map[string]string{"KEY": key, "TENANT": hdr}))
	_, err := tg.Send(context.Background(), userConv("x"))
	if err == nil {
		t.Fatal("Send succeeded against a 401")
	}
	msg := err.Error()
	for _, s := range []string{key, hdr} {
		if strings.Contains(msg, s) {
			t.Errorf("error leaks secret %q: %s", s, msg)
		}
	}
	for _, s := range []string{srv.URL, "401", "environment variable KEY", redacted} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	if err := Preflight(context.Background(), tg); err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("Preflight error %v: want an error without the key", err)
	}
}

func TestHTTPErrorHints(t *testing.T) {
	tests := []struct {
		status int
		keyEnv string
		want   string
	}{
		{401, "OPENAI_API_KEY", "check the API key in environment variable OPENAI_API_KEY"},
		{403, "", "check the credentials"},
		{404, "", "check the base URL"},
		{429, "", "rate limited"},
		{400, "", "rejected the request"},
		{503, "", "server failed"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			e := &HTTPError{Method: "POST", URL: "http://h/v1/chat/completions", Status: tt.status, Body: "{}", KeyEnv: tt.keyEnv}
			msg := e.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "http://h/v1/chat/completions") {
				t.Errorf("Error() = %q, want URL and %q", msg, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{"99999999999999999", 24 * time.Hour},
		{now.Add(45 * time.Second).Format(http.TimeFormat), 45 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "hel"},
		{"héllo", 2, "h"}, // never splits é
		{"a\xffb", 10, "a\uFFFDb"},
	}
	for _, tt := range tests {
		if got := truncateUTF8(tt.in, tt.n); got != tt.want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestCrossHostRedirectNotFollowed(t *testing.T) {
	other := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, completion("ok", nil)) })
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		http.Redirect(w, r, other.URL+"/v1/messages", http.StatusTemporaryRedirect)
	})
	tg, _ := mustNew(t, Config{Type: TypeAnthropic, Settings: &AnthropicConfig{BaseURL: srv.URL, Model: "m", APIKeyEnv: "K"}},
		fakeEnv(map[string]string{"K": "ant-secret-key"}))
	_, err := tg.Send(context.Background(), userConv("x"))
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusTemporaryRedirect {
		t.Errorf("error %v, want the 307 reported", err)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the key was sent to another host %d times", n)
	}
}

func TestCancelStopsSlotWait(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, completion("ok", nil)) })
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{MaxInFlight: 1}, BaseURL: srv.URL, Model: "m"}})
	tr := tg.(*openAI).tr
	tr.slots <- struct{}{} // the only slot is busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tg.Send(ctx, userConv("x"))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "free request slot") {
		t.Errorf("error %v, want a cancelled slot wait", err)
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}

func TestRetryLogsWithoutSecrets(t *testing.T) {
	const key = "sk-log-SECRET-987654"
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 503, map[string]any{"error": "overloaded, key " + r.Header.Get("Authorization")})
	})
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tg, _ := mustNew(t, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Retries: new(1)}, BaseURL: srv.URL, Model: "m", APIKeyEnv: "K"}},
		fakeEnv(map[string]string{"K": key}), WithLogger(logger))
	if _, err := tg.Send(context.Background(), userConv("x")); err == nil {
		t.Fatal("Send succeeded against a 503")
	}
	if !strings.Contains(logs.String(), "retrying request") {
		t.Errorf("no retry logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("logs leak the key: %s", logs.String())
	}
}
