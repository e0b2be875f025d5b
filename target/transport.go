package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

const (
	// maxResponseBytes bounds what is read from a target: its replies are
	// attacker-controlled and must not exhaust memory.
	maxResponseBytes = 32 << 20
	// errorBodyBytes is how much of a failed response an HTTPError keeps.
	errorBodyBytes = 512
	// backoffBase and backoffCap shape the exponential backoff.
	backoffBase = 500 * time.Millisecond
	backoffCap  = 30 * time.Second
	// maxRetryAfter is the longest Retry-After honoured; a server asking
	// for more is reported instead of waited for.
	maxRetryAfter = 2 * time.Minute
	redacted      = "[REDACTED]"
)

// ErrBadResponse marks a successful response that could not be read as a
// reply: not JSON, no choices, a missing response path. Test with errors.Is.
var ErrBadResponse = errors.New("unreadable response")

// HTTPError is a response with a non-success status.
type HTTPError struct {
	// Method and URL identify the request (secrets redacted).
	Method string
	URL    string
	// Status is the HTTP status code.
	Status int
	// Body is the start of the response body (at most 512 bytes), with
	// every known secret replaced by [REDACTED].
	Body string
	// KeyEnv names the environment variable of the API key, for the hint.
	KeyEnv string
	// RetryAfter is the wait the server asked for, if any.
	RetryAfter time.Duration
}

// Error says which request failed, how, and what to check.
func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: status %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	if h := e.Hint(); h != "" {
		b.WriteString("; ")
		b.WriteString(h)
	}
	return b.String()
}

// Hint suggests what to fix for the status, or returns "".
func (e *HTTPError) Hint() string {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		if e.KeyEnv != "" {
			return "check the API key in environment variable " + e.KeyEnv
		}
		return "check the credentials the target expects (api_key_env or headers)"
	case e.Status == http.StatusNotFound:
		return "check the base URL (OpenAI-compatible servers usually end in /v1) and the model name"
	case e.Status == http.StatusTooManyRequests:
		return "rate limited: lower rps or max_in_flight, or check the account's quota"
	case e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity:
		return "the server rejected the request; check the model name and parameters such as max_tokens and temperature"
	case e.Status >= 500:
		return "the server failed; try again later or check its logs"
	}
	return ""
}

// ConnError is a request that got no HTTP response: the host could not be
// reached, the connection broke, or no answer came within the timeout.
type ConnError struct {
	// Method and URL identify the request (secrets redacted).
	Method string
	URL    string
	// Timeout is set when the request ran out of time.
	Timeout time.Duration
	// Err is the underlying network error.
	Err error
}

// Error says which URL failed and what to check.
func (e *ConnError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("no answer from %s within %s: %v; is the server overloaded, or the timeout too short?", e.URL, e.Timeout, e.Err)
	}
	return fmt.Sprintf("cannot reach %s: %v; is the server running?", e.URL, e.Err)
}

// Unwrap returns the network error.
func (e *ConnError) Unwrap() error { return e.Err }

// response is a successful HTTP exchange, body fully read.
type response struct {
	Header  http.Header
	Body    []byte
	Latency time.Duration
}

// transport is what every provider call goes through: in-flight cap, rate
// limit, per-attempt timeout, retries with backoff, usage accounting and
// redaction of secrets from errors.
type transport struct {
	client  *http.Client
	timeout time.Duration
	retries int
	limiter *rate.Limiter // nil: no limit
	slots   chan struct{} // nil: no cap
	logger  *slog.Logger
	sleep   func(context.Context, time.Duration) error
	jitter  func(time.Duration) time.Duration
	keyEnv  string
	target  string
	// secrets are values that must never appear in errors or logs.
	secrets *strings.Replacer
	// noTimeoutRetry stops retries of requests that timed out: the server
	// may have processed them, and a stateful app would see the turn twice.
	noTimeoutRetry bool

	promptTokens, completionTokens atomic.Int64
}

// newTransport applies the shared settings of s. secrets are redacted
// from every error and reply; so are the credentials in the URLs s
// configures. Empty and very short secrets are ignored, since redacting
// them would mangle ordinary text.
func newTransport(s Settings, o *Env, keyEnv string, secrets []string) *transport {
	c := s.Base()
	t := &transport{
		client:  o.client,
		timeout: time.Duration(c.Timeout),
		retries: DefaultRetries,
		logger:  o.logger,
		sleep:   o.sleep,
		jitter:  o.jitter,
		keyEnv:  keyEnv,
		target:  displayName(s),
	}
	if t.timeout == 0 {
		t.timeout = DefaultTimeout
	}
	if c.Retries != nil {
		t.retries = max(*c.Retries, 0) // Validate rejected negatives
	}
	if c.RPS > 0 {
		t.limiter = rate.NewLimiter(rate.Limit(c.RPS), 1)
	}
	switch {
	case c.MaxInFlight == 0:
		t.slots = make(chan struct{}, DefaultMaxInFlight)
	case c.MaxInFlight > 0:
		t.slots = make(chan struct{}, c.MaxInFlight)
	}
	secrets = slices.Clone(secrets)
	if u, ok := s.(interface{ configuredURLs() []string }); ok {
		for _, raw := range u.configuredURLs() {
			secrets = append(secrets, urlSecrets(raw)...)
		}
	}
	t.secrets = secretReplacer(secrets)
	return t
}

// postJSON sends v as a JSON POST with header through do, parses the body
// with parse, and records the reply's latency and usage: the request cycle
// the model-API providers share.
func (t *transport) postJSON(ctx context.Context, url string, header http.Header, v any, parse func([]byte) (Reply, error)) (Reply, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return Reply{}, fmt.Errorf("encoding request: %w", err)
	}
	res, err := t.do(ctx, http.MethodPost, url, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		r.Header = header.Clone()
		return r, nil
	})
	if err != nil {
		return Reply{}, err
	}
	reply, err := parse(res.Body)
	if err != nil {
		return Reply{}, t.parseError(url, err, res.Body)
	}
	reply.Latency = res.Latency
	t.addUsage(reply.Usage)
	t.redactReply(&reply)
	return reply, nil
}

// urlSecrets returns the credentials a URL carries literally: the password
// of its user info and the values of query parameters whose names say they
// are keys or tokens. They are redacted like API keys.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	for name, vals := range u.Query() {
		if credentialParam(name) {
			out = append(out, vals...)
		}
	}
	return out
}

// redact removes every known secret from s.
func (t *transport) redact(s string) string { return t.secrets.Replace(s) }

// acquire waits for a free in-flight slot and then for the rate limiter.
// Both waits end as soon as ctx is done. The caller must call release.
func (t *transport) acquire(ctx context.Context) (release func(), err error) {
	release = func() {}
	if t.slots != nil {
		select {
		case t.slots <- struct{}{}:
			release = func() { <-t.slots }
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a free request slot: %w", ctx.Err())
		}
	}
	if t.limiter != nil {
		if err := t.limiter.Wait(ctx); err != nil {
			release()
			return nil, fmt.Errorf("waiting for the rate limit (rps): %w", err)
		}
	}
	return release, nil
}

// addUsage adds provider-reported tokens to the running total.
func (t *transport) addUsage(u Usage) {
	t.promptTokens.Add(int64(u.PromptTokens))
	t.completionTokens.Add(int64(u.CompletionTokens))
}

// usage returns the running total.
func (t *transport) usage() Usage {
	return Usage{PromptTokens: int(t.promptTokens.Load()), CompletionTokens: int(t.completionTokens.Load())}
}

// do sends the request made by newReq, retrying transient failures. newReq
// is called once per attempt, with the attempt's context, so bodies can be
// re-read. The result's body is complete; non-2xx statuses are *HTTPError.
func (t *transport) do(ctx context.Context, method, rawURL string, newReq func(context.Context) (*http.Request, error)) (response, error) {
	safeURL := t.redact(rawURL)
	return retry(ctx, t, safeURL, func() (response, bool, error) {
		res, err := t.attempt(ctx, method, safeURL, newReq)
		return res, false, err
	})
}

// retry calls try until it succeeds, fails in a way not worth retrying,
// or the retries are spent, waiting between attempts as retryWait says.
// try reports final when its error must not be retried whatever it is (a
// streamed reply that had begun). The one retry loop of every request.
func retry[T any](ctx context.Context, t *transport, safeURL string, try func() (v T, final bool, err error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, final, err := try()
		if err == nil {
			return v, nil
		}
		wait, ok := time.Duration(0), false
		if !final {
			wait, ok = t.retryWait(ctx, attempt, err)
		}
		if !ok {
			if attempt > 0 {
				return v, fmt.Errorf("after %d attempts: %w", attempt+1, err)
			}
			return v, err
		}
		// Debug, not warn: a target that is down makes every worker retry
		// at once; the run's breaker and summary say what matters.
		t.logger.LogAttrs(ctx, slog.LevelDebug, "retrying request",
			slog.String("target", t.target), slog.String("url", safeURL),
			slog.Int("attempt", attempt+1), slog.Duration("wait", wait), slog.String("error", err.Error()))
		if serr := t.sleep(ctx, wait); serr != nil {
			return v, fmt.Errorf("stopped waiting to retry: %w (last error: %v)", serr, err)
		}
	}
}

// retryWait decides whether err deserves another attempt and how long to
// wait first: the server's Retry-After when given, else exponential
// backoff with full jitter.
func (t *transport) retryWait(ctx context.Context, attempt int, err error) (time.Duration, bool) {
	if attempt >= t.retries || ctx.Err() != nil {
		return 0, false
	}
	var he *HTTPError
	var ce *ConnError
	switch {
	case errors.As(err, &he):
		if he.Status != http.StatusTooManyRequests && he.Status != http.StatusRequestTimeout && he.Status < 500 {
			return 0, false
		}
		if he.Status == http.StatusNotImplemented || he.Status == http.StatusHTTPVersionNotSupported {
			return 0, false
		}
		if he.RetryAfter > maxRetryAfter {
			return 0, false
		}
		if he.RetryAfter > 0 {
			return he.RetryAfter, true
		}
	case errors.As(err, &ce):
		if ce.Timeout > 0 && t.noTimeoutRetry {
			return 0, false
		}
	default:
		return 0, false
	}
	ceiling := min(backoffBase<<attempt, backoffCap)
	return t.jitter(ceiling), true
}

// attempt makes one request, holding a slot for its whole duration.
func (t *transport) attempt(ctx context.Context, method, safeURL string, newReq func(context.Context) (*http.Request, error)) (response, error) {
	release, err := t.acquire(ctx)
	if err != nil {
		return response{}, err
	}
	defer release()
	actx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := newReq(actx)
	if err != nil {
		return response{}, fmt.Errorf("building request for %s: %w", safeURL, err)
	}
	// net/http would refuse a header it cannot send with an error that
	// reads like a network failure, and be retried; this is permanent.
	if err := checkHeaders(req.Header); err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, safeURL, err)
	}
	start := time.Now()
	resp, err := t.client.Do(req)
	if err != nil {
		return response{}, t.connError(ctx, actx, method, safeURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	latency := time.Since(start)
	if err != nil {
		return response{}, t.connError(ctx, actx, method, safeURL, err)
	}
	if len(body) > maxResponseBytes {
		return response{}, fmt.Errorf("%s %s: response larger than %d bytes", method, safeURL, maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return response{}, &HTTPError{
			Method:     method,
			URL:        safeURL,
			Status:     resp.StatusCode,
			Body:       truncateUTF8(t.redact(string(body)), errorBodyBytes),
			KeyEnv:     t.keyEnv,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	return response{Header: resp.Header, Body: body, Latency: latency}, nil
}

// connError classifies a failure without a response. A cancelled parent
// context is returned as such (never retried); the attempt's own timeout
// and network failures become *ConnError.
func (t *transport) connError(ctx, actx context.Context, method, safeURL string, err error) error {
	// url.Error repeats the method and the URL (unredacted): keep its cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	err = errors.New(t.redact(err.Error()))
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", method, safeURL, context.Cause(ctx))
	}
	ce := &ConnError{Method: method, URL: safeURL, Err: err}
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		ce.Timeout = t.timeout
	}
	return ce
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date relative to now. It returns 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		// Cap before multiplying so a huge value cannot overflow.
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fullJitter returns a random wait in [0, ceiling): full jitter spreads
// retries from many workers so they do not hit the server together.
func fullJitter(ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling)
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune and
// replaces invalid UTF-8.
func truncateUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// snippet is the start of a body, for errors about unreadable responses.
func (t *transport) snippet(body []byte) string {
	return truncateUTF8(t.redact(strings.TrimSpace(string(body))), 120)
}

// parseError reports a successful response that could not be read. The
// message is redacted whole, because parsers quote what the server said.
func (t *transport) parseError(rawURL string, err error, body []byte) error {
	return fmt.Errorf("response from %s: %w: %s (body starts %q)", t.redact(rawURL), ErrBadResponse, t.redact(err.Error()), t.snippet(body))
}
