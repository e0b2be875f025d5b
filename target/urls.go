package target

import (
	"fmt"
	"net/url"
	"strings"
)

// endpointURL joins a configured API root and an endpoint path, keeping
// the root's query: "http://h/v1?api_key=K" and "/chat/completions" give
// "http://h/v1/chat/completions?api_key=K", not a path glued after the
// query. path is in escaped form (segments already percent-encoded).
// query parameters are merged into the root's own; a parameter the root
// already has is replaced, since the provider's value (Azure's configured
// api-version) is the one the caller asked for. A fragment, meaningless to
// a server, is dropped.
func endpointURL(base, path string, query url.Values) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("invalid URL %q: %w", base, err)
	}
	joined := strings.TrimRight(u.EscapedPath(), "/") + "/" + strings.TrimLeft(path, "/")
	unescaped, err := url.PathUnescape(joined)
	if err != nil {
		return "", fmt.Errorf("invalid path in URL %q: %w", base, err)
	}
	u.Path, u.RawPath = unescaped, joined
	u.Fragment, u.RawFragment = "", ""
	if len(query) > 0 {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return "", fmt.Errorf("invalid query in URL %q: %w", base, err)
		}
		for k, vs := range query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	// A trailing "?" with nothing after it is noise.
	u.ForceQuery = false
	return u.String(), nil
}

// hasQueryParam reports whether the URL raw has the query parameter name.
func hasQueryParam(raw, name string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Query().Has(name)
}
