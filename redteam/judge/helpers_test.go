package judge

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/target"
)

func user(s string) target.Message { return target.Message{Role: target.RoleUser, Content: s} }
func tool(s string) target.Message { return target.Message{Role: target.RoleTool, Content: s} }
func asst(s string, calls ...target.ToolCall) target.Message {
	return target.Message{Role: target.RoleAssistant, Content: s, ToolCalls: calls}
}
func call(name, args string) target.ToolCall { return target.ToolCall{Name: name, Arguments: args} }

// chat builds an Input from messages, with Replies mirroring the
// assistant turns as the engine records them.
func chat(msgs ...target.Message) Input {
	in := Input{Conversation: msgs}
	for _, m := range msgs {
		if m.Role == target.RoleAssistant {
			in.Replies = append(in.Replies, target.Reply{Content: m.Content, ToolCalls: m.ToolCalls})
		}
	}
	return in
}

// decide runs j on in; a deterministic judge never fails.
func decide(t testing.TB, j Judge, in Input) Verdict {
	t.Helper()
	v, err := j.Judge(context.Background(), in)
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", j.Name(), err)
	}
	return v
}

// judgeCase is one row of a judge's table test.
type judgeCase struct {
	name string
	in   Input
	want Outcome
	// kinds, when set, are the evidence kinds expected, in order.
	kinds []string
	// spans, when set, are the texts the evidence spans cover, in order
	// ("" for evidence without a span).
	spans []string
}

func runJudgeCases(t *testing.T, j Judge, cases []judgeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := decide(t, j, tc.in)
			if v.Outcome != tc.want {
				t.Fatalf("outcome %s, want %s (reason: %s; evidence: %+v)", v.Outcome, tc.want, v.Reason, v.Evidence)
			}
			if v.Reason == "" {
				t.Error("empty reason")
			}
			if v.Score < 0 || v.Score > 1 {
				t.Errorf("score %v out of range", v.Score)
			}
			var gotKinds, gotSpans []string
			for _, e := range v.Evidence {
				if e.Scanner != j.Name() {
					t.Errorf("evidence scanner %q, want the judge %q", e.Scanner, j.Name())
				}
				if e.Turn == nil {
					t.Errorf("evidence %s has no turn: a judge's evidence is in the conversation", e.Type)
				}
				if e.Score != v.Score {
					t.Errorf("evidence %s has score %v, want the verdict's %v", e.Type, e.Score, v.Score)
				}
				gotKinds = append(gotKinds, e.Type)
				gotSpans = append(gotSpans, spanText(t, tc.in, e))
			}
			if tc.kinds != nil {
				if diff := cmp.Diff(tc.kinds, gotKinds); diff != "" {
					t.Errorf("evidence kinds (-want +got):\n%s", diff)
				}
			}
			if tc.spans != nil {
				if diff := cmp.Diff(tc.spans, gotSpans); diff != "" {
					t.Errorf("evidence spans (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// spanText returns the text an evidence span covers, failing the test if
// the span does not fit its message.
func spanText(t *testing.T, in Input, e finding.Finding) string {
	t.Helper()
	if e.Start == 0 && e.End == 0 {
		return ""
	}
	if e.Turn == nil || *e.Turn < 0 || *e.Turn >= len(in.Conversation) {
		t.Fatalf("evidence with a span has turn %v, not a message of the conversation", e.Turn)
	}
	c := in.Conversation[*e.Turn].Content
	if e.Start < 0 || e.End > len(c) || e.Start > e.End {
		t.Fatalf("evidence span [%d,%d) out of range for %d bytes", e.Start, e.End, len(c))
	}
	return c[e.Start:e.End]
}
