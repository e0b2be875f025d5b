package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

const (
	// stderrTailBytes is how much of a failed command's stderr an error
	// quotes: the end, where the reason usually is.
	stderrTailBytes = 512
	// execWaitDelay bounds how long a killed command's leftover children
	// may hold its output pipes open.
	execWaitDelay = 2 * time.Second
)

// TypeExec selects the local command provider.
const TypeExec = "exec"

func init() {
	Register(Provider{
		Type:     TypeExec,
		Settings: func() Settings { return &ExecConfig{} },
		New:      func(s Settings, e *Env) (Target, error) { return newExec(s.(*ExecConfig), e) },
	})
}

// ExecConfig is the configuration of the exec type: a local program run
// once per Send.
type ExecConfig struct {
	Common `yaml:",inline"`
	// Command is the argv, run directly (never through a shell). The
	// conversation arrives on stdin as {"messages": [...], "session":
	// "..."}; the reply is stdout, as plain text or as {"content": ...,
	// "tool_calls": [{"id", "name", "arguments"}], "context": [...],
	// "usage": {...}}. A non-zero exit is an error quoting the end of
	// stderr.
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	// Dir is the working directory of the command. Default: the current one.
	Dir string `yaml:"dir,omitempty" json:"dir,omitempty"`
	// Env adds variables to the command's environment (which otherwise is
	// redoubt's own). Values may reference the environment as ${VAR}.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
}

// Validate implements Settings.
func (c *ExecConfig) Validate() error {
	if len(c.Command) == 0 || c.Command[0] == "" {
		return errors.New("command is required for type exec (a list: [program, arg, ...])")
	}
	return nil
}

// DerivedName implements Settings.
func (c *ExecConfig) DerivedName() string {
	if len(c.Command) > 0 {
		return TypeExec + ":" + c.Command[0]
	}
	return TypeExec
}

// WithoutSecrets implements Settings: environment values other than
// ${VAR} references, and a command line that may hold a literal key, are
// removed.
func (c *ExecConfig) WithoutSecrets() (Settings, []string) {
	out := *c
	var withheld []string
	out.Env, withheld = envRefsOnly("env", c.Env)
	if mayHoldSecret(strings.Join(c.Command, " ")) {
		out.Command = nil
		withheld = append(withheld, "command")
	}
	return &out, withheld
}

// execTarget runs a local command per Send: the conversation goes in on
// stdin as JSON, the reply comes back on stdout. The command is started
// directly, never through a shell, so nothing in a conversation is ever
// interpreted as shell syntax.
type execTarget struct {
	name    string
	argv    []string
	dir     string
	env     []string // nil: inherit unchanged
	timeout time.Duration
	// tr provides the in-flight cap, rate limit, usage and redaction; it
	// makes no HTTP requests here.
	tr *transport
}

var (
	_ Target        = (*execTarget)(nil)
	_ UsageReporter = (*execTarget)(nil)
)

// execInput is what the command reads on stdin.
type execInput struct {
	Messages Conversation `json:"messages"`
	// Session is the conversation's SessionID, so a stateful command can
	// keep per-conversation memory.
	Session string `json:"session,omitempty"`
}

// execOutput is the structured reply a command may print instead of text.
type execOutput struct {
	Content   json.RawMessage `json:"content"`
	ToolCalls []struct {
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"tool_calls"`
	Context []string `json:"context"`
	Usage   *Usage   `json:"usage"`
}

func newExec(cfg *ExecConfig, o *Env) (*execTarget, error) {
	e := &execTarget{
		name: displayName(cfg),
		argv: slices.Clone(cfg.Command),
		dir:  cfg.Dir,
	}
	var secrets []string
	if len(cfg.Env) > 0 {
		e.env = os.Environ()
		for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
			v, used, err := expandEnv(cfg.Env[k], "env."+k, o.getenv)
			if err != nil {
				return nil, err
			}
			secrets = append(secrets, used...)
			e.env = append(e.env, k+"="+v)
		}
	}
	e.tr = newTransport(cfg, o, "", secrets)
	e.timeout = e.tr.timeout
	return e, nil
}

// Name implements Target.
func (e *execTarget) Name() string { return e.name }

// Usage implements UsageReporter: the sum of the usage the command
// reported in structured replies.
func (e *execTarget) Usage() Usage { return e.tr.usage() }

// Send implements Target.
func (e *execTarget) Send(ctx context.Context, conv Conversation) (Reply, error) {
	if conv == nil {
		conv = Conversation{}
	}
	input, err := json.Marshal(execInput{Messages: conv, Session: SessionID(ctx)})
	if err != nil {
		return Reply{}, fmt.Errorf("encoding command input: %w", err)
	}
	release, err := e.tr.acquire(ctx)
	if err != nil {
		return Reply{}, err
	}
	defer release()

	cctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, e.argv[0], e.argv[1:]...)
	cmd.Dir = e.dir
	cmd.Env = e.env
	cmd.Stdin = bytes.NewReader(input)
	stdout := &cappedBuffer{max: maxResponseBytes}
	stderr := &tailBuffer{max: stderrTailBytes}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = execWaitDelay
	killGroup(cmd)

	start := time.Now()
	err = cmd.Run()
	latency := time.Since(start)
	prog := e.argv[0]
	switch {
	case ctx.Err() != nil:
		return Reply{}, fmt.Errorf("command %q: %w", prog, context.Cause(ctx))
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return Reply{}, fmt.Errorf("command %q did not finish within %s and was killed%s", prog, e.timeout, e.stderrNote(stderr))
	case stdout.overflow:
		return Reply{}, fmt.Errorf("command %q wrote more than %d bytes to stdout", prog, maxResponseBytes)
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return Reply{}, fmt.Errorf("command %q exited with status %d%s", prog, ee.ExitCode(), e.stderrNote(stderr))
		}
		return Reply{}, fmt.Errorf("running command %q: %w", prog, err)
	}
	reply, err := parseExecOutput(stdout.Bytes())
	if err != nil {
		return Reply{}, fmt.Errorf("command %q: %w: %s", prog, ErrBadResponse, e.tr.redact(err.Error()))
	}
	reply.Latency = latency
	e.tr.addUsage(reply.Usage)
	e.tr.redactReply(&reply)
	return reply, nil
}

// stderrNote quotes the end of stderr for an error, secrets redacted.
func (e *execTarget) stderrNote(stderr *tailBuffer) string {
	s := bytes.TrimSpace(stderr.Bytes())
	if len(s) == 0 {
		return ""
	}
	return fmt.Sprintf("; stderr ends: %q", e.tr.redact(string(bytes.ToValidUTF8(s, []byte("\uFFFD")))))
}

// parseExecOutput reads stdout: a JSON object with a "content" or
// "tool_calls" key is a structured reply; anything else is the reply text.
func parseExecOutput(out []byte) (Reply, error) {
	text := bytes.TrimSpace(out)
	if len(text) > 0 && text[0] == '{' {
		var keys map[string]json.RawMessage
		if json.Unmarshal(text, &keys) == nil {
			_, hasContent := keys["content"]
			_, hasCalls := keys["tool_calls"]
			if hasContent || hasCalls {
				return structuredReply(text)
			}
		}
	}
	return Reply{Content: string(text)}, nil
}

// structuredReply decodes a JSON reply object.
func structuredReply(text []byte) (Reply, error) {
	var o execOutput
	if err := json.Unmarshal(text, &o); err != nil {
		return Reply{}, fmt.Errorf("stdout looks like a JSON reply but does not fit {\"content\": string, \"tool_calls\": [{\"name\", \"arguments\"}]}: %w", err)
	}
	content, err := ContentText(o.Content)
	if err != nil {
		return Reply{}, err
	}
	r := Reply{Content: content, Context: o.Context}
	for _, tc := range o.ToolCalls {
		r.ToolCalls = append(r.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Name, Arguments: rawArguments(tc.Arguments)})
	}
	if o.Usage != nil {
		r.Usage = *o.Usage
	}
	return r, nil
}

// cappedBuffer collects output up to max bytes and then fails writes, so
// a runaway command cannot exhaust memory. It deliberately does not embed
// bytes.Buffer: io.Copy would use the promoted ReadFrom and skip the cap.
type cappedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		b.overflow = true
		return 0, errors.New("output limit exceeded")
	}
	return b.buf.Write(p)
}

// Bytes returns what was collected.
func (b *cappedBuffer) Bytes() []byte { return b.buf.Bytes() }

// tailBuffer keeps only the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		return n, nil
	}
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return n, nil
}

// Bytes returns the kept tail.
func (b *tailBuffer) Bytes() []byte { return b.buf }
