package target

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// sleepRecorder replaces the transport's sleep: it records each requested
// wait and returns at once, so retry tests never sleep for real.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// withSleep and withJitter replace the retry clock in tests.
func withSleep(f func(context.Context, time.Duration) error) Option {
	return func(o *Env) { o.sleep = f }
}

func withJitter(f func(time.Duration) time.Duration) Option {
	return func(o *Env) { o.jitter = f }
}

// fakeEnv is a getenv over a fixed map.
func fakeEnv(m map[string]string) Option {
	return WithGetenv(func(k string) string { return m[k] })
}

// mustNew builds a target with a recorded, instant sleep and a jitter that
// returns its ceiling, so backoff waits are predictable.
func mustNew(t *testing.T, cfg Config, opts ...Option) (Target, *sleepRecorder) {
	t.Helper()
	rec := &sleepRecorder{}
	all := append([]Option{withSleep(rec.sleep), withJitter(func(d time.Duration) time.Duration { return d })}, opts...)
	tg, err := New(cfg, all...)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return tg, rec
}

// recorded is one request seen by a fake server.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// fakeServer answers with handler and records every request.
type fakeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFakeServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		handler(w, r, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func userConv(s string) Conversation { return Conversation{{Role: RoleUser, Content: s}} }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
