package guard

import "github.com/redoubt-sec/redoubt/internal/detect"

// NewCanaryToken returns a fresh canary token ("rdbt-canary-" and 20
// random base32 characters): plant it in a system prompt with PlantCanary
// and list it in the tokens of a canary rule, and the guard blocks any reply
// (or tool call) that leaks the prompt, also when the token is encoded.
func NewCanaryToken() string { return detect.NewCanaryToken() }

// PlantCanary returns systemPrompt with a sentence carrying token appended,
// worded so that a model has no reason to repeat it.
func PlantCanary(systemPrompt, token string) string { return detect.PlantCanary(systemPrompt, token) }
