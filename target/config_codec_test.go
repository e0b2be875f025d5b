package target

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// echoConfig is the settings of a provider registered by this test file,
// as a provider outside the package would register: its own struct with
// Common inline, one init call, nothing else in the package touched.
type echoConfig struct {
	Common `yaml:",inline"`
	Prefix string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
}

func (c *echoConfig) Validate() error     { return nil }
func (c *echoConfig) DerivedName() string { return "echo:" + c.Prefix }
func (c *echoConfig) WithoutSecrets() (Settings, []string) {
	out := *c
	return &out, nil
}

func init() {
	Register(Provider{
		Type:     "echo",
		Settings: func() Settings { return &echoConfig{Prefix: ">"} },
		New: func(s Settings, _ *Env) (Target, error) {
			prefix := s.(*echoConfig).Prefix
			return Func{ID: displayName(s), F: func(_ context.Context, c Conversation) (Reply, error) {
				return Reply{Content: prefix + c.LastUser()}, nil
			}}, nil
		},
	})
}

// fileConfig is how the CLI holds a target: a key of a larger document.
type fileConfig struct {
	Target  Config `yaml:"target"`
	Purpose string `yaml:"purpose"`
}

func decodeFile(t *testing.T, doc string) (Config, error) {
	t.Helper()
	var f fileConfig
	err := yamlx.Decode([]byte(doc), "redoubt.yaml", &f)
	return f.Target, err
}

func TestConfigYAMLPerType(t *testing.T) {
	tests := []struct {
		doc  string
		want Config
	}{
		{`
target:
  type: openai
  base_url: http://localhost:11434/v1
  model: llama3.1
  api_key_env: OLLAMA_KEY
  temperature: 0
  max_tokens: 512
  timeout: 60s
  retries: 0
  rps: 5
  max_in_flight: 8
  headers:
    HTTP-Referer: https://example.test
`, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{
			Common:  Common{Timeout: Duration(time.Minute), Retries: new(0), RPS: 5, MaxInFlight: 8},
			BaseURL: "http://localhost:11434/v1", Model: "llama3.1", APIKeyEnv: "OLLAMA_KEY", Temperature: new(0.0), MaxTokens: 512,
			Headers: map[string]string{"HTTP-Referer": "https://example.test"}}}},
		{`
target:
  type: openai
  base_url: https://r.openai.azure.com
  deployment: gpt4o
  api_version: "2024-06-01"
`, Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: "https://r.openai.azure.com", Deployment: "gpt4o", APIVersion: "2024-06-01"}}},
		{`
target:
  type: anthropic
  model: claude-sonnet-4-5
  name: claude
`, Config{Type: TypeAnthropic, Settings: &AnthropicConfig{Common: Common{Name: "claude"}, Model: "claude-sonnet-4-5"}}},
		{`
target:
  type: exec
  command: [./my-agent, --json]
  dir: /srv
  env:
    AGENT_MODE: test
  timeout: 20s
`, Config{Type: TypeExec, Settings: &ExecConfig{Common: Common{Timeout: Duration(20 * time.Second)},
			Command: []string{"./my-agent", "--json"}, Dir: "/srv", Env: map[string]string{"AGENT_MODE": "test"}}}},
		{`
target:
  type: echo
  prefix: "# "
`, Config{Type: "echo", Settings: &echoConfig{Prefix: "# "}}},
		{`
target:
  type: echo
`, Config{Type: "echo", Settings: &echoConfig{Prefix: ">"}}}, // the provider's default
	}
	for _, tt := range tests {
		got, err := decodeFile(t, tt.doc)
		if err != nil {
			t.Errorf("%s: %v", tt.doc, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.doc, diff)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", tt.doc, err)
		}
	}
}

// A key the type does not have is an error with the file, the line, the
// key, the type and a suggestion; every such key is reported at once.
func TestConfigYAMLStrictErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"typo", "purpose: x\ntarget:\n  type: http\n  urll: http://h\n",
			[]string{`redoubt.yaml:4: unknown key "urll" for target type http; did you mean "url"?`}},
		{"another type's key", "target:\n  type: http\n  url: http://h\n  base_url: http://h/v1\n  api_key_env: K\n",
			[]string{`redoubt.yaml:4: unknown key "base_url" for target type http (it is a setting of type anthropic, openai)`,
				`redoubt.yaml:5: unknown key "api_key_env" for target type http (it is a setting of type anthropic, openai)`}},
		{"deployment on anthropic", "target:\n  type: anthropic\n  model: m\n  deployment: d\n",
			[]string{`redoubt.yaml:4: unknown key "deployment" for target type anthropic (it is a setting of type openai)`}},
		{"command on openai", "target:\n  type: openai\n  model: m\n  command: [x]\n",
			[]string{`redoubt.yaml:4: unknown key "command" for target type openai (it is a setting of type exec)`}},
		{"nested key", "target:\n  type: http\n  url: http://h\n  session:\n    mde: generate\n",
			[]string{`redoubt.yaml:5: unknown key "session.mde" for target type http; did you mean "session.mode"?`}},
		{"unknown type", "target:\n  type: opneai\n",
			[]string{`redoubt.yaml:2: unknown target type "opneai"; did you mean "openai"?`}},
		{"unknown type lists the types", "target:\n  type: grpc\n",
			[]string{`redoubt.yaml:2: unknown target type "grpc" (known: anthropic, `, "echo, exec, http, openai)"}},
		{"no type", "target:\n  model: m\n", []string{"redoubt.yaml:2: the target has no type"}},
		{"not a mapping", "target: openai\n", []string{"redoubt.yaml:1: the target must be a mapping"}},
		{"duplicate key", "target:\n  type: openai\n  model: a\n  model: b\n", []string{`redoubt.yaml:4: mapping key "model" already defined at line 3`}},
		{"bad duration", "target:\n  type: exec\n  command: [x]\n  timeout: soon\n", []string{`redoubt.yaml:4: invalid duration "soon"`}},
		{"wrong value type", "target:\n  type: openai\n  model: m\n  retries: many\n", []string{"redoubt.yaml:4:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeFile(t, tt.doc)
			if err == nil {
				t.Fatal("decoded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// The run store keeps a Config as JSON, flat like the file, and reads it
// back equal; a type this build lacks is kept by name.
func TestConfigJSON(t *testing.T) {
	cfg := Config{Type: TypeHTTP, Settings: &HTTPConfig{
		Common: Common{Name: "bot", Timeout: Duration(45 * time.Second), Retries: new(0), MaxInFlight: 4},
		URL:    "https://bot.example.test/chat/{{.Session}}", Headers: map[string]string{"X-Token": "${T}"},
		Body: `{"q": {{json .Prompt}}}`, ResponsePath: "data.reply", Session: SessionConfig{Mode: SessionGenerate}},
		Withheld: []string{"headers.Authorization"}}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var flat map[string]any
	if err := json.Unmarshal(b, &flat); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "http", "name": "bot", "timeout": "45s", "retries": 0.0, "max_in_flight": 4.0,
		"url": "https://bot.example.test/chat/{{.Session}}", "headers": map[string]any{"X-Token": "${T}"},
		"body": `{"q": {{json .Prompt}}}`, "response_path": "data.reply", "session": map[string]any{"mode": "generate"},
		"withheld": []any{"headers.Authorization"}}
	if diff := cmp.Diff(want, flat); diff != "" {
		t.Errorf("JSON shape (-want +got):\n%s", diff)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cfg, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	// The type may be left to the settings.
	b, _ = json.Marshal(Config{Settings: &ExecConfig{Command: []string{"bot"}}})
	if string(b) != `{"type":"exec","command":["bot"]}` {
		t.Errorf("derived type: %s", b)
	}

	var unknown Config
	if err := json.Unmarshal([]byte(`{"type":"grpc","host":"h"}`), &unknown); err != nil {
		t.Fatal(err)
	}
	if unknown.Type != "grpc" || unknown.Settings != nil {
		t.Errorf("unknown type read as %+v", unknown)
	}
	if _, err := New(unknown); err == nil || !strings.Contains(err.Error(), `type "grpc" is unknown`) {
		t.Errorf("New of an unknown type: %v", err)
	}
	var demo Config
	if err := json.Unmarshal([]byte(`{"type":"echo"}`), &demo); err != nil || !cmp.Equal(demo, Config{Type: "echo", Settings: &echoConfig{Prefix: ">"}}) {
		t.Errorf("echo read as %+v, %v", demo, err)
	}
}

// The YAML encoding is the file's shape and decodes back strictly.
func TestConfigYAMLRoundTrip(t *testing.T) {
	cfg := Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Timeout: Duration(time.Second)}, BaseURL: "http://h/v1", Model: "m"}}
	b, err := yaml.Marshal(fileConfig{Target: cfg})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeFile(t, string(b))
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if diff := cmp.Diff(cfg, got); diff != "" {
		t.Errorf("round trip of\n%s(-want +got):\n%s", b, diff)
	}
}

func TestWithoutSecrets(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		want     Config
		withheld []string
	}{
		{"openai", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m",
			BaseURL: "https://alice:hunter2pass@gw.example/v1?api_key=QSKEY12345&region=eu",
			Headers: map[string]string{"X-Org": "${ORG}", "Authorization": "Bearer LITERAL"}}},
			Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "https://gw.example/v1?region=eu", Headers: map[string]string{"X-Org": "${ORG}"}}},
			[]string{"base_url", "headers.Authorization"}},
		{"anthropic untouched", Config{Type: TypeAnthropic, Settings: &AnthropicConfig{Model: "m", APIKeyEnv: "K", Headers: map[string]string{"X-A": "${A}"}}},
			Config{Type: TypeAnthropic, Settings: &AnthropicConfig{Model: "m", APIKeyEnv: "K", Headers: map[string]string{"X-A": "${A}"}}}, nil},
		{"http", Config{Type: TypeHTTP, Settings: &HTTPConfig{
			URL:     "https://app.example/chat/{{.Session}}?sid={{urlquery .Session}}&token=LIT123&k=${K}&key=${APIKEY}",
			Body:    `{"q": {{json .Prompt}}, "api_key": "BODYSECRET999"}`,
			Headers: map[string]string{"X-Token": "${APP_TOKEN}", "X-Static": "literal"}}},
			Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "https://app.example/chat/{{.Session}}?sid={{urlquery .Session}}&k=${K}&key=${APIKEY}",
				Headers: map[string]string{"X-Token": "${APP_TOKEN}"}}},
			[]string{"body", "headers.X-Static", "url"}},
		{"http template values kept", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "https://app.example/chat?token={{.Session}}&auth=${AUTH}&secret="}},
			Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "https://app.example/chat?token={{.Session}}&auth=${AUTH}&secret="}}, nil},
		{"http body kept", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "https://app.example/chat", Body: `{"prompt": {{json .Prompt}}, "user": "${USER_ID}"}`}},
			Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "https://app.example/chat", Body: `{"prompt": {{json .Prompt}}, "user": "${USER_ID}"}`}}, nil},
		{"exec token-like argument", Config{Type: TypeExec, Settings: &ExecConfig{Command: []string{"./agent", "--id", "a8Fk29dLq0Zx7Vb3NmW1"}, Env: map[string]string{"K": "${K}", "MODE": "test"}}},
			Config{Type: TypeExec, Settings: &ExecConfig{Env: map[string]string{"K": "${K}"}}}, []string{"command", "env.MODE"}},
		{"exec plain command kept", Config{Type: TypeExec, Settings: &ExecConfig{Command: []string{"./agent", "--mode", "chat"}}},
			Config{Type: TypeExec, Settings: &ExecConfig{Command: []string{"./agent", "--mode", "chat"}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := json.Marshal(tt.cfg)
			got := tt.cfg.WithoutSecrets()
			tt.want.Withheld = tt.withheld
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if after, _ := json.Marshal(tt.cfg); string(after) != string(before) {
				t.Errorf("WithoutSecrets changed the original: %s", after)
			}
			b, _ := json.Marshal(got)
			for _, s := range []string{"hunter2pass", "QSKEY12345", "LITERAL", "LIT123", "BODYSECRET999", "a8Fk29dLq0Zx7Vb3NmW1", "literal"} {
				if strings.Contains(string(b), s) {
					t.Errorf("stored config leaks %q: %s", s, b)
				}
			}
			if len(tt.withheld) > 0 {
				if _, err := New(got); err == nil || !strings.Contains(err.Error(), "configure the target again") {
					t.Errorf("a config with withheld settings was built: %v", err)
				}
			}
		})
	}
}

func TestOverride(t *testing.T) {
	c := Config{Type: TypeOpenAI}
	for _, kv := range []struct {
		key   string
		value any
	}{{"base_url", "http://h/v1"}, {"model", "m"}, {"api_key_env", "K"}, {"timeout", "30s"}, {"retries", "0"}, {"temperature", 0.5}, {"max_tokens", 7}} {
		if err := c.Override(kv.key, kv.value); err != nil {
			t.Fatalf("Override(%s): %v", kv.key, err)
		}
	}
	want := Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Timeout: Duration(30 * time.Second), Retries: new(0)},
		BaseURL: "http://h/v1", Model: "m", APIKeyEnv: "K", Temperature: new(0.5), MaxTokens: 7}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []struct {
		cfg   Config
		key   string
		value any
		want  string
	}{
		{Config{Type: TypeOpenAI}, "command", []string{"x"}, `target type openai has no setting "command"`},
		{Config{Type: TypeHTTP}, "model", "m", `target type http has no setting "model"`},
		{Config{Type: TypeAnthropic}, "modle", "m", `did you mean "model"?`},
		{Config{Type: TypeExec}, "timeout", "soon", `timeout: cannot read "soon"`},
		{Config{Type: TypeOpenAI}, "model", 3, "want string, not int"},
		{Config{}, "model", "m", "type is required"},
	} {
		if err := bad.cfg.Override(bad.key, bad.value); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Override(%s) on %s: error %v, want %q", bad.key, bad.cfg.Type, err, bad.want)
		}
	}

	// --base-url on an http target is its url, with a body that sends the
	// prompt unless one is configured.
	h := Config{Type: TypeHTTP}
	if err := h.Override("base_url", "http://app/chat"); err != nil {
		t.Fatal(err)
	}
	if s := h.Settings.(*HTTPConfig); s.URL != "http://app/chat" || s.Body != defaultHTTPBody {
		t.Errorf("http base_url: %+v", s)
	}
	h = Config{Type: TypeHTTP, Settings: &HTTPConfig{Body: "{{json .Messages}}"}}
	_ = h.Override("base_url", "http://app/chat")
	if s := h.Settings.(*HTTPConfig); s.Body != "{{json .Messages}}" {
		t.Errorf("a configured body was replaced: %q", s.Body)
	}
	if err := h.Override("session.mode", "generate"); err != nil || h.Settings.(*HTTPConfig).Session.Mode != "generate" {
		t.Errorf("nested override: %v", err)
	}
	e := Config{Type: TypeExec}
	if err := e.Override("command", []string{"./bot", "--json"}); err != nil || !reflect.DeepEqual(e.Settings.(*ExecConfig).Command, []string{"./bot", "--json"}) {
		t.Errorf("command override: %v %+v", err, e.Settings)
	}
}

func TestSetType(t *testing.T) {
	c := Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Name: "n", Timeout: Duration(time.Second)},
		BaseURL: "http://h/v1", Model: "m", Deployment: "d"}}
	if err := c.SetType(TypeAnthropic); err != nil {
		t.Fatal(err)
	}
	want := Config{Type: TypeAnthropic, Settings: &AnthropicConfig{Common: Common{Name: "n", Timeout: Duration(time.Second)}, BaseURL: "http://h/v1", Model: "m"}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := c.SetType(TypeExec); err != nil || !cmp.Equal(c, Config{Type: TypeExec, Settings: &ExecConfig{Common: Common{Name: "n", Timeout: Duration(time.Second)}}}) {
		t.Errorf("to exec: %+v, %v", c, err)
	}
	if err := c.SetType("ecko"); err == nil || !strings.Contains(err.Error(), `did you mean "echo"?`) {
		t.Errorf("unknown type: %v", err)
	}
	var z Config
	if err := z.SetType("echo"); err != nil || !cmp.Equal(z, Config{Type: "echo", Settings: &echoConfig{Prefix: ">"}}) {
		t.Errorf("from nothing: %+v %v", z, err)
	}
}

// A registered provider is a target type like the built-in ones: decoded,
// validated, named and built through the registry.
func TestRegisteredProvider(t *testing.T) {
	cfg, err := decodeFile(t, "target:\n  type: echo\n  prefix: 'you said: '\n  rps: 100\n")
	if err != nil {
		t.Fatal(err)
	}
	tg, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tg.Send(context.Background(), userConv("hi"))
	if err != nil || r.Content != "you said: hi" || tg.Name() != "echo:you said: " {
		t.Errorf("echo target: %q %q %v", tg.Name(), r.Content, err)
	}
	// Other providers (the demo app) may be linked in too.
	for _, want := range []string{"anthropic", "echo", "exec", "http", "openai"} {
		if !slices.Contains(Types(), want) {
			t.Errorf("Types() = %v, lacks %s", Types(), want)
		}
	}
}

// stub gives the misuse cases below the methods Settings needs.
type stub struct{}

func (stub) Validate() error                      { return nil }
func (stub) DerivedName() string                  { return "" }
func (stub) WithoutSecrets() (Settings, []string) { return nil, nil }

type badKeysConfig struct {
	Common `yaml:",inline"`
	stub
	URL string `yaml:"url" json:"address"`
}

type reservedKeyConfig struct {
	Common `yaml:",inline"`
	stub
	Kind string `yaml:"type" json:"type"`
}

type notPointerConfig struct {
	Common `yaml:",inline"`
	stub
}

func (notPointerConfig) Base() *Common { return &Common{} }

func TestRegisterRejectsMisuse(t *testing.T) {
	newNil := func(Settings, *Env) (Target, error) { return nil, nil }
	for _, tt := range []struct {
		name string
		p    Provider
		want string
	}{
		{"duplicate", Provider{Type: TypeHTTP, Settings: func() Settings { return &HTTPConfig{} }, New: newNil}, `type "http" registered twice`},
		{"yaml and json keys differ", Provider{Type: "bad1", Settings: func() Settings { return &badKeysConfig{} }, New: newNil}, `yaml key "url" but json key "address"`},
		{"reserved key", Provider{Type: "bad2", Settings: func() Settings { return &reservedKeyConfig{} }, New: newNil}, `setting key "type" is reserved`},
		{"not a pointer", Provider{Type: "bad3", Settings: func() Settings { return notPointerConfig{} }, New: newNil}, "must return a pointer to a struct"},
		{"no constructor", Provider{Type: "bad4", Settings: func() Settings { return &HTTPConfig{} }}, "needs Type, Settings and New"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tt.want) {
					t.Errorf("%s: Register panicked with %v, want %q", tt.name, r, tt.want)
				}
			}()
			Register(tt.p)
		}()
	}
	if _, ok := lookup("bad1"); ok {
		t.Error("a rejected provider was registered")
	}
}

func TestDisplayName(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "llama3"}}, "openai:llama3"},
		{Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Deployment: "d", Model: "m"}}, "openai:d"},
		{Config{Type: TypeAnthropic, Settings: &AnthropicConfig{Common: Common{Name: "prod"}, Model: "m"}}, "prod"},
		{Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "https://bot.example.test/chat"}}, "http:bot.example.test"},
		{Config{Type: TypeExec, Settings: &ExecConfig{Command: []string{"./bot"}}}, "exec:./bot"},
		{Config{Type: "demo"}, "demo"},
		{Config{}, "target"},
	} {
		if got := tt.cfg.DisplayName(); got != tt.want {
			t.Errorf("DisplayName(%+v) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}

// A nil settings pointer is the type's defaults, never a panic.
func TestConfigNilSettings(t *testing.T) {
	c := Config{Type: TypeHTTP, Settings: (*HTTPConfig)(nil)}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "url is required") {
		t.Errorf("Validate: %v", err)
	}
	if got := c.DisplayName(); got != "http" {
		t.Errorf("DisplayName = %q", got)
	}
	if b, err := json.Marshal(c); err != nil || string(b) != `{"type":"http"}` {
		t.Errorf("JSON %s, %v", b, err)
	}
	if s := c.WithoutSecrets(); s.Type != TypeHTTP || len(s.Withheld) != 0 {
		t.Errorf("WithoutSecrets = %+v", s)
	}
	if err := c.Override("url", "http://h/chat"); err != nil || c.Settings.(*HTTPConfig).URL != "http://h/chat" {
		t.Errorf("Override on nil settings: %v", err)
	}
	n := Config{Type: TypeOpenAI, Settings: (*OpenAIConfig)(nil)}
	if err := n.SetType(TypeAnthropic); err != nil || !cmp.Equal(n, Config{Type: TypeAnthropic, Settings: &AnthropicConfig{}}) {
		t.Errorf("SetType from nil settings: %+v %v", n, err)
	}
}
