package target

import (
	"encoding/json"
	"net/url"
	"regexp"
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

// Storing settings (Settings.WithoutSecrets) needs to tell what may be a
// secret without knowing: these helpers err on the side of dropping.

// envRefsOnly keeps the values of m that are exactly one ${VAR} reference
// (the variable's name is no secret), and returns the keys of the others
// as prefix.key.
func envRefsOnly(prefix string, m map[string]string) (map[string]string, []string) {
	var (
		out      map[string]string
		withheld []string
	)
	for k, v := range m {
		if v != "" && envRef.FindString(v) == v {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
			continue
		}
		withheld = append(withheld, prefix+"."+k)
	}
	slices.Sort(withheld)
	return out, withheld
}

// urlWithoutSecrets removes the credentials a URL (or a url template)
// carries literally: its user info, and query parameters whose names say
// they are keys or tokens, unless their value is only ${VAR} references
// and template actions (which take it from elsewhere). The rest is kept
// byte for byte, since re-encoding would break a template's {{...}}.
func urlWithoutSecrets(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		authority = authority[at+1:]
	}
	path, query, hasQuery := strings.Cut(tail, "?")
	if !hasQuery {
		return scheme + "://" + authority + path
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	var kept []string
	for _, part := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if credentialParam(name) && literalText(value) != "" {
			continue
		}
		kept = append(kept, part)
	}
	out := scheme + "://" + authority + path
	if len(kept) > 0 {
		out += "?" + strings.Join(kept, "&")
	}
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// credentialParam reports whether a query parameter's name says its value
// is a credential.
func credentialParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"key", "token", "secret", "sig", "pass", "auth", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "code"
}

// mayHoldSecret reports whether a template or command line may carry a
// literal credential: a key-like word, or a long random-looking token
// (API keys are 20 or more letters and digits), outside ${VAR} references
// and template actions, which take their values from elsewhere.
func mayHoldSecret(s string) bool {
	s = literalText(s)
	lower := strings.ToLower(s)
	for _, w := range []string{"key", "token", "secret", "passw", "auth", "bearer", "credential"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	for _, tok := range tokenLike.FindAllString(s, -1) {
		var digits, letters int
		for _, r := range tok {
			switch {
			case '0' <= r && r <= '9':
				digits++
			case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
				letters++
			}
		}
		if digits >= 3 && letters >= 3 {
			return true
		}
	}
	return false
}

// literalText is s without its ${VAR} references and template actions:
// what the configuration itself writes.
func literalText(s string) string {
	return templateAction.ReplaceAllString(envRef.ReplaceAllString(s, ""), "")
}

var (
	templateAction = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tokenLike      = regexp.MustCompile(`[A-Za-z0-9_\-]{20,}`)
)
