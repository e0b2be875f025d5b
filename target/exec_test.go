package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// helperEnv selects the helper behaviour when the test binary re-executes
// itself as an exec target.
const helperEnv = "REDOUBT_TARGET_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(execHelper(mode))
	}
	os.Exit(m.Run())
}

// execHelper is the fake command: it reads the conversation from stdin and
// answers according to mode.
func execHelper(mode string) int {
	var in struct {
		Messages []Message `json:"messages"`
		Session  string    `json:"session"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "bad input:", err)
		return 3
	}
	last := ""
	if n := len(in.Messages); n > 0 {
		last = in.Messages[n-1].Content
	}
	switch mode {
	case "text":
		fmt.Printf("echo: %s (session %s, %d messages)\n", last, in.Session, len(in.Messages))
	case "json":
		out := map[string]any{
			"content":    "structured " + last,
			"tool_calls": []any{map[string]any{"id": "c1", "name": "lookup", "arguments": map[string]any{"q": last}}},
			"usage":      map[string]any{"prompt_tokens": 4, "completion_tokens": 2},
			"context":    []string{"doc"},
		}
		_ = json.NewEncoder(os.Stdout).Encode(out)
	case "other-json":
		fmt.Println(`{"answer": "not our shape"}`)
	case "env":
		// The value reversed: it proves the expansion without quoting
		// the secret, which a reply would have redacted.
		v := []rune(os.Getenv("HELPER_SECRET_LEN"))
		slices.Reverse(v)
		fmt.Print(string(v))
	case "echo-env":
		// A command that leaks its credentials in every form it can.
		v := os.Getenv("HELPER_SECRET_LEN")
		out := map[string]any{
			"content":    "my token is " + v,
			"tool_calls": []any{map[string]any{"id": "c-" + v, "name": "send_" + v, "arguments": map[string]any{"token": v}}},
			"context":    []string{"doc with " + v},
		}
		_ = json.NewEncoder(os.Stdout).Encode(out)
	case "fail":
		fmt.Fprint(os.Stderr, strings.Repeat("x", 2000)+"\nfatal: model file missing; token=helper-SECRET-token\n")
		return 7
	case "hang":
		time.Sleep(time.Hour)
	case "flood":
		chunk := strings.Repeat("y", 1<<20)
		for range 40 {
			if _, err := io.WriteString(os.Stdout, chunk); err != nil {
				return 1
			}
		}
	}
	return 0
}

func helperTarget(t *testing.T, mode string, cfg ExecConfig) Target {
	t.Helper()
	cfg.Command = []string{os.Args[0], "-test.run=^$"}
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	cfg.Env[helperEnv] = mode
	tg, _ := mustNew(t, Config{Type: TypeExec, Settings: &cfg}, fakeEnv(map[string]string{"SECRET": "helper-SECRET-token"}))
	return tg
}

func TestExecReplies(t *testing.T) {
	tests := []struct {
		mode string
		want Reply
	}{
		{"text", Reply{Content: `echo: it's "quoted"; $(rm -rf /) (session s1, 2 messages)`}},
		{"json", Reply{Content: `structured it's "quoted"; $(rm -rf /)`,
			ToolCalls: []ToolCall{{ID: "c1", Name: "lookup", Arguments: `{"q":"it's \"quoted\"; $(rm -rf /)"}`}},
			Usage:     Usage{4, 2}, Context: []string{"doc"}}},
		{"other-json", Reply{Content: `{"answer": "not our shape"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			tg := helperTarget(t, tt.mode, ExecConfig{})
			conv := Conversation{{Role: RoleSystem, Content: "sys"}, {Role: RoleUser, Content: `it's "quoted"; $(rm -rf /)`}}
			got, err := tg.Send(WithSession(context.Background(), "s1"), conv)
			if err != nil {
				t.Fatal(err)
			}
			got.Latency = 0
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExecEnvExpansion(t *testing.T) {
	tg := helperTarget(t, "env", ExecConfig{Env: map[string]string{"HELPER_SECRET_LEN": "len=${SECRET}"}})
	got, err := tg.Send(context.Background(), userConv("x"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Content != "nekot-TERCES-repleh=nel" {
		t.Errorf("Content = %q", got.Content)
	}
}

func TestExecFailures(t *testing.T) {
	tests := []struct {
		mode    string
		timeout time.Duration
		want    []string
		notWant string
	}{
		{"fail", 0, []string{"exited with status 7", "fatal: model file missing", redacted}, "helper-SECRET-token"},
		{"hang", 200 * time.Millisecond, []string{"did not finish within 200ms and was killed"}, ""},
		{"flood", 0, []string{"wrote more than"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			// The secret is passed in so the error redaction has something to find.
			tg := helperTarget(t, tt.mode, ExecConfig{Common: Common{Timeout: Duration(tt.timeout)}, Env: map[string]string{"UNUSED": "${SECRET}"}})
			_, err := tg.Send(context.Background(), userConv("x"))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("error %q contains %q", err, tt.notWant)
			}
			if tt.mode == "fail" && len(err.Error()) > 700 {
				t.Errorf("error is %d bytes; stderr should be cut to its last 512", len(err.Error()))
			}
		})
	}
}

func TestExecMissingProgram(t *testing.T) {
	tg, _ := mustNew(t, Config{Type: TypeExec, Settings: &ExecConfig{Command: []string{"/nonexistent/redoubt-bot"}}})
	_, err := tg.Send(context.Background(), userConv("x"))
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/redoubt-bot") {
		t.Errorf("error %v, want one naming the program", err)
	}
	if errors.Is(err, ErrBadResponse) {
		t.Errorf("a missing program is not a bad response: %v", err)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 5}
	for _, s := range []string{"ab", "cd", "efg", "0123456789", "z"} {
		_, _ = b.Write([]byte(s))
	}
	if got := string(b.Bytes()); got != "6789z" {
		t.Errorf("tail = %q, want 6789z", got)
	}
}
