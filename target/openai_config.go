package target

import (
	"errors"
	"fmt"
)

// TypeOpenAI selects the OpenAI-compatible chat completions provider.
const TypeOpenAI = "openai"

// DefaultAzureAPIVersion is used when Deployment is set and APIVersion is
// not: a generally available Azure OpenAI data-plane version.
const DefaultAzureAPIVersion = "2024-10-21"

func init() {
	Register(Provider{
		Type:     TypeOpenAI,
		Settings: func() Settings { return &OpenAIConfig{} },
		New:      func(s Settings, e *Env) (Target, error) { return newOpenAI(s.(*OpenAIConfig), e) },
	})
}

// OpenAIConfig is the configuration of the openai type: any server that
// speaks the chat completions API (OpenAI, Azure OpenAI, Ollama, vLLM,
// llama.cpp, LM Studio, OpenRouter).
type OpenAIConfig struct {
	Common `yaml:",inline"`
	// BaseURL is the API root, for example http://localhost:11434/v1 for
	// Ollama. Default: https://api.openai.com/v1. A query string is kept
	// after the endpoint's path.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// Model is the model name sent with each request.
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
	// APIKeyEnv names the environment variable that holds the API key.
	// Default: OPENAI_API_KEY for the public API, AZURE_OPENAI_API_KEY
	// with Deployment, none for other base URLs (local servers usually
	// need no key).
	APIKeyEnv string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty"`
	// Headers are extra request headers (OpenRouter's HTTP-Referer, a
	// gateway's tenant header). Values may reference environment
	// variables as ${VAR}.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Temperature is sent when set.
	Temperature *float64 `yaml:"temperature,omitempty" json:"temperature,omitempty"`
	// MaxTokens caps the reply length; zero leaves it to the server.
	MaxTokens int `yaml:"max_tokens,omitempty" json:"max_tokens,omitempty"`
	// Stream asks for a streamed reply (server-sent events) and assembles
	// it: the same reply, usage included. A stream is never retried once
	// part of it has arrived.
	Stream bool `yaml:"stream,omitempty" json:"stream,omitempty"`
	// Deployment switches to Azure OpenAI: requests go to
	// {base_url}/openai/deployments/{deployment}/chat/completions and the
	// key travels in an api-key header.
	Deployment string `yaml:"deployment,omitempty" json:"deployment,omitempty"`
	// APIVersion is Azure's api-version query parameter. Default
	// DefaultAzureAPIVersion, unless base_url's query has one.
	APIVersion string `yaml:"api_version,omitempty" json:"api_version,omitempty"`
}

// Validate implements Settings.
func (c *OpenAIConfig) Validate() error {
	errs := validateModelAPI(c.Model != "" || c.Deployment != "", c.BaseURL, c.Temperature, c.MaxTokens)
	if c.Deployment != "" && c.BaseURL == "" {
		errs = append(errs, errors.New("base_url is required with deployment (the Azure resource endpoint, https://NAME.openai.azure.com)"))
	}
	if c.APIVersion != "" && c.Deployment == "" {
		errs = append(errs, errors.New("api_version is only used with deployment (Azure OpenAI)"))
	}
	return errors.Join(errs...)
}

// DerivedName implements Settings.
func (c *OpenAIConfig) DerivedName() string {
	switch {
	case c.Deployment != "":
		return TypeOpenAI + ":" + c.Deployment
	case c.Model != "":
		return TypeOpenAI + ":" + c.Model
	}
	return TypeOpenAI
}

// WithoutSecrets implements Settings.
func (c *OpenAIConfig) WithoutSecrets() (Settings, []string) {
	out := *c
	var withheld []string
	out.Headers, withheld = envRefsOnly("headers", c.Headers)
	if out.BaseURL = urlWithoutSecrets(c.BaseURL); out.BaseURL != c.BaseURL {
		withheld = append(withheld, "base_url")
	}
	return &out, withheld
}

// configuredURLs lists the URLs whose credentials the transport redacts.
func (c *OpenAIConfig) configuredURLs() []string { return []string{c.BaseURL} }

// validateModelAPI checks what the model-API types (openai, anthropic)
// share. hasModel says whether the model is named.
func validateModelAPI(hasModel bool, baseURL string, temperature *float64, maxTokens int) []error {
	var errs []error
	if !hasModel {
		errs = append(errs, errors.New("model is required"))
	}
	if baseURL != "" {
		if err := checkURL(baseURL); err != nil {
			errs = append(errs, fmt.Errorf("base_url: %w", err))
		}
	}
	if temperature != nil && *temperature < 0 {
		errs = append(errs, errors.New("temperature must not be negative"))
	}
	if maxTokens < 0 {
		errs = append(errs, errors.New("max_tokens must not be negative"))
	}
	return errs
}
