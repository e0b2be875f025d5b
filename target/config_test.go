package target

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestConfigDecodesStrictYAMLAndJSON(t *testing.T) {
	const doc = `
type: http
name: support-bot
url: https://bot.example.test/api/chat
method: POST
headers:
  Authorization: Bearer ${BOT_TOKEN}
body: '{"message": {{json .Prompt}}, "conversation": {{json .Session}}}'
response_path: data.reply
context_path: data.sources
session:
  mode: response
  path: data.conversation_id
timeout: 45s
retries: 5
rps: 2.5
max_in_flight: 4
`
	var got Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := Config{Type: TypeHTTP, Settings: &HTTPConfig{Common: Common{Name: "support-bot", Timeout: Duration(45 * time.Second), Retries: new(5), RPS: 2.5, MaxInFlight: 4}, URL: "https://bot.example.test/api/chat", Method: "POST", Headers: map[string]string{"Authorization": "Bearer ${BOT_TOKEN}"}, Body: `{"message": {{json .Prompt}}, "conversation": {{json .Session}}}`, ResponsePath: "data.reply", ContextPath: "data.sources", Session: SessionConfig{Mode: SessionResponse, Path: "data.conversation_id"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decoded config (-want +got):\n%s", diff)
	}

	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"timeout":"45s"`)) || !bytes.Contains(b, []byte(`"max_in_flight":4`)) {
		t.Errorf("JSON %s lacks snake_case keys or a text timeout", b)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestConfigRejectsBadDurations(t *testing.T) {
	for _, in := range []string{"timeout: 30", "timeout: soon", "timeout: -5s"} {
		var c Config
		if err := yaml.Unmarshal([]byte("type: exec\n"+in), &c); err == nil || !strings.Contains(err.Error(), "invalid duration") {
			t.Errorf("%q: error %v, want an invalid duration error", in, err)
		}
	}
}

func TestValidate(t *testing.T) {
	neg := -0.5
	tests := []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"openai ok", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "gpt-4o-mini"}}, ""},
		{"azure ok without model", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: "https://r.openai.azure.com", Deployment: "d"}}, ""},
		{"missing type", Config{}, "type is required"},
		{"unknown type", Config{Type: "grpc"}, `type "grpc" is unknown`},
		{"openai without model", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{}}, "model is required"},
		{"anthropic without model", Config{Type: TypeAnthropic, Settings: &AnthropicConfig{}}, "model is required"},
		{"bad base url", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "localhost:11434/v1"}}, "base_url"},
		{"deployment without base url", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Deployment: "d"}}, "base_url is required with deployment"},
		{"exec without command", Config{Type: TypeExec, Settings: &ExecConfig{}}, "command is required"},
		{"negative temperature", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", Temperature: &neg}}, "temperature"},
		{"negative rps", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{RPS: -1}, Model: "m"}}, "rps"},
		{"negative retries", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Retries: new(-1)}, Model: "m"}}, "retries must not be negative"},
		{"zero retries", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Retries: new(0)}, Model: "m"}}, ""},
		{"api_version without deployment", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", APIVersion: "2024-06-01"}}, "api_version is only used with deployment"},
		{"type from the settings", Config{Settings: &ExecConfig{Command: []string{"bot"}}}, ""},
		{"nil settings are the defaults", Config{Type: TypeExec}, "command is required"},
		{"settings of another type", Config{Type: TypeOpenAI, Settings: &HTTPConfig{URL: "http://h"}}, "type is openai but the settings are *target.HTTPConfig (type http)"},
		{"withheld settings", Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h"}, Withheld: []string{"body", "headers.Authorization"}}, "not stored with the run, since they may hold secrets: body, headers.Authorization"},
		{"two problems at once", Config{Type: TypeHTTP, Settings: &HTTPConfig{ResponsePath: "a.", Session: SessionConfig{Mode: "x"}}}, "url is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNewAPIKeys(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		env  map[string]string
		want string // "" means New succeeds
	}{
		{"openai default key missing", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m"}}, nil, "OPENAI_API_KEY"},
		{"openai default key present", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m"}}, map[string]string{"OPENAI_API_KEY": "k"}, ""},
		{"anthropic default key missing", Config{Type: TypeAnthropic, Settings: &AnthropicConfig{Model: "m"}}, nil, "ANTHROPIC_API_KEY"},
		{"azure default key missing", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{BaseURL: "https://r.openai.azure.com", Deployment: "d"}}, nil, "AZURE_OPENAI_API_KEY"},
		{"named key missing", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "http://localhost:8000/v1", APIKeyEnv: "VLLM_KEY"}}, nil, "VLLM_KEY"},
		{"local server needs no key", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "llama3", BaseURL: "http://localhost:11434/v1"}}, nil, ""},
		{"header env missing", Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "http://h/v1", Headers: map[string]string{"X-Org": "${ORG}"}}}, nil, "headers.X-Org references ${ORG}"},
		{"exec env missing", Config{Type: TypeExec, Settings: &ExecConfig{Command: []string{"bot"}, Env: map[string]string{"K": "${NOPE}"}}}, nil, "env.K references ${NOPE}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, fakeEnv(tt.env))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaultsAndNames(t *testing.T) {
	tests := []struct {
		cfg      Config
		wantName string
	}{
		{Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "llama3", BaseURL: "http://localhost:11434/v1"}}, "openai:llama3"},
		{Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{Name: "prod"}, Model: "m", BaseURL: "http://h/v1"}}, "prod"},
		{Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "https://bot.example.test/chat"}}, "http:bot.example.test"},
		{Config{Type: TypeExec, Settings: &ExecConfig{Command: []string{"./bot", "--json"}}}, "exec:./bot"},
	}
	for _, tt := range tests {
		tg, err := New(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Name() != tt.wantName {
			t.Errorf("Name() = %q, want %q", tg.Name(), tt.wantName)
		}
	}
	tg, err := New(Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Model: "m", BaseURL: "http://h/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	tr := tg.(*openAI).tr
	if tr.timeout != DefaultTimeout || tr.retries != DefaultRetries || cap(tr.slots) != DefaultMaxInFlight || tr.limiter != nil {
		t.Errorf("defaults: timeout %v retries %d in-flight %d limiter %v", tr.timeout, tr.retries, cap(tr.slots), tr.limiter)
	}
	tg, err = New(Config{Type: TypeOpenAI, Settings: &OpenAIConfig{Common: Common{MaxInFlight: -1, Retries: new(0), RPS: 5}, Model: "m", BaseURL: "http://h/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	tr = tg.(*openAI).tr
	if tr.slots != nil || tr.retries != 0 || tr.limiter == nil || tr.limiter.Limit() != 5 {
		t.Errorf("overrides: slots %v retries %d limiter %v", tr.slots, tr.retries, tr.limiter)
	}
}

// "retries: 0" in a file means one attempt: it must survive YAML decoding
// and the JSON round trip of the run store, and stay distinct from unset.
func TestRetriesZeroIsNotUnset(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want int
	}{
		{"retries: 0", 0},
		{"retries: 2", 2},
		{"", DefaultRetries},
	} {
		var c Config
		if err := yaml.Unmarshal([]byte("type: openai\nmodel: m\nbase_url: http://h/v1\n"+tt.doc), &c); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Config
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		tg, err := New(back)
		if err != nil {
			t.Fatal(err)
		}
		if got := tg.(*openAI).tr.retries; got != tt.want {
			t.Errorf("%q: %d retries after a JSON round trip (%s), want %d", tt.doc, got, b, tt.want)
		}
	}
}
