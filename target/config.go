package target

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Provider types accepted in Config.Type.
const (
	TypeOpenAI    = "openai"
	TypeAnthropic = "anthropic"
	TypeHTTP      = "http"
	TypeExec      = "exec"
)

// Defaults applied by New when the corresponding Config field is zero.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultRetries     = 3
	DefaultMaxInFlight = 16
	// DefaultAnthropicMaxTokens is sent when MaxTokens is zero, because the
	// Messages API requires max_tokens.
	DefaultAnthropicMaxTokens = 1024
	// DefaultAzureAPIVersion is used when Deployment is set and APIVersion
	// is not: a generally available Azure OpenAI data-plane version.
	DefaultAzureAPIVersion = "2024-10-21"
)

// Config describes one target. It is what the "target:" block of a
// configuration file decodes into. It never holds a secret: API keys are
// read from the environment variable named by APIKeyEnv, and header values
// may reference environment variables as ${VAR}.
type Config struct {
	// Type selects the provider: openai, anthropic, http or exec.
	Type string `yaml:"type" json:"type"`
	// Name identifies the target in logs and reports. Default: derived
	// from the type and the model, URL or command.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`

	// BaseURL is the API root of a model provider, for example
	// http://localhost:11434/v1 for Ollama. Default: the vendor's public
	// API (https://api.openai.com/v1, https://api.anthropic.com).
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// Model is the model name sent with each request.
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
	// APIKeyEnv names the environment variable that holds the API key.
	// Default: OPENAI_API_KEY, ANTHROPIC_API_KEY or AZURE_OPENAI_API_KEY
	// when BaseURL is the vendor's public API or Azure; none for other base
	// URLs (local servers usually need no key).
	APIKeyEnv string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty"`
	// Headers are extra request headers (OpenRouter's HTTP-Referer, a
	// gateway's tenant header). Values may reference environment variables
	// as ${VAR}; for the http type they are also templates (see Body).
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Temperature is sent when set.
	Temperature *float64 `yaml:"temperature,omitempty" json:"temperature,omitempty"`
	// MaxTokens caps the reply length; zero leaves it to the server
	// (Anthropic: 1024, since its API requires a value).
	MaxTokens int `yaml:"max_tokens,omitempty" json:"max_tokens,omitempty"`
	// Stream makes the openai and anthropic types ask for a streamed reply
	// (server-sent events) and assemble it: the same reply, usage
	// included. A stream is never retried once part of it has arrived.
	Stream bool `yaml:"stream,omitempty" json:"stream,omitempty"`

	// Timeout bounds each request (each attempt when retrying) or each
	// command run. Default 60s.
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitzero"`
	// Retries is how many times a failed request is retried (5xx, 429,
	// connection errors). Unset (nil) means the default, 3; 0 means one
	// attempt and no retry. A pointer, because "retries: 0" is a choice
	// the configuration must be able to state. Negative is an error.
	Retries *int `yaml:"retries,omitempty" json:"retries,omitempty"`
	// RPS caps requests per second to this target; zero means no limit.
	RPS float64 `yaml:"rps,omitempty" json:"rps,omitempty"`
	// MaxInFlight caps concurrent requests to this target. Zero means the
	// default, 16; negative means no cap.
	MaxInFlight int `yaml:"max_in_flight,omitempty" json:"max_in_flight,omitempty"`

	// Deployment switches the openai type to Azure OpenAI: requests go to
	// {base_url}/openai/deployments/{deployment}/chat/completions and the
	// key travels in an api-key header.
	Deployment string `yaml:"deployment,omitempty" json:"deployment,omitempty"`
	// APIVersion is Azure's api-version query parameter. Default
	// DefaultAzureAPIVersion.
	APIVersion string `yaml:"api_version,omitempty" json:"api_version,omitempty"`

	// Method is the HTTP method of the http type. Default POST.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// URL is the endpoint of the http type, a template like Body (use
	// {{urlquery .Session}} to put a session in a query string).
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Body is the request body of the http type, a Go text/template with
	// the fields .Prompt (the last user message), .Messages (the whole
	// conversation) and .Session (the session value), and the function
	// json, which encodes any value as JSON: {"q": {{json .Prompt}}} stays
	// valid JSON whatever the prompt holds. ${VAR} references the
	// environment as in Headers.
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// ResponsePath picks the reply out of a JSON response, as dot-separated
	// keys and array indexes: "choices.0.message.content", "data.reply",
	// "messages.-1.text" (negative indexes count from the end; write \. for
	// a dot inside a key). Empty: the whole body is the reply.
	ResponsePath string `yaml:"response_path,omitempty" json:"response_path,omitempty"`
	// ContextPath optionally picks the documents a RAG app retrieved (a
	// string or an array) out of the JSON response into Reply.Context.
	ContextPath string `yaml:"context_path,omitempty" json:"context_path,omitempty"`
	// Session keeps per-conversation state for stateful apps.
	Session SessionConfig `yaml:"session,omitempty" json:"session,omitzero"`

	// Command is the argv of the exec type, run directly (never through a
	// shell) once per Send. The conversation arrives on stdin as
	// {"messages": [...], "session": "..."}; the reply is stdout, as plain
	// text or as {"content": ..., "tool_calls": [{"id", "name",
	// "arguments"}], "context": [...], "usage": {...}}. A non-zero exit is
	// an error quoting the end of stderr.
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	// Dir is the working directory of the command. Default: the current one.
	Dir string `yaml:"dir,omitempty" json:"dir,omitempty"`
	// Env adds variables to the command's environment (which otherwise is
	// redoubt's own). Values may reference the environment as ${VAR}.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
}

// Session modes for SessionConfig.Mode.
const (
	// SessionGenerate makes a random ID per conversation, available to the
	// templates as .Session.
	SessionGenerate = "generate"
	// SessionResponse reads the session value from the first response (at
	// SessionConfig.Path) and sends it back as .Session on later turns.
	SessionResponse = "response"
	// SessionCookie keeps the cookie named SessionConfig.Cookie (all
	// cookies when empty) per conversation.
	SessionCookie = "cookie"
)

// SessionConfig tells the http type how a stateful app tracks a
// conversation. State is kept per SessionID of the Send context; a Send
// without one is a conversation of its own.
type SessionConfig struct {
	// Mode is generate, response or cookie; empty means stateless.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Path is the response path of the session value (mode response).
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Cookie is the cookie to keep (mode cookie).
	Cookie string `yaml:"cookie,omitempty" json:"cookie,omitempty"`
}

// Duration is a time.Duration written as text ("30s", "2m") in YAML and
// JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a number with a unit, like 30s or 2m", b)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", b)
	}
	*d = Duration(v)
	return nil
}

// Option changes how New builds a target.
type Option func(*options)

type options struct {
	client *http.Client
	logger *slog.Logger
	getenv func(string) string
	// sleep and jitter are replaced by tests so retries never sleep.
	sleep  func(context.Context, time.Duration) error
	jitter func(time.Duration) time.Duration
}

// WithHTTPClient sets the HTTP client of network providers. The default
// client refuses redirects to another host, so keys sent in custom headers
// never follow a redirect elsewhere; a client given here is used as is.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithLogger sets the logger for retries and other diagnostics. Default:
// discard. Logs never contain keys or message contents.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithGetenv replaces os.Getenv for reading keys and ${VAR} references,
// for tests and for callers that keep secrets elsewhere.
func WithGetenv(f func(string) string) Option { return func(o *options) { o.getenv = f } }

// UsageReporter is implemented by targets that count the tokens their
// provider reports. All providers built by New implement it.
type UsageReporter interface {
	// Usage returns the total tokens used so far.
	Usage() Usage
}

// New builds the target described by cfg. Required settings that are
// missing, and ${VAR} or key variables that are unset, are errors naming
// the field.
func New(cfg Config, opts ...Option) (Target, error) {
	o := options{
		getenv: os.Getenv,
		sleep:  sleepContext,
		jitter: fullJitter,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.client == nil {
		o.client = &http.Client{CheckRedirect: sameHostRedirects}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var (
		t   Target
		err error
	)
	switch cfg.Type {
	case TypeOpenAI:
		t, err = newOpenAI(cfg, o)
	case TypeAnthropic:
		t, err = newAnthropic(cfg, o)
	case TypeHTTP:
		t, err = newHTTP(cfg, o)
	case TypeExec:
		t, err = newExec(cfg, o)
	}
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", cfg.displayName(), err)
	}
	return t, nil
}

// Validate checks the settings that do not depend on the environment:
// the type, the fields it requires, and the syntax of URLs and paths.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Type {
	case TypeOpenAI, TypeAnthropic:
		if c.Model == "" && c.Deployment == "" {
			bad("model is required for type %s", c.Type)
		}
		if c.BaseURL != "" {
			if err := checkURL(c.BaseURL); err != nil {
				bad("base_url: %w", err)
			}
		}
		if c.Deployment != "" && c.Type != TypeOpenAI {
			bad("deployment is only for type openai (Azure OpenAI)")
		}
		if c.Deployment != "" && c.BaseURL == "" {
			bad("base_url is required with deployment (the Azure resource endpoint, https://NAME.openai.azure.com)")
		}
	case TypeHTTP:
		if c.URL == "" {
			bad("url is required for type http")
		}
		if c.Session.Mode != "" && c.Session.Mode != SessionGenerate &&
			c.Session.Mode != SessionResponse && c.Session.Mode != SessionCookie {
			bad("session.mode %q is unknown (want generate, response or cookie)", c.Session.Mode)
		}
		if c.Session.Mode == SessionResponse && c.Session.Path == "" {
			bad("session.path is required with session.mode response")
		}
		for field, p := range map[string]string{"response_path": c.ResponsePath, "context_path": c.ContextPath, "session.path": c.Session.Path} {
			if p == "" {
				continue
			}
			if _, err := parsePath(p); err != nil {
				bad("%s: %w", field, err)
			}
		}
	case TypeExec:
		if len(c.Command) == 0 || c.Command[0] == "" {
			bad("command is required for type exec (a list: [program, arg, ...])")
		}
	case "":
		bad("type is required (openai, anthropic, http or exec)")
	default:
		bad("type %q is unknown (want openai, anthropic, http or exec)", c.Type)
	}
	// Settings of another type are mistakes (url instead of base_url, a
	// key variable an http target would never send): say so, not ignore.
	if c.URL != "" && c.Type != TypeHTTP && c.Type != "" {
		bad("url is only for type http; type %s takes base_url", c.Type)
	}
	if c.APIKeyEnv != "" && (c.Type == TypeHTTP || c.Type == TypeExec) {
		bad("api_key_env is not used by type %s; reference the key as ${VAR} in headers or env", c.Type)
	}
	if len(c.Command) > 0 && c.Type != TypeExec && c.Type != "" {
		bad("command is only for type exec")
	}
	if c.Temperature != nil && *c.Temperature < 0 {
		bad("temperature must not be negative")
	}
	if c.MaxTokens < 0 {
		bad("max_tokens must not be negative")
	}
	if c.RPS < 0 {
		bad("rps must not be negative")
	}
	if c.Retries != nil && *c.Retries < 0 {
		bad("retries must not be negative (0 means one attempt, no retry)")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("target %q: %w", c.displayName(), err)
	}
	return nil
}

// displayName is Name, or a name derived from what the target points at.
func (c Config) displayName() string {
	if c.Name != "" {
		return c.Name
	}
	switch {
	case c.Type == TypeExec && len(c.Command) > 0:
		return "exec:" + c.Command[0]
	case c.Type == TypeHTTP && c.URL != "":
		if u, err := url.Parse(c.URL); err == nil && u.Host != "" {
			return "http:" + u.Host
		}
		return "http"
	case c.Deployment != "":
		return c.Type + ":" + c.Deployment
	case c.Model != "":
		return c.Type + ":" + c.Model
	case c.Type != "":
		return c.Type
	}
	return "target"
}

// checkURL accepts absolute http and https URLs.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid URL %q: want http:// or https:// and a host", s)
	}
	return nil
}

// envRef matches a ${VAR} reference.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} references in s with their values. It returns
// the values it used, so callers can redact them from errors, and an error
// naming the first variable that is unset. where names the setting.
func expandEnv(s, where string, getenv func(string) string) (string, []string, error) {
	var (
		secrets []string
		missing string
	)
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := envRef.FindStringSubmatch(ref)[1]
		v := getenv(name)
		if v == "" && missing == "" {
			missing = name
		}
		secrets = append(secrets, v)
		return v
	})
	if missing != "" {
		return "", nil, fmt.Errorf("%s references ${%s}, which is not set", where, missing)
	}
	return out, secrets, nil
}

// apiKey reads the key from the variable named by env. An empty env means
// no key; a named variable that is unset is an error.
func apiKey(env string, getenv func(string) string) (string, error) {
	if env == "" {
		return "", nil
	}
	k := strings.TrimSpace(getenv(env))
	if k == "" {
		return "", fmt.Errorf("api key: environment variable %s (api_key_env) is not set", env)
	}
	if err := checkHeaderValue(k); err != nil {
		return "", fmt.Errorf("api key: environment variable %s (api_key_env) %s, which no HTTP header can carry", env, err)
	}
	return k, nil
}

// sensitiveHeader reports whether a header carries credentials, so its
// value is redacted from errors even when written literally in the config.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"authorization", "cookie", "key", "token", "secret", "password"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// sameHostRedirects lets the default client follow redirects only within
// the original host: provider keys travel in headers (x-api-key, api-key)
// that net/http would otherwise forward to any host a server points at.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}
