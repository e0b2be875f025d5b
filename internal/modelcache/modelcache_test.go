package modelcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redoubt-sec/redoubt/target"
)

// counting is a model that answers with the last user message and counts
// its calls.
type counting struct {
	name  string
	calls atomic.Int64
	fail  bool
}

func (m *counting) Name() string { return m.name }

func (m *counting) Send(_ context.Context, conv target.Conversation) (target.Reply, error) {
	n := m.calls.Add(1)
	if m.fail {
		return target.Reply{}, errors.New("boom")
	}
	return target.Reply{Content: m.name + " says " + conv.LastUser(),
		ToolCalls: []target.ToolCall{{Name: "t", Arguments: `{"n":1}`}},
		Usage:     target.Usage{PromptTokens: 10, CompletionTokens: int(n)}}, nil
}

func conv(s string) target.Conversation {
	return target.Conversation{{Role: target.RoleSystem, Content: "sys"}, {Role: target.RoleUser, Content: s}}
}

func TestHitMiss(t *testing.T) {
	c := New(t.TempDir(), nil)
	m := &counting{name: "judge"}
	w := c.Wrap(m, "fp")
	ctx := context.Background()
	first, err := w.Send(ctx, conv("hello"))
	if err != nil || first.Content != "judge says hello" || first.Usage.CompletionTokens != 1 {
		t.Fatalf("miss: %+v %v", first, err)
	}
	second, err := w.Send(ctx, conv("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if m.calls.Load() != 1 {
		t.Fatalf("the model was asked %d times, want 1", m.calls.Load())
	}
	if second.Content != first.Content || len(second.ToolCalls) != 1 || second.ToolCalls[0].Arguments != `{"n":1}` {
		t.Fatalf("hit: %+v", second)
	}
	if second.Usage != (target.Usage{}) {
		t.Fatalf("a hit spends nothing, got usage %+v", second.Usage)
	}
	st := c.Stats()
	if st.Hits != 1 || st.Misses != 1 || st.Saved != (target.Usage{PromptTokens: 10, CompletionTokens: 1}) {
		t.Fatalf("stats: %+v", st)
	}
	if w.Name() != "judge" {
		t.Fatalf("name %q", w.Name())
	}
	// A new cache on the same directory (a later run) hits too.
	m2 := &counting{name: "judge"}
	again, err := New(c.Dir(), nil).Wrap(m2, "fp").Send(ctx, conv("hello"))
	if err != nil || again.Content != first.Content || m2.calls.Load() != 0 {
		t.Fatalf("later run: %+v %v, %d calls", again, err, m2.calls.Load())
	}
}

func TestNoCollisions(t *testing.T) {
	c := New(t.TempDir(), nil)
	ctx := context.Background()
	a, b := &counting{name: "a"}, &counting{name: "b"}
	wa, wb := c.Wrap(a, "fp"), c.Wrap(b, "fp")
	wa2 := c.Wrap(&counting{name: "a"}, "fp: temperature 1")
	for _, s := range []string{"one", "two"} {
		ra, _ := wa.Send(ctx, conv(s))
		rb, _ := wb.Send(ctx, conv(s))
		ra2, _ := wa2.Send(ctx, conv(s))
		if ra.Content != "a says "+s || rb.Content != "b says "+s || ra2.Content != "a says "+s {
			t.Fatalf("%q: %q %q %q", s, ra.Content, rb.Content, ra2.Content)
		}
	}
	// Same last message, different role or earlier turn: different keys.
	other := target.Conversation{{Role: target.RoleSystem, Content: "other"}, {Role: target.RoleUser, Content: "one"}}
	if _, err := wa.Send(ctx, other); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Hits != 0 || st.Misses != 7 {
		t.Fatalf("stats: %+v", st)
	}
	k1, _ := Key("a", "fp", conv("x"))
	k2, _ := Key("a", "fpx", conv(""))
	k3, _ := Key("ax", "fp", conv("x"))
	if k1 == k2 || k1 == k3 || len(k1) != 64 {
		t.Fatalf("keys %s %s %s", k1, k2, k3)
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	c := New(t.TempDir(), nil)
	m := &counting{name: "m", fail: true}
	w := c.Wrap(m, "")
	for range 2 {
		if _, err := w.Send(context.Background(), conv("x")); err == nil {
			t.Fatal("want the model's error")
		}
	}
	if m.calls.Load() != 2 {
		t.Fatalf("calls %d", m.calls.Load())
	}
}

func TestCorruptFileIsAMiss(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	c := New(dir, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	m := &counting{name: "m"}
	w := c.Wrap(m, "fp")
	ctx := context.Background()
	key, _ := Key("m", "fp", conv("x"))
	p := filepath.Join(dir, key[:2], key+".json")
	for i, bad := range []string{"{not json", `{"key":"0000","content":"forged"}`, ""} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := w.Send(ctx, conv("x"))
		if err != nil || r.Content != "m says x" || m.calls.Load() != int64(i+1) {
			t.Fatalf("%q: %+v %v, %d calls", bad, r, err, m.calls.Load())
		}
	}
	if !strings.Contains(logs.String(), "corrupt entry") || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatalf("logs: %s", logs.String())
	}
	// The last miss rewrote the entry: now a hit.
	if _, err := w.Send(ctx, conv("x")); err != nil || m.calls.Load() != 3 {
		t.Fatalf("after rewrite: %v, %d calls", err, m.calls.Load())
	}
}

func TestUnwritableDirIsNotFatal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := New(dir, nil)
	r, err := c.Wrap(&counting{name: "m"}, "").Send(context.Background(), conv("x"))
	if err != nil || r.Content != "m says x" || c.Stats().WriteErrors != 1 {
		t.Fatalf("%+v %v %+v", r, err, c.Stats())
	}
}

func TestConcurrent(t *testing.T) {
	c := New(t.TempDir(), nil)
	m := &counting{name: "m"}
	w := c.Wrap(m, "fp")
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 40 {
				s := fmt.Sprint((g + i) % 10)
				r, err := w.Send(context.Background(), conv(s))
				if err != nil || r.Content != "m says "+s {
					t.Errorf("%s: %+v %v", s, r, err)
				}
			}
		})
	}
	wg.Wait()
	st := c.Stats()
	if st.Hits+st.Misses != 16*40 || st.Misses < 10 || st.WriteErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
	// No temporary file is left behind.
	tmp, _ := filepath.Glob(filepath.Join(c.Dir(), "*", ".tmp-*"))
	if len(tmp) != 0 {
		t.Fatalf("left over: %v", tmp)
	}
}

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	keys := make([][]byte, 8)
	for i := range keys {
		wg.Go(func() {
			k, err := New(dir, nil).Secret()
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("secrets differ: %x %x", k, keys[0])
		}
	}
	if k, _ := New(t.TempDir(), nil).Secret(); bytes.Equal(k, keys[0]) {
		t.Fatal("two caches drew the same secret")
	}
}

func TestDamagedSecretIsReplaced(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := New(dir, nil).Secret()
	if err != nil || len(k) != 32 {
		t.Fatalf("%x %v", k, err)
	}
	if k2, _ := New(dir, nil).Secret(); !bytes.Equal(k, k2) {
		t.Fatal("the new secret was not kept")
	}
}
