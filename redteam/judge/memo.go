package judge

import (
	"sync"

	"github.com/redoubt-sec/redoubt/internal/detect"
)

// memo caches a pure function of a string. The panel runs several judges
// on the same reply and every probe of a run carries the same context, so
// without it each judge reads the same reply again (refusal detection) and
// each probe rescans the same caller and public text. It holds at most max
// entries and starts over when full: replies of one probe are looked up
// together, so recency is all that matters.
type memo[V any] struct {
	mu  sync.Mutex
	m   map[string]V
	max int
	f   func(string) V
}

func newMemo[V any](max int, f func(string) V) *memo[V] { return &memo[V]{max: max, f: f} }

func (c *memo[V]) get(key string) V {
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = c.f(key)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[string]V, c.max)
	}
	c.m[key] = v
	c.mu.Unlock()
	return v
}

// replyClasses caches detect.ClassifyReply for the judges.
var replyClasses = newMemo(512, detect.ClassifyReply)

// classify is detect.ClassifyReply, cached.
func classify(reply string) detect.ReplyClass { return replyClasses.get(reply) }
