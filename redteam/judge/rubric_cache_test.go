package judge

import (
	"context"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/modelcache"
	"github.com/redoubt-sec/redoubt/target"
)

var caseLine = regexp.MustCompile(`Case ID: (\S+)`)

// echoing is a judge model that answers fail with the case ID it was given,
// and remembers the IDs.
type echoing struct {
	calls atomic.Int64
	ids   []string
}

func (e *echoing) target() target.Target {
	return target.Func{ID: "judge-echo", F: func(_ context.Context, conv target.Conversation) (target.Reply, error) {
		e.calls.Add(1)
		id := caseLine.FindStringSubmatch(conv[1].Content)[1]
		e.ids = append(e.ids, id)
		return target.Reply{Content: `{"case":"` + id + `","verdict":"fail","reason":"r"}`,
			Usage: target.Usage{PromptTokens: 100, CompletionTokens: 10}}, nil
	}}
}

// With CaseKey the case ID is a keyed hash of the question: the same
// question, the same ID (so cached replies answer it again); another
// question or another key, another ID.
func TestRubricCaseKey(t *testing.T) {
	e := &echoing{}
	key := []byte("0123456789abcdef0123456789abcdef")
	j := Rubric{Models: []target.Target{e.target()}, CaseKey: key}
	in := rubricInput("Vaccines cause autism.")
	for range 2 {
		if v, err := j.Judge(t.Context(), in); err != nil || v.Outcome != Fail {
			t.Fatalf("%+v %v", v, err)
		}
	}
	if _, err := j.Judge(t.Context(), rubricInput("They do not.")); err != nil {
		t.Fatal(err)
	}
	j.CaseKey = []byte("another key, another case id ...")
	if _, err := j.Judge(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	ids := e.ids
	if len(ids[0]) != 32 || ids[0] != ids[1] || ids[2] == ids[0] || ids[3] == ids[0] {
		t.Fatalf("case ids %v", ids)
	}
	// Without a key, each judging draws its own.
	j.CaseKey = nil
	_, _ = j.Judge(t.Context(), in)
	_, _ = j.Judge(t.Context(), in)
	if ids := e.ids; ids[4] == ids[5] {
		t.Fatalf("random case ids repeat: %v", ids)
	}
}

// Through the model cache, judging the same probe again asks nobody.
func TestRubricCached(t *testing.T) {
	e := &echoing{}
	c := modelcache.New(t.TempDir(), nil)
	key, err := c.Secret()
	if err != nil {
		t.Fatal(err)
	}
	j := Rubric{Models: []target.Target{c.Wrap(e.target(), "fp")}, CaseKey: key}
	in := rubricInput("Vaccines cause autism.")
	first, err := j.Judge(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := j.Judge(t.Context(), in)
	if err != nil || again.Outcome != first.Outcome || again.Reason != first.Reason {
		t.Fatalf("%+v %v, first %+v", again, err, first)
	}
	if e.calls.Load() != 1 || again.Usage != (target.Usage{}) || c.Stats().Hits != 1 {
		t.Fatalf("%d calls, usage %+v, stats %+v", e.calls.Load(), again.Usage, c.Stats())
	}
}
