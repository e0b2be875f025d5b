package target

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"text/template"
)

// TypeHTTP selects the templated HTTP provider, for an application's own
// API.
const TypeHTTP = "http"

func init() {
	Register(Provider{
		Type:     TypeHTTP,
		Settings: func() Settings { return &HTTPConfig{} },
		New:      func(s Settings, e *Env) (Target, error) { return newHTTP(s.(*HTTPConfig), e) },
	})
}

// HTTPConfig is the configuration of the http type: an application's own
// endpoint, reached through templates.
type HTTPConfig struct {
	Common `yaml:",inline"`
	// Method is the HTTP method. Default POST.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// URL is the endpoint, a template like Body. What a template prints
	// into it is percent-encoded, so a prompt or session value cannot
	// change the URL's structure.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Headers are request headers; values are templates like Body.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is the request body, a Go text/template with the fields .Prompt
	// (the last user message), .Messages (the whole conversation) and
	// .Session (the session value), and the function json, which encodes
	// any value as JSON: {"q": {{json .Prompt}}} stays valid JSON whatever
	// the prompt holds. ${VAR} references the environment.
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// ResponsePath picks the reply out of a JSON response, as dot-separated
	// keys and array indexes: "choices.0.message.content", "data.reply",
	// "messages.-1.text" (negative indexes count from the end; write \. for
	// a dot inside a key). Empty: the whole body is the reply.
	ResponsePath string `yaml:"response_path,omitempty" json:"response_path,omitempty"`
	// ContextPath optionally picks the documents a RAG app retrieved (a
	// string or an array) out of the JSON response into Reply.Context.
	ContextPath string `yaml:"context_path,omitempty" json:"context_path,omitempty"`
	// Session keeps per-conversation state for stateful apps.
	Session SessionConfig `yaml:"session,omitempty" json:"session,omitzero"`
}

// Session modes for SessionConfig.Mode.
const (
	// SessionGenerate makes a random ID per conversation, available to the
	// templates as .Session.
	SessionGenerate = "generate"
	// SessionResponse reads the session value from the first response (at
	// SessionConfig.Path) and sends it back as .Session on later turns.
	SessionResponse = "response"
	// SessionCookie keeps the cookie named SessionConfig.Cookie (all
	// cookies when empty) per conversation.
	SessionCookie = "cookie"
)

// SessionConfig tells the http type how a stateful app tracks a
// conversation. State is kept per SessionID of the Send context; a Send
// without one is a conversation of its own.
type SessionConfig struct {
	// Mode is generate, response or cookie; empty means stateless.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Path is the response path of the session value (mode response).
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Cookie is the cookie to keep (mode cookie).
	Cookie string `yaml:"cookie,omitempty" json:"cookie,omitempty"`
}

// defaultHTTPBody is the body of an http target given by --base-url alone.
const defaultHTTPBody = `{"prompt": {{json .Prompt}}}`

// Validate implements Settings.
func (c *HTTPConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.URL == "" {
		bad("url is required for type http")
	}
	if m := c.Session.Mode; m != "" && m != SessionGenerate && m != SessionResponse && m != SessionCookie {
		bad("session.mode %q is unknown (want generate, response or cookie)", m)
	}
	if c.Session.Mode == SessionResponse && c.Session.Path == "" {
		bad("session.path is required with session.mode response")
	}
	for _, p := range []struct{ key, path string }{{"response_path", c.ResponsePath}, {"context_path", c.ContextPath}, {"session.path", c.Session.Path}} {
		if p.path == "" {
			continue
		}
		if _, err := parsePath(p.path); err != nil {
			bad("%s: %w", p.key, err)
		}
	}
	return errors.Join(errs...)
}

// DerivedName implements Settings.
func (c *HTTPConfig) DerivedName() string {
	if u, err := url.Parse(c.URL); err == nil && u.Host != "" {
		return TypeHTTP + ":" + u.Host
	}
	return TypeHTTP
}

// WithoutSecrets implements Settings: header values other than ${VAR}
// references, credentials in the URL, and a body that may hold a literal
// key are removed.
func (c *HTTPConfig) WithoutSecrets() (Settings, []string) {
	out := *c
	var withheld []string
	out.Headers, withheld = envRefsOnly("headers", c.Headers)
	if out.URL = urlWithoutSecrets(c.URL); out.URL != c.URL {
		withheld = append(withheld, "url")
	}
	if mayHoldSecret(c.Body) {
		out.Body = ""
		withheld = append(withheld, "body")
	}
	return &out, withheld
}

// Override implements Overrider: for an app endpoint the "base URL" of
// --base-url is the URL itself, and it gets a body that sends the prompt
// unless one is configured.
func (c *HTTPConfig) Override(key string, value any) (bool, error) {
	if key != "base_url" {
		return false, nil
	}
	s, ok := value.(string)
	if !ok {
		return true, fmt.Errorf("base_url: want a string, not %T", value)
	}
	c.URL = s
	if c.Body == "" {
		c.Body = defaultHTTPBody
	}
	return true, nil
}

// configuredURLs lists the URLs whose credentials the transport redacts.
func (c *HTTPConfig) configuredURLs() []string { return []string{c.URL} }

// httpTarget sends each conversation to an application endpoint through
// templates, for chatbots and agents that do not speak a model API.
type httpTarget struct {
	name    string
	method  string
	rawURL  string // for messages; the template source
	url     *template.Template
	headers map[string]*template.Template
	body    *template.Template // nil: no body
	// respPath, ctxPath and sessPath are nil when not configured.
	respPath, ctxPath, sessPath jsonPath
	session                     SessionConfig
	tr                          *transport

	mu       sync.Mutex
	sessions map[string]*httpSession
}

// httpSession is the state of one conversation.
type httpSession struct {
	value   string            // .Session in templates
	cookies map[string]string // mode cookie: cookies to send back
}

// templateData is what URL, header and body templates see.
type templateData struct {
	// Prompt is the last user message.
	Prompt string
	// Messages is the whole conversation.
	Messages Conversation
	// Session is the conversation's session value ("" without sessions).
	Session string
}

var (
	_ Target        = (*httpTarget)(nil)
	_ UsageReporter = (*httpTarget)(nil)
)

func newHTTP(cfg *HTTPConfig, o *Env) (*httpTarget, error) {
	h := &httpTarget{
		name:     displayName(cfg),
		method:   strings.ToUpper(cfg.Method),
		rawURL:   cfg.URL,
		headers:  map[string]*template.Template{},
		session:  cfg.Session,
		sessions: map[string]*httpSession{},
	}
	if h.method == "" {
		h.method = http.MethodPost
	}
	var (
		secrets []string
		err     error
	)
	// compile turns one setting into a template; ${VAR} references are
	// resolved now and inserted by a function, so a session value that
	// happens to contain "${...}" is never expanded.
	compile := func(where, src string) (*template.Template, error) {
		env := map[string]string{}
		var missing string
		src = envRef.ReplaceAllStringFunc(src, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v := o.getenv(name)
			if v == "" && missing == "" {
				missing = name
			}
			env[name] = v
			secrets = append(secrets, v)
			return fmt.Sprintf("{{envValue %q}}", name)
		})
		if missing != "" {
			return nil, fmt.Errorf("%s references ${%s}, which is not set", where, missing)
		}
		t, err := template.New(where).Option("missingkey=error").Funcs(template.FuncMap{
			"json":        jsonText,
			"envValue":    func(name string) string { return env[name] },
			urlEscapeFunc: urlEscapeArgs,
		}).Parse(src)
		if err != nil {
			return nil, fmt.Errorf("%s template: %w", where, err)
		}
		return t, nil
	}
	if h.url, err = compile("url", cfg.URL); err != nil {
		return nil, err
	}
	escapeURLTemplate(h.url)
	if err := h.checkURLTemplate(); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if cfg.Body != "" {
		if h.body, err = compile("body", cfg.Body); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Headers)) {
		v := cfg.Headers[name]
		if err := checkHeaderName(name); err != nil {
			return nil, fmt.Errorf("headers: %w", err)
		}
		if h.headers[name], err = compile("headers."+name, v); err != nil {
			return nil, err
		}
		if sensitiveHeader(name) && !strings.Contains(v, "{{") && !strings.Contains(v, "${") {
			secrets = append(secrets, credentialParts(v)...)
		}
	}
	if cfg.Body != "" && !hasHeader(cfg.Headers, "Content-Type") {
		h.headers["Content-Type"] = template.Must(template.New("ct").Parse("application/json"))
	}
	if err := h.checkHeaderTemplates(); err != nil {
		return nil, err
	}
	if err := h.checkJSONBody(); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		src string
		dst *jsonPath
	}{{cfg.ResponsePath, &h.respPath}, {cfg.ContextPath, &h.ctxPath}, {cfg.Session.Path, &h.sessPath}} {
		if p.src != "" {
			// Validate already checked the syntax.
			*p.dst, _ = parsePath(p.src)
		}
	}
	if m := cfg.Session.Mode; m == SessionGenerate || m == SessionResponse {
		all := cfg.URL + cfg.Body
		for _, v := range cfg.Headers {
			all += v
		}
		if !strings.Contains(all, ".Session") {
			return nil, fmt.Errorf("session.mode %s is set but no template uses .Session: put {{.Session}} in url, headers or body", m)
		}
	}
	h.tr = newTransport(cfg, o, "", secrets)
	// A stateful app may have taken a turn whose answer timed out; sending
	// it again would put it in the conversation twice.
	h.tr.noTimeoutRetry = cfg.Session.Mode != ""
	return h, nil
}

// Sample values rendered through the templates at New, to find mistakes
// before the first probe does. plainSample is what any template must
// handle; hostileSample holds what prompts do hold: quotes, backslashes,
// line breaks, tabs, control characters, non-ASCII text and template or
// URL syntax.
var (
	plainSample = templateData{
		Prompt:   "hello",
		Messages: Conversation{{Role: RoleUser, Content: "hello"}},
		Session:  "s1",
	}
	hostileSample = func() templateData {
		const s = "He said \"stop\" \\ C:\\dir\\ 'x'\nline two\r\n\ttab \x00\x01\x1b\x7f é 日本語 🙂 \u2028 </script> {{.Session}} ${HOME} ?a=1&b#c/../"
		return templateData{
			Prompt: s,
			Messages: Conversation{
				{Role: RoleSystem, Content: s},
				{Role: RoleUser, Content: s},
				{Role: RoleAssistant, Content: s, ToolCalls: []ToolCall{{ID: "c\"1", Name: "f\n", Arguments: `{"q": "` + "\x00" + `"}`}}},
				{Role: RoleTool, ToolCallID: "c\"1", Content: s},
				{Role: RoleUser, Content: s},
			},
			Session: s,
		}
	}()
)

// checkURLTemplate checks the url setting: an absolute http(s) URL whose
// scheme, user and host are the template's own. Values are escaped, but a
// template that prints one where the host goes ("http://{{.Session}}.app/")
// would still let the app's session value choose the host the request,
// with its credentials, goes to.
func (h *httpTarget) checkURLTemplate() error {
	a, errA := render(h.url, plainSample)
	other := plainSample
	other.Prompt, other.Session = "other", "s2-other"
	b, errB := render(h.url, other)
	if errA != nil || errB != nil {
		// A template that cannot render sample data (a field that
		// does not exist) fails at Send, where the error names it.
		return nil
	}
	if err := checkRenderedURL(a); err != nil {
		return err
	}
	ua, _ := url.Parse(a)
	ub, err := url.Parse(b)
	if err != nil || ua.Scheme != ub.Scheme || ua.Host != ub.Host || ua.User.String() != ub.User.String() {
		return fmt.Errorf("the scheme and host must be written in the template, not come from .Prompt, .Messages or .Session (put values in the path or the query)")
	}
	return nil
}

// checkHeaderTemplates renders the header templates with plain sample
// data, so a value that is invalid whatever the conversation (a line break
// written in the file or read from a ${VAR}) is a configuration error now,
// not a failure of every request.
func (h *httpTarget) checkHeaderTemplates() error {
	for _, name := range slices.Sorted(maps.Keys(h.headers)) {
		v, err := render(h.headers[name], plainSample)
		if err != nil {
			continue // reported at Send, naming the field
		}
		if err := checkHeaderValue(v); err != nil {
			return fmt.Errorf("headers.%s: the value %s (check the file and the ${VAR} it references)", name, err)
		}
	}
	return nil
}

// checkJSONBody checks that a JSON body template produces JSON whatever
// the prompt holds. `{"q": "{{.Prompt}}"}` looks right and works for a
// plain prompt, but a quote, a backslash or a line break in the prompt
// breaks the JSON, and most prompts of a red-team run hold one.
func (h *httpTarget) checkJSONBody() error {
	if h.body == nil || !h.sendsJSON() {
		return nil
	}
	const fix = `use {{json .Prompt}} (and {{json .Messages}}, {{json .Session}}) to insert values: it writes them as JSON, quotes included, as in {"q": {{json .Prompt}}}`
	plain, err := render(h.body, plainSample)
	if err != nil {
		return nil // reported at Send, naming the field
	}
	if err := jsonError([]byte(plain)); err != nil {
		return fmt.Errorf("body: the template is sent as JSON (Content-Type %s) but does not give valid JSON even for the prompt %q: %s; %s, or set headers.Content-Type if the app takes another format",
			h.contentType(), plainSample.Prompt, err, fix)
	}
	hostile, err := render(h.body, hostileSample)
	if err != nil {
		return nil
	}
	if err := jsonError([]byte(hostile)); err != nil {
		return fmt.Errorf("body: the template gives invalid JSON for a prompt holding quotes, backslashes, line breaks or control characters (%s); %s", err, fix)
	}
	return nil
}

// sendsJSON reports whether the body goes out as JSON: no Content-Type
// configured (application/json is added), or a JSON media type.
func (h *httpTarget) sendsJSON() bool {
	mt, _, err := mime.ParseMediaType(h.contentType())
	if err != nil {
		return false
	}
	return strings.HasSuffix(mt, "/json") || strings.HasSuffix(mt, "+json")
}

// contentType is the Content-Type header as configured, rendered with
// plain sample data, or "" when it cannot be rendered.
func (h *httpTarget) contentType() string {
	for name, t := range h.headers {
		if strings.EqualFold(name, "Content-Type") {
			v, _ := render(t, plainSample)
			return v
		}
	}
	return ""
}

// jsonError describes why b is not one JSON value, or returns nil.
func jsonError(b []byte) error {
	if _, err := decodeJSON(b); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%v, at byte %d", err, se.Offset)
		}
		return err
	}
	return nil
}

// hasHeader reports whether headers has name, case-insensitively.
func hasHeader(headers map[string]string, name string) bool {
	for k := range headers {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// jsonText encodes v as JSON text for templates. HTML characters are not
// escaped: the output goes into request bodies, not web pages.
func jsonText(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// Name implements Target.
func (h *httpTarget) Name() string { return h.name }

// EndSession implements SessionEnder: the conversation's session state is
// dropped.
func (h *httpTarget) EndSession(id string) {
	h.mu.Lock()
	delete(h.sessions, id)
	h.mu.Unlock()
}

var _ SessionEnder = (*httpTarget)(nil)

// Usage implements UsageReporter. Application endpoints do not report
// tokens, so it stays zero.
func (h *httpTarget) Usage() Usage { return h.tr.usage() }

// Send implements Target.
func (h *httpTarget) Send(ctx context.Context, conv Conversation) (Reply, error) {
	sid := SessionID(ctx)
	state := h.state(sid)
	req, err := h.build(conv, state)
	if err != nil {
		// Nothing was sent: a request that cannot be built is not retried.
		return Reply{}, err
	}
	res, err := h.tr.do(ctx, h.method, req.url, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, h.method, req.url, bytes.NewReader(req.body))
		if err != nil {
			return nil, err
		}
		if req.body == nil {
			r.Body, r.ContentLength = http.NoBody, 0
		}
		r.Header = req.header.Clone()
		return r, nil
	})
	if err != nil {
		return Reply{}, err
	}
	reply, err := h.read(sid, state, res)
	if err != nil {
		return Reply{}, h.tr.parseError(req.url, err, res.Body)
	}
	reply.Latency = res.Latency
	h.tr.redactReply(&reply)
	return reply, nil
}

// builtRequest is one rendered request.
type builtRequest struct {
	url    string
	header http.Header
	body   []byte // nil: no body
}

// build renders the request for conv in session state. Its errors are
// about this conversation's values (a prompt with a line break put in a
// header, a session of "..") or a template field that does not exist.
func (h *httpTarget) build(conv Conversation, state httpSession) (builtRequest, error) {
	data := templateData{Prompt: conv.LastUser(), Messages: conv, Session: state.value}
	var req builtRequest
	var err error
	if req.url, err = render(h.url, data); err != nil {
		return req, err
	}
	if err := checkRenderedURL(req.url); err != nil {
		return req, fmt.Errorf("rendered url: %s", h.tr.redact(err.Error()))
	}
	if h.body != nil {
		s, err := render(h.body, data)
		if err != nil {
			return req, err
		}
		req.body = []byte(s)
	}
	req.header = http.Header{}
	for name, t := range h.headers {
		v, err := render(t, data)
		if err != nil {
			return req, err
		}
		if err := checkHeaderValue(v); err != nil {
			return req, fmt.Errorf("headers.%s: the rendered value %s, which cannot be sent; a prompt or session value put in a header must be one line (encode it, e.g. {{json .Prompt}} or {{urlquery .Session}})", name, err)
		}
		req.header.Set(name, v)
	}
	for _, name := range slices.Sorted(maps.Keys(state.cookies)) {
		c := &http.Cookie{Name: name, Value: state.cookies[name]}
		if err := c.Valid(); err != nil {
			return req, fmt.Errorf("session cookie %q cannot be sent back: %w", name, err)
		}
		req.header.Add("Cookie", c.String())
	}
	return req, nil
}

// render executes a template; errors name the setting.
func render(t *template.Template, data templateData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("rendering %s template: %w", t.Name(), err)
	}
	return b.String(), nil
}

// state returns a snapshot of the session of conversation sid, creating it
// (with a fresh ID in mode generate) on first use. An empty sid is a
// conversation of its own and is not remembered.
func (h *httpTarget) state(sid string) httpSession {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.sessions[sid]
	if !ok {
		s = &httpSession{cookies: map[string]string{}}
		if h.session.Mode == SessionGenerate {
			s.value = newSessionID()
		}
		if sid != "" && h.session.Mode != "" {
			h.sessions[sid] = s
		}
	}
	snap := *s
	snap.cookies = maps.Clone(s.cookies)
	return snap
}

// read extracts the reply and updates the session of sid from a response.
func (h *httpTarget) read(sid string, prev httpSession, res response) (Reply, error) {
	var (
		doc     any
		decoded bool
		docErr  error
	)
	parsed := func() (any, error) {
		if !decoded {
			decoded = true
			if doc, docErr = decodeJSON(res.Body); docErr != nil {
				docErr = fmt.Errorf("the response is not JSON (%v); leave response_path empty to use the raw body", docErr)
			}
		}
		return doc, docErr
	}

	next := prev
	switch h.session.Mode {
	case SessionResponse:
		doc, err := parsed()
		if err != nil {
			return Reply{}, err
		}
		v, err := h.sessPath.lookup(doc)
		if err == nil {
			next.value, err = valueText(v)
		}
		if err != nil && prev.value == "" {
			return Reply{}, fmt.Errorf("session.path: %w", err)
		}
	case SessionCookie:
		for _, c := range (&http.Response{Header: res.Header}).Cookies() {
			if h.session.Cookie != "" && c.Name != h.session.Cookie {
				continue
			}
			if c.MaxAge < 0 {
				delete(next.cookies, c.Name)
				continue
			}
			next.cookies[c.Name] = c.Value
		}
		if h.session.Cookie != "" {
			next.value = next.cookies[h.session.Cookie]
		}
	}
	if sid != "" && h.session.Mode != "" {
		h.mu.Lock()
		h.sessions[sid] = &next
		h.mu.Unlock()
	}

	var reply Reply
	if h.respPath == nil {
		reply.Content = strings.TrimSpace(string(res.Body))
	} else {
		doc, err := parsed()
		if err != nil {
			return Reply{}, err
		}
		v, err := h.respPath.lookup(doc)
		if err != nil {
			return Reply{}, fmt.Errorf("response_path: %w", err)
		}
		if reply.Content, err = valueText(v); err != nil {
			return Reply{}, fmt.Errorf("response_path %q: %w", h.respPath.String(), err)
		}
	}
	if h.ctxPath != nil {
		doc, err := parsed()
		if err != nil {
			return Reply{}, err
		}
		// A reply without retrieved documents is normal: only a present
		// value that cannot be read is an error.
		if v, err := h.ctxPath.lookup(doc); err == nil && v != nil {
			items, ok := v.([]any)
			if !ok {
				items = []any{v}
			}
			for _, it := range items {
				s, err := valueText(it)
				if err != nil {
					return Reply{}, fmt.Errorf("context_path %q: %w", h.ctxPath.String(), err)
				}
				reply.Context = append(reply.Context, s)
			}
		}
	}
	return reply, nil
}

// newSessionID returns 128 random bits as hex.
func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// Stateful implements Stateful: with a session mode the app keeps the
// conversation on its side.
func (h *httpTarget) Stateful() bool { return h.session.Mode != "" }

var _ Stateful = (*httpTarget)(nil)
