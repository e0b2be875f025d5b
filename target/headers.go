package target

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// checkHeaderName checks that name is an HTTP token (RFC 9110, 5.1). The
// error names the header: a name is configuration, never a secret.
func checkHeaderName(name string) error {
	if name == "" {
		return fmt.Errorf("a header name is empty")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return fmt.Errorf("header name %q is invalid: byte %d is %q (allowed: letters, digits and !#$%%&'*+-.^_`|~)", name, i, c)
	}
	return nil
}

// checkHeaderValue returns an error completing "the value ..." when v
// holds a byte no header value may hold (RFC 9110, 5.5: control
// characters other than tab). net/http refuses such a request only when
// sending it, as an error that looks like a network failure and so would
// be retried; checked here, it is a clear, permanent error. The message
// never quotes the value, which may be a key.
func checkHeaderValue(v string) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x20 && c != 0x7f || c == '\t' {
			continue
		}
		switch c {
		case '\r':
			return fmt.Errorf("holds a carriage return (CR) at byte %d", i)
		case '\n':
			return fmt.Errorf("holds a line feed (LF) at byte %d", i)
		default:
			return fmt.Errorf("holds the control character %U at byte %d", rune(c), i)
		}
	}
	return nil
}

// checkHeaders checks every name and value of h; the error names the
// header, and says where its value came from when that is known.
func checkHeaders(h http.Header) error {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if err := checkHeaderName(name); err != nil {
			return err
		}
		for _, v := range h[name] {
			if err := checkHeaderValue(v); err != nil {
				return fmt.Errorf("header %s: the value %s", name, err)
			}
		}
	}
	return nil
}

// setHeaders sets the configured extra headers (after the provider's
// own, so a configuration can override them) and returns the values that
// must be redacted: everything read from the environment and every value
// of a credential-like header. A header that could not be sent (a line
// break in the file or in a ${VAR}) is an error naming it.
func setHeaders(h http.Header, extra map[string]string, getenv func(string) string) ([]string, error) {
	var secrets []string
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		if err := checkHeaderName(name); err != nil {
			return nil, fmt.Errorf("headers: %w", err)
		}
		v, used, err := expandEnv(extra[name], "headers."+name, getenv)
		if err != nil {
			return nil, err
		}
		if err := checkHeaderValue(v); err != nil {
			return nil, fmt.Errorf("headers.%s: the value %s (check the file and the ${VAR} it references)", name, err)
		}
		secrets = append(secrets, used...)
		if sensitiveHeader(name) {
			secrets = append(secrets, credentialParts(v)...)
		}
		h.Set(name, v)
	}
	return secrets, nil
}
