// Package wire holds the wire formats of the model APIs redoubt speaks
// and serves: OpenAI chat completions and the Anthropic Messages API,
// requests, responses and streamed chunks and events, plus accumulators
// that turn a stream back into the response a non-streamed call returns.
//
// The types serve both sides. A client encodes requests and decodes
// responses; a server or a proxy decodes requests and encodes responses.
// Decoding is tolerant where real servers differ from the reference API
// (content as null, a string or an array of parts; tool arguments as a
// string or an object; a usage chunk whose choices are null), and
// encoding writes what the reference API writes. Request members this
// package does not model are kept in Extra and written back, so a proxy
// forwards them unchanged.
//
// Everything decoded here came from the other end of a connection and may
// be hostile: callers bound what they read (the sse package's Reader and
// io.LimitReader) before handing it to these types.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// NullString is a string written as JSON null when empty, for members the
// APIs send as null until they have a value (finish_reason, stop_reason).
// It decodes null as "".
type NullString string

// MarshalJSON implements json.Marshaler.
func (s NullString) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(s))
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *NullString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = NullString(v)
	return nil
}

// Extra holds the members of a JSON object that its Go type does not
// model, raw, so that decoding and encoding again loses nothing.
type Extra map[string]json.RawMessage

// fieldNames caches the JSON member names of struct types.
var fieldNames sync.Map // reflect.Type -> []string

// jsonNames returns the member names encoding/json uses for t's fields.
func jsonNames(t reflect.Type) []string {
	if v, ok := fieldNames.Load(t); ok {
		return v.([]string)
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	fieldNames.Store(t, names)
	return names
}

// isKnown reports whether key names one of the fields; encoding/json
// matches member names without regard to case, so this does too.
func isKnown(key string, names []string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, key) })
}

// decodeExtra returns the members of the object b that are not fields of
// t, or nil when there are none.
func decodeExtra(b []byte, t reflect.Type) (Extra, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	names := jsonNames(t)
	var extra Extra
	for k, v := range all {
		if isKnown(k, names) {
			continue
		}
		if extra == nil {
			extra = Extra{}
		}
		extra[k] = v
	}
	return extra, nil
}

// appendExtra adds the members of extra to the encoded object obj, in
// sorted order, skipping any a field already writes.
func appendExtra(obj []byte, extra Extra, t reflect.Type) ([]byte, error) {
	if len(extra) == 0 {
		return obj, nil
	}
	names := jsonNames(t)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !isKnown(k, names) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := bytes.TrimRight(obj, " \n")
	out = out[:len(out)-1] // the closing brace
	empty := len(bytes.TrimSpace(out)) == 1
	for _, k := range keys {
		if !empty {
			out = append(out, ',')
		}
		empty = false
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		out = append(out, kb...)
		out = append(out, ':')
		v := extra[k]
		if len(bytes.TrimSpace(v)) == 0 {
			v = json.RawMessage("null")
		}
		if !json.Valid(v) {
			return nil, fmt.Errorf("extra member %s holds invalid JSON", kb)
		}
		out = append(out, v...)
	}
	return append(out, '}'), nil
}
