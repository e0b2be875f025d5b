package target

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/internal/suggest"
)

// UnmarshalYAML implements yaml.Unmarshaler: the "target:" block, flat,
// with "type" choosing which provider's settings the other keys are.
// Decoding is strict whatever the outer decoder's mode: a key the type
// does not have is an error naming the key, its line and the type, with
// a suggestion, and the settings of other types are named as such.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return yamlErr(n.Line, "the target must be a mapping of settings (type: ..., ...)")
	}
	var kindNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			kindNode = n.Content[i+1]
		}
	}
	if kindNode == nil {
		return yamlErr(n.Line, "the target has no type: set type to one of %s", strings.Join(Types(), ", "))
	}
	kind := kindNode.Value
	p, ok := lookup(kind)
	if !ok {
		return yamlErr(kindNode.Line, "unknown target type %q%s", kind, suggest.HintOrList(kind, Types()))
	}
	s := p.Settings()
	var errs []string
	checkKeys(n, reflect.TypeOf(s).Elem(), "", kind, &errs)
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	// The keys are all known, so go-yaml's lenient mode (the only one
	// Node.Decode has) decodes exactly what strict mode would; it still
	// reports wrong value types and duplicate keys with their lines.
	if err := n.Decode(s); err != nil {
		return err
	}
	*c = Config{Type: kind, Settings: s}
	return nil
}

// yamlErr is an error go-yaml collects with its own, so the caller's
// decoder (internal/yamlx) reports it as "file:line: ...".
func yamlErr(line int, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)}}
}

// checkKeys reports every key of the mapping n that the settings struct
// t lacks, recursing into nested settings (session). prefix is the dotted
// path of n ("" at the top, "session." below).
func checkKeys(n *yaml.Node, t reflect.Type, prefix, kind string, errs *[]string) {
	fields := settingFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if prefix == "" && k.Value == "type" {
			continue
		}
		idx := slices.IndexFunc(fields, func(f settingField) bool { return f.key == k.Value })
		if idx < 0 {
			*errs = append(*errs, unknownKey(k, prefix, kind, fields))
			continue
		}
		ft := fields[idx].typ
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && v.Kind == yaml.MappingNode {
			checkKeys(v, ft, prefix+k.Value+".", kind, errs)
		}
	}
}

// unknownKey words the error for a key type kind lacks: the key, its
// line, the type, which other types have it, and the nearest known key.
func unknownKey(k *yaml.Node, prefix, kind string, fields []settingField) string {
	key := prefix + k.Value
	var others []string
	for _, t := range Types() {
		if p, _ := lookup(t); t != kind {
			if _, ok := findField(reflect.TypeOf(p.Settings()).Elem(), key); ok {
				others = append(others, t)
			}
		}
	}
	var known []string
	for _, f := range fields {
		known = append(known, prefix+f.key)
	}
	msg := fmt.Sprintf("line %d: unknown key %q for target type %s", k.Line, key, kind)
	if len(others) > 0 {
		msg += fmt.Sprintf(" (it is a setting of type %s)", strings.Join(others, ", "))
	}
	return msg + suggest.Hint(key, known)
}

// MarshalYAML implements yaml.Marshaler: the flat shape UnmarshalYAML
// reads. Withheld is not written: a configuration file has no such key.
func (c Config) MarshalYAML() (any, error) {
	kind := c.kind()
	if kind == "" && !present(c.Settings) {
		return nil, nil
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if present(c.Settings) {
		if err := n.Encode(c.Settings); err != nil {
			return nil, err
		}
	}
	head := []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "type"},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: kind},
	}
	n.Content = append(head, n.Content...)
	return n, nil
}

// MarshalJSON implements json.Marshaler: {"type": ..., settings...,
// "withheld": [...]}, flat like the configuration file.
func (c Config) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	kind, _ := json.Marshal(c.kind())
	b.WriteString(`{"type":`)
	b.Write(kind)
	if present(c.Settings) {
		raw, err := json.Marshal(c.Settings)
		if err != nil {
			return nil, fmt.Errorf("target settings: %w", err)
		}
		if inner := bytes.TrimSpace(raw[1 : len(raw)-1]); len(inner) > 0 {
			b.WriteByte(',')
			b.Write(inner)
		}
	}
	if len(c.Withheld) > 0 {
		w, _ := json.Marshal(c.Withheld) // a []string always encodes
		b.WriteString(`,"withheld":`)
		b.Write(w)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON implements json.Unmarshaler. It is lenient, unlike the
// YAML decoder, because it reads what redoubt itself wrote: the run store,
// possibly by another version. A type this build does not have is kept
// by name without settings, so such a run can still be listed; building
// it fails with "unknown type".
func (c *Config) UnmarshalJSON(b []byte) error {
	var head struct {
		Type     string   `json:"type"`
		Withheld []string `json:"withheld"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	*c = Config{Type: head.Type, Withheld: head.Withheld}
	p, ok := lookup(head.Type)
	if !ok {
		return nil
	}
	s := p.Settings()
	if err := json.Unmarshal(b, s); err != nil {
		return fmt.Errorf("target settings of type %s: %w", head.Type, err)
	}
	c.Settings = s
	return nil
}
