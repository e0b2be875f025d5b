package target

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/internal/wire"
)

// Streamer is implemented by targets that can stream a reply: the openai
// and anthropic providers. SendStream returns the same Reply as Send and
// calls onDelta with each piece of reply text as it arrives, so a caller
// can show progress or stop early.
//
// onDelta may be nil. An error from it ends the request and is returned
// as it is. The pieces are redacted like the Reply: a piece that could be
// the start of a known secret is held back until the following text shows
// whether it is one, so the pieces joined equal Reply.Content. Tool calls
// and usage arrive only in the Reply, as do refusals (OpenAI's refusal
// field).
//
// A streamed request is retried like any other until the first byte of
// the reply arrives, and never after: the server has done the work, and
// onDelta has seen part of the reply.
type Streamer interface {
	SendStream(ctx context.Context, conv Conversation, onDelta func(delta string) error) (Reply, error)
}

var (
	_ Streamer = (*openAI)(nil)
	_ Streamer = (*anthropic)(nil)
)

// StreamError is a streamed reply that broke off after part of it had
// arrived: the connection failed or the request's timeout expired. It is
// never retried.
type StreamError struct {
	// Method and URL identify the request (secrets redacted).
	Method string
	URL    string
	// Received is how many bytes of the body arrived before the failure.
	Received int64
	// Timeout is set when the request ran out of time.
	Timeout time.Duration
	// Err is the underlying error (secrets redacted).
	Err error
}

// Error says where the stream broke and why it was not retried.
func (e *StreamError) Error() string {
	what := fmt.Sprintf("%v", e.Err)
	if e.Timeout > 0 {
		what = fmt.Sprintf("no complete reply within %s", e.Timeout)
	}
	return fmt.Sprintf("%s %s: the streamed reply broke off after %d bytes: %s; not retried, since part of the reply had arrived", e.Method, e.URL, e.Received, what)
}

// Unwrap returns the underlying error.
func (e *StreamError) Unwrap() error { return e.Err }

// streamCodec reads one provider's replies.
type streamCodec struct {
	// stream reads an event stream, calling emit with each piece of text.
	stream func(body io.Reader, emit func(string) error) (Reply, error)
	// whole parses a complete JSON body: some compatible servers ignore
	// "stream": true and answer as if it were false.
	whole func(body []byte) (Reply, error)
}

// postStream is postJSON for a streamed reply: it sends v, reads the event
// stream with codec, and records latency and usage. header is the
// provider's; the request asks for text/event-stream.
func (t *transport) postStream(ctx context.Context, rawURL string, header http.Header, v any, codec streamCodec, onDelta func(string) error) (Reply, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return Reply{}, fmt.Errorf("encoding request: %w", err)
	}
	header = header.Clone()
	header.Set("Accept", "text/event-stream")
	safeURL := t.redact(rawURL)
	// Once the body has begun, the request is done with, whatever the
	// error says (even one from onDelta that looks transient).
	reply, err := retry(ctx, t, safeURL, func() (Reply, bool, error) {
		return t.streamAttempt(ctx, safeURL, rawURL, header, payload, codec, onDelta)
	})
	if err != nil {
		return Reply{}, err
	}
	t.addUsage(reply.Usage)
	t.redactReply(&reply)
	return reply, nil
}

// streamAttempt makes one streamed request, holding a slot for the whole
// stream. received reports whether any byte of a success body arrived.
func (t *transport) streamAttempt(ctx context.Context, safeURL, rawURL string, header http.Header, payload []byte, codec streamCodec, onDelta func(string) error) (reply Reply, received bool, err error) {
	const method = http.MethodPost
	release, err := t.acquire(ctx)
	if err != nil {
		return Reply{}, false, err
	}
	defer release()
	actx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, method, rawURL, bytes.NewReader(payload))
	if err != nil {
		return Reply{}, false, fmt.Errorf("building request for %s: %w", safeURL, err)
	}
	req.Header = header
	// As in attempt: a header net/http cannot send is a permanent error,
	// not a network failure to retry.
	if err := checkHeaders(req.Header); err != nil {
		return Reply{}, false, fmt.Errorf("%s %s: %w", method, safeURL, err)
	}
	start := time.Now()
	resp, err := t.client.Do(req)
	if err != nil {
		return Reply{}, false, t.connError(ctx, actx, method, safeURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// An error status is not the reply: its body is read like any
		// error's, and the request may be retried.
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		if err != nil {
			return Reply{}, false, t.connError(ctx, actx, method, safeURL, err)
		}
		return Reply{}, false, &HTTPError{
			Method:     method,
			URL:        safeURL,
			Status:     resp.StatusCode,
			Body:       truncateUTF8(t.redact(string(body)), errorBodyBytes),
			KeyEnv:     t.keyEnv,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}

	body := &countingReader{r: resp.Body, limit: maxResponseBytes}
	var deltaErr error
	emit := &deltaRedactor{t: t, onDelta: onDelta, errp: &deltaErr, hold: t.secretHold(header, rawURL)}
	reply, err = readStreamBody(bufio.NewReader(body), codec, emit.write)
	if err == nil {
		err = emit.flush()
	}
	received = body.n > 0
	switch {
	case err == nil:
		reply.Latency = time.Since(start)
		return reply, true, nil
	case deltaErr != nil && errors.Is(err, deltaErr):
		return Reply{}, received, err // the caller's own error, unchanged
	case body.err != nil:
		// The body broke: the network, the timeout, the caller's context
		// or the size limit.
		if ctx.Err() != nil {
			return Reply{}, received, fmt.Errorf("%s %s: %w", method, safeURL, context.Cause(ctx))
		}
		if errors.Is(body.err, errTooLarge) {
			return Reply{}, received, fmt.Errorf("%s %s: response larger than %d bytes", method, safeURL, maxResponseBytes)
		}
		if !received {
			// Nothing of the reply arrived: as good as no response.
			return Reply{}, false, t.connError(ctx, actx, method, safeURL, body.err)
		}
		se := &StreamError{Method: method, URL: safeURL, Received: body.n, Err: errors.New(t.redact(unwrapURLError(body.err).Error()))}
		if errors.Is(actx.Err(), context.DeadlineExceeded) {
			se.Timeout = t.timeout
		}
		return Reply{}, true, se
	}
	var apiErr *wire.APIError
	if errors.As(err, &apiErr) {
		err = fmt.Errorf("the server reported an error: %s", truncateUTF8(apiErr.Error(), errorBodyBytes))
	}
	return Reply{}, received, fmt.Errorf("response from %s: %w: %s", safeURL, ErrBadResponse, t.redact(err.Error()))
}

// readStreamBody reads a success body: an event stream, or a whole JSON
// reply from a server that does not stream. A stream starts with a field
// name, a comment or a byte order mark, never with "{", so the first
// non-space byte tells them apart whatever the Content-Type says. Nothing
// is consumed before the choice: leading spaces mean something to the
// stream parser.
func readStreamBody(body *bufio.Reader, codec streamCodec, emit func(string) error) (Reply, error) {
	isJSON := false
	for n := 1; n <= body.Size(); n++ {
		b, _ := body.Peek(n)
		if len(b) < n {
			break // empty or failed: the stream reader reports it
		}
		c := b[n-1]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		isJSON = c == '{'
		break
	}
	if !isJSON {
		return codec.stream(body, emit)
	}
	whole, err := io.ReadAll(body)
	if err != nil {
		return Reply{}, err
	}
	reply, err := codec.whole(whole)
	if err != nil {
		return Reply{}, err
	}
	if reply.Content != "" {
		if err := emit(reply.Content); err != nil {
			return Reply{}, err
		}
	}
	return reply, nil
}

// unwrapURLError drops the url.Error around a network error: it repeats
// the method and the unredacted URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// errTooLarge is the countingReader's error past its limit.
var errTooLarge = errors.New("response too large")

// countingReader counts the bytes read, fails past limit, and remembers
// the first error other than io.EOF, so a failure of the body can be told
// from a failure to parse it.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
	err   error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	// Reading one byte past the limit proves the body is too large.
	if rest := c.limit + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	switch {
	case c.n > c.limit:
		c.err = errTooLarge
		return n, c.err
	case err != nil && err != io.EOF:
		c.err = err
	}
	return n, err
}

// deltaRedactor passes text pieces to onDelta with known secrets
// redacted. A secret may be split over pieces, so the last hold bytes
// (one less than the longest form of a secret) wait until more text
// shows they are not the start of one: a secret that starts before that
// tail ends inside the text seen so far, and has been replaced.
type deltaRedactor struct {
	t       *transport
	onDelta func(string) error
	errp    *error
	hold    int
	pending string
}

// secretHold returns one less than the length of the longest form of a
// secret the transport redacts, which is how much text deltaRedactor must
// hold back. The transport knows its secrets only as a replacer, so this
// measures where they are: every secret of a model-API provider is in a
// request header (the key, ${VAR} values, credential headers) or in the
// URL (from base_url). A candidate that the replacer changes contains a
// secret, in one of the forms it is matched in, no longer than itself.
func (t *transport) secretHold(header http.Header, rawURL string) int {
	var candidates []string
	for _, vs := range header {
		for _, v := range vs {
			candidates = append(candidates, credentialParts(v)...)
		}
	}
	candidates = append(candidates, urlSecrets(rawURL)...)
	longest := 0
	for _, c := range candidates {
		for _, form := range []string{c, url.QueryEscape(c), url.PathEscape(c), jsonStringBody(c, true), jsonStringBody(c, false)} {
			if len(form) > longest && t.redact(form) != form {
				longest = len(form)
			}
		}
	}
	return max(longest-1, 0)
}

func (d *deltaRedactor) write(s string) error {
	if d.onDelta == nil || s == "" {
		return nil
	}
	d.pending = d.t.redact(d.pending + s)
	cut := len(d.pending) - d.hold
	for cut > 0 && cut < len(d.pending) && !utf8.RuneStart(d.pending[cut]) {
		cut--
	}
	if cut <= 0 {
		return nil
	}
	out := d.pending[:cut]
	d.pending = d.pending[cut:]
	return d.call(out)
}

// flush delivers the held-back tail at the end of a complete stream.
func (d *deltaRedactor) flush() error {
	if d.onDelta == nil || d.pending == "" {
		return nil
	}
	out := d.pending
	d.pending = ""
	return d.call(out)
}

func (d *deltaRedactor) call(s string) error {
	if err := d.onDelta(s); err != nil {
		*d.errp = err
		return err
	}
	return nil
}
