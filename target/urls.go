package target

import (
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"text/template/parse"
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

// urlEscapeFunc is the function escapeURLTemplate inserts. The name cannot
// clash with a user's: the template language has no such function.
const urlEscapeFunc = "_redoubt_urlescape"

// escapeURLTemplate makes every value a url template prints go through
// urlEscape, so a prompt or a session value (both attacker-controlled)
// cannot change the URL's structure: no "/", "?", "&", "#" or "@" of a
// value reaches the URL unescaped. It rewrites the parsed templates the way
// html/template adds its escapers. An action that already ends in urlquery
// (the documented way before escaping was automatic) has urlquery replaced
// rather than followed, so "{{urlquery .Session}}" is escaped once; ${VAR}
// references (envValue) are configuration, not values, and print as they
// are, so "url: ${APP_URL}/chat" keeps working.
func escapeURLTemplate(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			escapeList(tt.Tree.Root)
		}
	}
}

func escapeList(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			escapePipe(n.Pipe)
		case *parse.IfNode:
			escapeList(n.List)
			escapeList(n.ElseList)
		case *parse.RangeNode:
			escapeList(n.List)
			escapeList(n.ElseList)
		case *parse.WithNode:
			escapeList(n.List)
			escapeList(n.ElseList)
		case *parse.ListNode:
			escapeList(n)
		}
	}
}

// escapePipe escapes what an action prints. A declaration ({{$x := ...}})
// prints nothing and is left alone.
func escapePipe(p *parse.PipeNode) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) == 0 {
		return
	}
	last := p.Cmds[len(p.Cmds)-1]
	if len(last.Args) > 0 {
		if id, ok := last.Args[0].(*parse.IdentifierNode); ok {
			switch id.Ident {
			case "envValue":
				if len(p.Cmds) == 1 {
					return
				}
			case "urlquery":
				id.Ident = urlEscapeFunc
				return
			case urlEscapeFunc:
				return
			}
		}
	}
	p.Cmds = append(p.Cmds, &parse.CommandNode{
		NodeType: parse.NodeCommand,
		Pos:      last.Pos,
		Args:     []parse.Node{parse.NewIdentifier(urlEscapeFunc).SetPos(last.Pos)},
	})
}

// urlEscapeArgs is the template function: its arguments are joined as
// urlquery joins them, then escaped by urlEscape.
func urlEscapeArgs(args ...any) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return urlEscape(s)
		}
	}
	return urlEscape(fmt.Sprint(args...))
}

// urlEscape percent-encodes every byte but the unreserved characters of
// RFC 3986 (letters, digits, "-", ".", "_", "~"): the result means the same
// in a path segment and in a query value, and can end neither.
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// checkRenderedURL checks a url template's output: an absolute http(s)
// URL whose path has no "." or ".." segment. Values are escaped, but "."
// is unreserved, so a session of ".." could still climb out of the path
// the template meant; a segment is also checked after decoding (a value of
// "../admin" arrives as "..%2Fadmin", which some servers decode before
// routing).
func checkRenderedURL(raw string) error {
	if err := checkURL(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw) // checkURL parsed it
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		for _, part := range strings.FieldsFunc(dec, func(r rune) bool { return r == '/' || r == '\\' }) {
			if part == "." || part == ".." {
				return fmt.Errorf("the path has a %q segment (in %q), which would change the path the url template names; a prompt or session value must not be a path segment of dots", part, seg)
			}
		}
	}
	return nil
}
