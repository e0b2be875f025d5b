// Package modelcache caches the replies of the models redoubt asks (judge
// models, attacker models) on disk, addressed by their content: the same
// model, configured the same way, asked the same conversation, answers
// from the cache. Re-running or resuming a run then costs nothing for what
// was already asked, and gives the same verdicts.
//
// The key is the SHA-256 of the model's identity (its Name and a
// fingerprint of its configuration that the caller gives, never an API
// key) and the exact conversation. Each reply is one small JSON file under
// the directory (DefaultDir), written atomically. A file that cannot be
// read is a miss, logged at debug level.
package modelcache

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/redoubt-sec/redoubt/target"
)

// DefaultDir is where the CLI keeps the cache, relative to the working
// directory.
const DefaultDir = ".redoubt/cache"

// version is part of every key: changing what a key covers changes it.
const version = "redoubt-modelcache/1"

// Cache is a directory of cached model replies. Its methods and the
// targets it wraps are safe for concurrent use, also by several processes
// sharing the directory.
type Cache struct {
	dir    string
	logger *slog.Logger

	hits, misses, writeErrs atomic.Int64
	savedCompletion         atomic.Int64 // tokens not spent thanks to hits
	savedPrompt             atomic.Int64

	keyOnce sync.Once
	key     []byte
	keyErr  error
}

// New returns the cache kept in dir (DefaultDir when empty). The
// directory is created on the first write. A nil logger discards.
func New(dir string, logger *slog.Logger) *Cache {
	if dir == "" {
		dir = DefaultDir
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{dir: dir, logger: logger}
}

// Dir returns the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// Stats counts what the cache did since New.
type Stats struct {
	// Hits are the Sends answered from the cache, Misses those sent to
	// the model (whose reply was then stored).
	Hits, Misses int64
	// Saved is the usage the hits' replies cost when they were first
	// asked: tokens not spent again.
	Saved target.Usage
	// WriteErrors counts replies that could not be stored.
	WriteErrors int64
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), WriteErrors: c.writeErrs.Load(),
		Saved: target.Usage{PromptTokens: int(c.savedPrompt.Load()), CompletionTokens: int(c.savedCompletion.Load())}}
}

// Wrap returns t with its replies cached. fingerprint identifies t's
// configuration beyond its name (model, base URL, temperature, ...); it
// must not hold a secret (it is hashed, but keys belong in no cache). Two
// targets with the same name and fingerprint share their entries.
func (c *Cache) Wrap(t target.Target, fingerprint string) target.Target {
	return &cached{c: c, t: t, fp: fingerprint}
}

// Key returns the cache key of conv asked of the model named name with
// the given fingerprint: hex SHA-256.
func Key(name, fingerprint string, conv target.Conversation) (string, error) {
	body, err := json.Marshal(struct {
		V    string              `json:"v"`
		Name string              `json:"name"`
		FP   string              `json:"fingerprint"`
		Conv target.Conversation `json:"conversation"`
	}{version, name, fingerprint, conv})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

// entry is one stored reply.
type entry struct {
	Key       string            `json:"key"`
	Model     string            `json:"model"`
	Content   string            `json:"content"`
	ToolCalls []target.ToolCall `json:"tool_calls,omitempty"`
	Context   []string          `json:"context,omitempty"`
	Usage     target.Usage      `json:"usage"`
}

func (c *Cache) path(key string) string { return filepath.Join(c.dir, key[:2], key+".json") }

// get returns the stored entry of key, if there is a readable one.
func (c *Cache) get(key string) (entry, bool) {
	p := c.path(key)
	b, err := os.ReadFile(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.logger.Debug("model cache: unreadable entry, asking the model", "file", p, "err", err)
		}
		return entry{}, false
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil || e.Key != key {
		if err == nil {
			err = errors.New("the entry's key does not match its file")
		}
		c.logger.Debug("model cache: corrupt entry, asking the model", "file", p, "err", err)
		return entry{}, false
	}
	return e, true
}

// put stores e atomically: a temporary file in the same directory,
// renamed over the entry's file.
func (c *Cache) put(e entry) error {
	p := c.path(e.Key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return writeAtomic(p, b, 0o600)
}

// writeAtomic writes b to p through a temporary file and a rename, so a
// reader sees the old file, the new one, or none; never half of one.
func writeAtomic(p string, b []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// Secret returns the cache's secret: 32 random bytes kept in the
// directory (file "secret"), created on first use. A judge derives its
// case IDs from it (judge.Rubric.CaseKey), so the same question gets the
// same ID, and therefore the same key, on every run, while the target,
// which never sees the secret, still cannot predict the ID.
func (c *Cache) Secret() ([]byte, error) {
	c.keyOnce.Do(func() { c.key, c.keyErr = c.loadSecret() })
	return c.key, c.keyErr
}

func (c *Cache) loadSecret() ([]byte, error) {
	p := filepath.Join(c.dir, "secret")
	read := func() []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if k, err := hex.DecodeString(string(b)); err == nil && len(k) == 32 {
			return k
		}
		return nil
	}
	if k := read(); k != nil {
		return k, nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, fmt.Errorf("model cache: %w", err)
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	// Written whole to a temporary file, then linked into place: a link
	// fails when the file exists, so of processes racing to create it one
	// wins and the others read its secret. A damaged file is replaced.
	f, err := os.CreateTemp(c.dir, ".tmp-secret-*")
	if err != nil {
		return nil, fmt.Errorf("model cache: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(hex.EncodeToString(k))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("model cache: %w", err)
	}
	if err := os.Link(tmp, p); err == nil {
		return k, nil
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("model cache: %w", err)
	}
	if k := read(); k != nil {
		return k, nil
	}
	c.logger.Debug("model cache: unreadable secret, drawing a new one", "file", p)
	if err := os.Rename(tmp, p); err != nil {
		return nil, fmt.Errorf("model cache: %w", err)
	}
	return k, nil
}

// cached is a target whose replies go through the cache.
type cached struct {
	c  *Cache
	t  target.Target
	fp string
}

// Name implements target.Target: the wrapped target's name.
func (m *cached) Name() string { return m.t.Name() }

// Unwrap returns the wrapped target.
func (m *cached) Unwrap() target.Target { return m.t }

// Send implements target.Target. A hit returns the stored reply with a
// zero usage (nothing was spent; Stats counts what was saved) and no
// latency. A miss asks the model and stores a successful reply; errors
// are not cached.
func (m *cached) Send(ctx context.Context, conv target.Conversation) (target.Reply, error) {
	key, err := Key(m.t.Name(), m.fp, conv)
	if err != nil {
		return m.t.Send(ctx, conv)
	}
	if e, ok := m.c.get(key); ok {
		m.c.hits.Add(1)
		m.c.savedPrompt.Add(int64(e.Usage.PromptTokens))
		m.c.savedCompletion.Add(int64(e.Usage.CompletionTokens))
		return target.Reply{Content: e.Content, ToolCalls: e.ToolCalls, Context: e.Context}, nil
	}
	m.c.misses.Add(1)
	r, err := m.t.Send(ctx, conv)
	if err != nil {
		return r, err
	}
	if err := m.c.put(entry{Key: key, Model: m.t.Name(), Content: r.Content, ToolCalls: r.ToolCalls,
		Context: r.Context, Usage: r.Usage}); err != nil {
		m.c.writeErrs.Add(1)
		m.c.logger.Debug("model cache: could not store a reply", "model", m.t.Name(), "err", err)
	}
	return r, nil
}
