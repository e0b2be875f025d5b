package target

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/internal/suggest"
)

// Defaults applied by New when the corresponding Common field is zero.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultRetries     = 3
	DefaultMaxInFlight = 16
)

// Config describes one target: its type and that type's own settings. It
// is what the "target:" block of a configuration file decodes into, flat
// as the file writes it ("type: http" next to "url: ..."), and what the
// run store keeps (as JSON, in the same flat shape). It never holds a
// secret: API keys are read from the environment variable a setting names,
// and other values may reference the environment as ${VAR}.
//
// Decoding is strict: a key the chosen type does not have is an error that
// names the key, its line and the type, with a suggestion.
type Config struct {
	// Type names the provider: openai, anthropic, http, exec, or another
	// registered one (the CLI registers demo). When empty, it is the type
	// whose settings Settings holds.
	Type string
	// Settings are the provider's own settings, a pointer to its config
	// struct (*OpenAIConfig, *AnthropicConfig, *HTTPConfig, *ExecConfig or
	// a registered provider's). Nil means all defaults.
	Settings Settings
	// Withheld lists the settings WithoutSecrets removed because they may
	// hold a secret, by key ("body", "headers.Authorization"). A target
	// with withheld settings cannot be built: it must be configured again.
	Withheld []string
}

// Common holds the settings every provider has. Each provider's config
// struct embeds it, inline in YAML, so the keys sit next to the
// provider's own.
type Common struct {
	// Name identifies the target in logs and reports. Default: derived
	// from the type and the model, URL or command.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
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
}

// Base implements Settings for every struct that embeds Common.
func (c *Common) Base() *Common { return c }

// validate checks the shared settings.
func (c *Common) validate() []error {
	var errs []error
	if c.Retries != nil && *c.Retries < 0 {
		errs = append(errs, errors.New("retries must not be negative (0 means one attempt, no retry)"))
	}
	if c.RPS < 0 {
		errs = append(errs, errors.New("rps must not be negative"))
	}
	return errs
}

// Settings is a provider's own configuration: a pointer to a struct that
// embeds Common (inline) and has a yaml and a json tag, with the same
// name, on each of its fields.
type Settings interface {
	// Base returns the shared settings; embedding Common provides it.
	Base() *Common
	// Validate checks the settings that do not depend on the
	// environment: required ones, and the syntax of URLs and paths. The
	// shared settings are checked by Config.Validate.
	Validate() error
	// DerivedName names the target when Name is empty ("openai:llama3").
	DerivedName() string
	// WithoutSecrets returns a copy without anything that may be a
	// secret (literal header values, credentials in URLs, a body or a
	// command that looks like it holds a key), and the keys of the
	// settings it removed or changed. The copy is what a run record
	// stores.
	WithoutSecrets() (Settings, []string)
}

// Overrider is implemented by settings that take a command-line value
// under a key of their own: an http target reads --base-url as its url.
// Override reports whether it handled key.
type Overrider interface {
	Override(key string, value any) (bool, error)
}

// kind is the type name: Type, or the registered type of Settings.
func (c Config) kind() string {
	if c.Type != "" || !present(c.Settings) {
		return c.Type
	}
	return typeOfSettings(c.Settings)
}

// present reports whether s holds settings: not nil, and not a nil
// pointer (a Config built as Config{Settings: (*HTTPConfig)(nil)}).
func present(s Settings) bool {
	if s == nil {
		return false
	}
	v := reflect.ValueOf(s)
	return v.Kind() != reflect.Pointer || !v.IsNil()
}

// settings returns the provider and its settings (fresh defaults when
// Settings is nil), or an error about the type.
func (c Config) settings() (Provider, Settings, error) {
	kind := c.kind()
	if kind == "" {
		return Provider{}, nil, fmt.Errorf("type is required (%s)", strings.Join(Types(), ", "))
	}
	p, ok := lookup(kind)
	if !ok {
		return Provider{}, nil, fmt.Errorf("type %q is unknown%s", kind, suggest.HintOrList(kind, Types()))
	}
	if !present(c.Settings) {
		return p, p.Settings(), nil
	}
	if got := typeOfSettings(c.Settings); got != kind {
		return p, nil, fmt.Errorf("type is %s but the settings are %T (type %s)", kind, c.Settings, cmp.Or(got, "unregistered"))
	}
	return p, c.Settings, nil
}

// Validate checks the settings that do not depend on the environment:
// the type, the shared settings, and the provider's own.
func (c Config) Validate() error {
	_, s, err := c.settings()
	if err != nil {
		return fmt.Errorf("target %q: %w", c.DisplayName(), err)
	}
	errs := s.Base().validate()
	if err := s.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(c.Withheld) > 0 {
		errs = append(errs, fmt.Errorf("settings not stored with the run, since they may hold secrets: %s; configure the target again",
			strings.Join(c.Withheld, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("target %q: %w", c.DisplayName(), err)
	}
	return nil
}

// DisplayName is the target's name: Name, or one derived from what it
// points at ("openai:llama3", "http:app.example.com", "exec:./bot").
func (c Config) DisplayName() string {
	if present(c.Settings) {
		if n := c.Settings.Base().Name; n != "" {
			return n
		}
		if n := c.Settings.DerivedName(); n != "" {
			return n
		}
	}
	return cmp.Or(c.kind(), "target")
}

// displayName is the name of a target built from s.
func displayName(s Settings) string {
	return cmp.Or(s.Base().Name, s.DerivedName(), typeOfSettings(s), "target")
}

// WithoutSecrets returns a copy of c with anything that may be a secret
// removed, for the run record (the store and results.json): header and
// environment values are kept only when they are exactly one ${VAR}
// reference, URLs lose credentials written in them, and a body or command
// that looks like it holds a key is dropped. Withheld lists what was
// removed, so a resume can ask for the target again instead of running a
// different one. API keys are never in a Config: it names the variable
// that holds them.
func (c Config) WithoutSecrets() Config {
	out := Config{Type: c.kind(), Withheld: slices.Clone(c.Withheld)}
	if present(c.Settings) {
		s, withheld := c.Settings.WithoutSecrets()
		out.Settings = s
		out.Withheld = append(out.Withheld, withheld...)
		slices.Sort(out.Withheld)
		out.Withheld = slices.Compact(out.Withheld)
	}
	return out
}

// SetType makes c a target of type kind, as the --target flag does. The
// settings the new type also has (same key, same kind of value) are
// kept; the others are dropped, since a type is chosen with its settings.
func (c *Config) SetType(kind string) error {
	p, ok := lookup(kind)
	if !ok {
		return fmt.Errorf("target type %q is unknown%s", kind, suggest.HintOrList(kind, Types()))
	}
	if c.kind() == kind && present(c.Settings) {
		c.Type = kind
		return nil
	}
	next := p.Settings()
	if present(c.Settings) && reflect.ValueOf(c.Settings).Kind() == reflect.Pointer {
		from := reflect.ValueOf(c.Settings).Elem()
		to := reflect.ValueOf(next).Elem()
		for _, f := range settingFields(from.Type()) {
			if g, ok := findField(to.Type(), f.key); ok && g.typ == f.typ {
				to.FieldByIndex(g.index).Set(from.FieldByIndex(f.index))
			}
		}
	}
	c.Type, c.Settings, c.Withheld = kind, next, nil
	return nil
}

// Override sets one setting by its key, as a command-line flag does:
// Override("base_url", "http://localhost:11434/v1"), Override("command",
// []string{"./bot"}). A string is read as YAML would read it, so
// Override("timeout", "30s") works too. Setting a key the type does not
// have is an error naming the type.
func (c *Config) Override(key string, value any) error {
	p, s, err := c.settings()
	if err != nil {
		return err
	}
	c.Type, c.Settings = p.Type, s
	if o, ok := s.(Overrider); ok {
		if handled, err := o.Override(key, value); handled || err != nil {
			return err
		}
	}
	v := reflect.ValueOf(s).Elem()
	f, ok := findField(v.Type(), key)
	if !ok {
		return fmt.Errorf("target type %s has no setting %q%s", p.Type, key, suggest.Hint(key, settingKeys(v.Type())))
	}
	if err := assign(v.FieldByIndex(f.index), value); err != nil {
		return fmt.Errorf("target setting %s: %w", key, err)
	}
	return nil
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

// UnmarshalYAML implements yaml.Unmarshaler, so that a bad duration is
// reported with its line (as UnmarshalText's error alone is not).
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a duration must be text like 30s or 2m", n.Line)}}
	}
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	return nil
}

// Option changes how New builds a target.
type Option func(*Env)

// Env is what New hands a provider's constructor: the options New was
// called with, defaults filled in.
type Env struct {
	client *http.Client
	logger *slog.Logger
	getenv func(string) string
	// sleep and jitter are replaced by tests so retries never sleep.
	sleep  func(context.Context, time.Duration) error
	jitter func(time.Duration) time.Duration
}

// HTTPClient returns the HTTP client network providers use.
func (e *Env) HTTPClient() *http.Client { return e.client }

// Logger returns the logger for diagnostics (never keys or contents).
func (e *Env) Logger() *slog.Logger { return e.logger }

// Getenv reads an environment variable (or what WithGetenv replaced it
// with).
func (e *Env) Getenv(name string) string { return e.getenv(name) }

// WithHTTPClient sets the HTTP client of network providers. The default
// client refuses redirects to another host, so keys sent in custom headers
// never follow a redirect elsewhere; a client given here is used as is.
func WithHTTPClient(c *http.Client) Option { return func(o *Env) { o.client = c } }

// WithLogger sets the logger for retries and other diagnostics. Default:
// discard. Logs never contain keys or message contents.
func WithLogger(l *slog.Logger) Option { return func(o *Env) { o.logger = l } }

// WithGetenv replaces os.Getenv for reading keys and ${VAR} references,
// for tests and for callers that keep secrets elsewhere.
func WithGetenv(f func(string) string) Option { return func(o *Env) { o.getenv = f } }

// UsageReporter is implemented by targets that count the tokens their
// provider reports. All providers built by New implement it.
type UsageReporter interface {
	// Usage returns the total tokens used so far.
	Usage() Usage
}

// New builds the target described by cfg. Required settings that are
// missing, and ${VAR} or key variables that are unset, are errors naming
// the setting.
func New(cfg Config, opts ...Option) (Target, error) {
	o := &Env{
		getenv: os.Getenv,
		sleep:  sleepContext,
		jitter: fullJitter,
	}
	for _, opt := range opts {
		opt(o)
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
	p, s, _ := cfg.settings() // Validate checked them
	t, err := p.New(s, o)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", cfg.DisplayName(), err)
	}
	return t, nil
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
