package target

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// minSecretLen is the shortest value redacted: replacing every "ab" of a
// reply because a test key was "ab" would mangle ordinary text.
const minSecretLen = 4

// secretReplacer returns a replacer of every known secret by [REDACTED].
// Each secret is also matched in the forms it takes when a server or a
// program quotes it: inside a JSON string (tool-call arguments, a JSON
// body echoed back) and percent-encoded (a URL echoed back).
func secretReplacer(secrets []string) *strings.Replacer {
	var all []string
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		all = append(all, s, url.QueryEscape(s), url.PathEscape(s), jsonStringBody(s, true), jsonStringBody(s, false))
	}
	// Longest first, so a secret containing another is redacted whole.
	slices.SortFunc(all, func(a, b string) int { return len(b) - len(a) })
	all = slices.Compact(all)
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, redacted)
	}
	return strings.NewReplacer(pairs...)
}

// credentialParts returns a credential header's value and, for a value of
// the form "Scheme token" (Bearer, Basic, Token ...), the token alone,
// which is what a server echoing the credential usually quotes.
func credentialParts(v string) []string {
	out := []string{v}
	if scheme, token, ok := strings.Cut(strings.TrimSpace(v), " "); ok && scheme != "" && !strings.ContainsAny(scheme, "=,;") {
		out = append(out, strings.TrimSpace(token))
	}
	return out
}

// redactReply removes every known secret from what a target returned. A
// reply is stored, reported and shown to judges; an app that echoes its
// API key (a prompt-leak probe's very goal) must not put the key there.
func (t *transport) redactReply(r *Reply) {
	r.Content = t.redact(r.Content)
	for i := range r.ToolCalls {
		tc := &r.ToolCalls[i]
		tc.ID, tc.Name, tc.Arguments = t.redact(tc.ID), t.redact(tc.Name), t.redact(tc.Arguments)
	}
	for i := range r.Context {
		r.Context[i] = t.redact(r.Context[i])
	}
}

// jsonStringBody is s as it appears inside a JSON string, with or without
// the HTML escapes (\u003c ...) that some encoders add.
func jsonStringBody(s string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}
