package target

import "errors"

// TypeAnthropic selects the Anthropic Messages API provider.
const TypeAnthropic = "anthropic"

// DefaultAnthropicMaxTokens is sent when MaxTokens is zero, because the
// Messages API requires max_tokens.
const DefaultAnthropicMaxTokens = 1024

func init() {
	Register(Provider{
		Type:     TypeAnthropic,
		Settings: func() Settings { return &AnthropicConfig{} },
		New:      func(s Settings, e *Env) (Target, error) { return newAnthropic(s.(*AnthropicConfig), e) },
	})
}

// AnthropicConfig is the configuration of the anthropic type.
type AnthropicConfig struct {
	Common `yaml:",inline"`
	// BaseURL is the API root. Default: https://api.anthropic.com. A
	// query string is kept after the endpoint's path.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// Model is the model name sent with each request.
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
	// APIKeyEnv names the environment variable that holds the API key.
	// Default: ANTHROPIC_API_KEY for the public API, none for other base
	// URLs.
	APIKeyEnv string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty"`
	// Headers are extra request headers. Values may reference environment
	// variables as ${VAR}.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Temperature is sent when set.
	Temperature *float64 `yaml:"temperature,omitempty" json:"temperature,omitempty"`
	// MaxTokens caps the reply length. Default DefaultAnthropicMaxTokens,
	// since the API requires a value.
	MaxTokens int `yaml:"max_tokens,omitempty" json:"max_tokens,omitempty"`
	// Stream asks for a streamed reply (server-sent events) and assembles
	// it: the same reply, usage included. A stream is never retried once
	// part of it has arrived.
	Stream bool `yaml:"stream,omitempty" json:"stream,omitempty"`
}

// Validate implements Settings.
func (c *AnthropicConfig) Validate() error {
	return errors.Join(validateModelAPI(c.Model != "", c.BaseURL, c.Temperature, c.MaxTokens)...)
}

// DerivedName implements Settings.
func (c *AnthropicConfig) DerivedName() string {
	if c.Model != "" {
		return TypeAnthropic + ":" + c.Model
	}
	return TypeAnthropic
}

// WithoutSecrets implements Settings.
func (c *AnthropicConfig) WithoutSecrets() (Settings, []string) {
	out := *c
	var withheld []string
	out.Headers, withheld = envRefsOnly("headers", c.Headers)
	if out.BaseURL = urlWithoutSecrets(c.BaseURL); out.BaseURL != c.BaseURL {
		withheld = append(withheld, "base_url")
	}
	return &out, withheld
}

// configuredURLs lists the URLs whose credentials the transport redacts.
func (c *AnthropicConfig) configuredURLs() []string { return []string{c.BaseURL} }
