package target

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fuzzURLTemplates are url settings the templating fuzz renders. Each puts
// values somewhere else: path segments, query values, inside a segment,
// under a condition, after urlquery.
var fuzzURLTemplates = []string{
	"http://app.example.test/chat/{{.Session}}/messages?q={{.Prompt}}&v=1",
	"https://app.example.test:8443/a/{{urlquery .Session}}?s={{urlquery .Prompt}}",
	"http://app.example.test/c{{if .Session}}/{{.Session}}{{end}}?x={{.Session | urlquery}}",
	"http://bot@app.example.test/v1/{{.Prompt}}.json#{{.Session}}",
	"http://app.example.test/{{printf \"%s-%s\" .Session .Prompt}}/end",
}

// placeholder marks where values go when rendering a template's shape.
const placeholder = "PLACEHOLDER"

// urlShape is what values must never change: scheme, user, host, the path
// segments written in the template, and the query's keys.
type urlShape struct {
	scheme, user, host string
	segments           []string // "" where a value goes
	queryKeys          []string
}

func shapeOf(t testing.TB, raw string, valueSegs []bool) urlShape {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("rendered URL %q does not parse: %v", raw, err)
	}
	s := urlShape{scheme: u.Scheme, user: u.User.String(), host: u.Host}
	for i, seg := range strings.Split(u.EscapedPath(), "/") {
		if valueSegs != nil && valueSegs[i] {
			seg = ""
		}
		s.segments = append(s.segments, seg)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		t.Fatalf("rendered query of %q does not parse: %v", raw, err)
	}
	for k := range q {
		s.queryKeys = append(s.queryKeys, k)
	}
	slices.Sort(s.queryKeys)
	return s
}

// FuzzHTTPTemplates renders arbitrary prompts and session values through
// url, header and body templates. Nothing may panic; a request that is
// built has the template's scheme, host, literal path segments and query
// keys, a body that is valid JSON, and header values that can be sent; a
// request that is refused is refused for a dot segment or a header value.
func FuzzHTTPTemplates(f *testing.F) {
	f.Add("hello", "s1", uint8(0))
	f.Add("a/../../admin?role=admin#x", "abc/../../admin?role=admin", uint8(0))
	f.Add("..", "..", uint8(1))
	f.Add("%2e%2e/%2F", ".", uint8(2))
	f.Add("line\r\nX-Evil: 1", "s\x00\x7f", uint8(3))
	f.Add("{{.Session}} ${HOME}", "é\xff🙂", uint8(4))
	f.Add("@evil.example:80/", "evil.example", uint8(4))
	targets := make([]*httpTarget, len(fuzzURLTemplates))
	for i, u := range fuzzURLTemplates {
		tg, err := New(Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: u, Headers: map[string]string{"X-Session": "{{.Session}}", "X-Prompt": "p={{.Prompt}}"}, Body: `{"q": {{json .Prompt}}, "m": {{json .Messages}}, "s": {{json .Session}}, "n": 1}`, Session: SessionConfig{Mode: SessionGenerate}}})
		if err != nil {
			f.Fatalf("template %q: %v", u, err)
		}
		targets[i] = tg.(*httpTarget)
	}
	// shape renders the template's shape for the values given: each
	// non-empty value becomes the placeholder, so a template's conditions
	// ({{if .Session}}) take the same branch as with the real values.
	shape := func(t *testing.T, h *httpTarget, prompt, session string) urlShape {
		mark := func(v string) string {
			if v == "" {
				return ""
			}
			return placeholder
		}
		ref, err := render(h.url, templateData{Prompt: mark(prompt), Session: mark(session)})
		if err != nil {
			t.Fatal(err)
		}
		return shapeOf(t, ref, nil)
	}
	f.Fuzz(func(t *testing.T, prompt, session string, which uint8) {
		i := int(which) % len(targets)
		h := targets[i]
		conv := Conversation{{Role: RoleSystem, Content: session}, {Role: RoleUser, Content: prompt}}
		req, err := h.build(conv, httpSession{value: session})
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, "rendered url") && !strings.Contains(msg, "headers.X-") {
				t.Fatalf("template %q, prompt %q, session %q: unexpected error %v", fuzzURLTemplates[i], prompt, session, err)
			}
			return
		}
		want := shape(t, h, prompt, session)
		var valueSegs []bool
		for _, seg := range want.segments {
			valueSegs = append(valueSegs, strings.Contains(seg, placeholder))
		}
		got := shapeOf(t, req.url, nil)
		if len(got.segments) != len(want.segments) {
			t.Fatalf("template %q with prompt %q, session %q rendered %q: %d path segments, want %d",
				fuzzURLTemplates[i], prompt, session, req.url, len(got.segments), len(want.segments))
		}
		got = shapeOf(t, req.url, valueSegs)
		for j, seg := range want.segments {
			if valueSegs[j] {
				want.segments[j] = ""
			} else if got.segments[j] != seg {
				t.Fatalf("rendered %q: segment %d is %q, want %q", req.url, j, got.segments[j], seg)
			}
		}
		if got.scheme != want.scheme || got.user != want.user || got.host != want.host || !slices.Equal(got.queryKeys, want.queryKeys) {
			t.Fatalf("template %q with prompt %q, session %q rendered %q: shape %+v, want %+v",
				fuzzURLTemplates[i], prompt, session, req.url, got, want)
		}
		if i == 0 {
			// Values come back exactly, whatever bytes they hold.
			u, _ := url.Parse(req.url)
			segs := strings.Split(u.EscapedPath(), "/")
			if s, _ := url.PathUnescape(segs[2]); s != session || u.Query().Get("q") != prompt {
				t.Fatalf("rendered %q does not carry session %q and prompt %q back", req.url, session, prompt)
			}
		}
		if !json.Valid(req.body) {
			t.Fatalf("body is not JSON for prompt %q, session %q: %s", prompt, session, req.body)
		}
		if err := checkHeaders(req.header); err != nil {
			t.Fatalf("built a request with a header that cannot be sent: %v", err)
		}
		if _, err := http.NewRequest(http.MethodPost, req.url, nil); err != nil {
			t.Fatalf("net/http refuses the rendered URL %q: %v", req.url, err)
		}
	})
}

// FuzzSessions reads the session from arbitrary responses: a session path
// over arbitrary JSON (mode response) and arbitrary Set-Cookie headers
// (mode cookie). Nothing may panic; a session read from JSON is the
// string at the path; only the configured cookie is kept, as sent; and the
// next request is either built with the cookie as received or refused
// with an error about the cookie.
func FuzzSessions(f *testing.F) {
	f.Add([]byte(`{"data":{"session":"abc"}}`), "data.session", "sid=abc; Path=/; HttpOnly")
	f.Add([]byte(`{"data":{"session":12.50}}`), "data.session", "other=1")
	f.Add([]byte(`{"a.b":[{"s":"x/../y"}]}`), `a\.b.-1.s`, `sid="quoted value"`)
	f.Add([]byte(`[1,2,{"s":null}]`), "2.s", "sid=; Max-Age=-1")
	f.Add([]byte(`not json`), "s", "sid=a\x00b")
	f.Add([]byte(`{"s":"\u0000\r\n"}`), "s", "SID=upper; sid=lower")
	f.Fuzz(func(t *testing.T, body []byte, path, setCookie string) {
		if _, err := parsePath(path); err == nil {
			tg, err := New(Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://app.example.test/chat/{{.Session}}?s={{.Session}}", Body: `{"s": {{json .Session}}}`, Session: SessionConfig{Mode: SessionResponse, Path: path}}})
			if err != nil {
				t.Fatalf("path %q: %v", path, err)
			}
			h := tg.(*httpTarget)
			_, err = h.read("c", httpSession{}, response{Body: body})
			st := h.state("c")
			if err == nil {
				doc, derr := decodeJSON(body)
				if derr != nil {
					t.Fatalf("read accepted a body that is not JSON: %q", body)
				}
				v, lerr := h.sessPath.lookup(doc)
				if lerr != nil {
					t.Fatalf("read succeeded but path %q does not resolve in %s: %v", path, body, lerr)
				}
				if s, ok := v.(string); ok && st.value != s {
					t.Fatalf("session %q, want %q from %s", st.value, s, body)
				}
			}
			if req, err := h.build(userConv("x"), st); err == nil {
				if !json.Valid(req.body) {
					t.Fatalf("body %q is not JSON", req.body)
				}
				if u, err := url.Parse(req.url); err != nil || u.Host != "app.example.test" || len(strings.Split(u.EscapedPath(), "/")) != 3 {
					t.Fatalf("session %q gave URL %q", st.value, req.url)
				}
			}
		}

		tg, err := New(Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://app.example.test/chat", Body: `{"q": {{json .Prompt}}}`, Session: SessionConfig{Mode: SessionCookie, Cookie: "sid"}}})
		if err != nil {
			t.Fatal(err)
		}
		h := tg.(*httpTarget)
		res := response{Header: http.Header{"Set-Cookie": {setCookie}}, Body: []byte("ok")}
		if _, err := h.read("c", httpSession{cookies: map[string]string{}}, res); err != nil {
			t.Fatalf("a cookie-mode read failed: %v", err)
		}
		st := h.state("c")
		for name := range st.cookies {
			if name != "sid" {
				t.Fatalf("cookie %q kept; only sid should be", name)
			}
		}
		if v, ok := st.cookies["sid"]; ok && st.value != v {
			t.Fatalf(".Session %q differs from the kept cookie %q", st.value, v)
		}
		req, err := h.build(userConv("x"), st)
		if err != nil {
			if !strings.Contains(err.Error(), "session cookie") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		sent := (&http.Request{Header: req.header}).Cookies()
		if v, ok := st.cookies["sid"]; ok {
			if len(sent) != 1 || sent[0].Name != "sid" || sent[0].Value != v {
				t.Fatalf("kept sid=%q but sent %v (Set-Cookie %q)", v, sent, setCookie)
			}
		} else if len(sent) != 0 {
			t.Fatalf("sent cookies %v though none was kept", sent)
		}
	})
}
