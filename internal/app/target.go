package app

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/target"
)

// storableTarget returns the target configuration with anything that may be
// a secret removed, because the run record is written to the store and to
// results.json: header and environment values are kept only when they are
// pure environment references like ${API_TOKEN}; URLs lose their user info
// and query; request bodies and commands are kept only when nothing in them
// looks like a credential (see bodyMayHoldSecret). API keys are never in a Config: it names the variable that
// holds them. A resumed run whose target needs what was dropped reads it
// again from its config file, or from the target flags given again.
func storableTarget(c target.Config) *target.Config {
	c.Headers = envRefsOnly(c.Headers)
	c.Env = envRefsOnly(c.Env)
	c.BaseURL = stripURLSecrets(c.BaseURL)
	c.URL = stripURLSecrets(c.URL)
	if bodyMayHoldSecret(c.Body) {
		c.Body = ""
	}
	if bodyMayHoldSecret(strings.Join(c.Command, " ")) {
		c.Command = nil
	}
	return &c
}

// bodyMayHoldSecret reports whether a request body template may carry a
// literal credential: a secret the detectors recognise, or a key-like word
// (the value itself may look like anything). Templates that take secrets
// from ${VAR} references are kept.
func bodyMayHoldSecret(body string) bool {
	if len(detect.Secrets{}.Scan(body)) > 0 {
		return true
	}
	lower := strings.ToLower(envRefRe.ReplaceAllString(body, ""))
	for _, w := range []string{"key", "token", "secret", "passw", "auth", "bearer", "credential"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// envRefRe matches a ${VAR} environment reference.
var envRefRe = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}`)

// stripURLSecrets removes user info and the query from a URL.
func stripURLSecrets(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return ""
	}
	u.User, u.RawQuery, u.ForceQuery = nil, "", false
	return u.String()
}

// envRefsOnly keeps the values that are exactly one ${VAR} reference.
func envRefsOnly(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if envRefRe.FindString(v) == v && v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// targetComplete reports whether a stored target configuration has all a
// resume needs: storableTarget drops an exec target's command, and an http
// target's URL or body when they may hold secrets.
func targetComplete(c target.Config) bool {
	switch c.Type {
	case target.TypeExec:
		return len(c.Command) > 0
	case target.TypeHTTP:
		return c.URL != "" && c.Body != ""
	}
	return true
}
