package target

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Provider is one kind of target: the value of "type:" that selects it,
// its settings and its constructor. Each provider registers itself once,
// from an init function in its own file; nothing else in the package
// lists the providers.
type Provider struct {
	// Type is the name in "type:" (lower case, like "openai").
	Type string
	// Settings returns a new settings value with every default: a pointer
	// to the provider's config struct, which the target block decodes into.
	Settings func() Settings
	// New builds a target from settings that passed Validate (a value
	// Settings returned). Its errors need not name the target: New adds it.
	New func(s Settings, env *Env) (Target, error)
}

var registry struct {
	sync.RWMutex
	byType   map[string]Provider
	byGoType map[reflect.Type]string
}

// Register adds a provider. It panics on a misuse that would otherwise
// surface as a puzzling configuration error: an empty or duplicate type,
// or settings whose keys the YAML and JSON codecs would read differently.
func Register(p Provider) {
	if p.Type == "" || p.Settings == nil || p.New == nil {
		panic("target.Register: a provider needs Type, Settings and New")
	}
	s := p.Settings()
	rt := reflect.TypeOf(s)
	if rt == nil || rt.Kind() != reflect.Pointer || rt.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("target.Register(%q): Settings must return a pointer to a struct, not %T", p.Type, s))
	}
	seen := map[string]bool{}
	for _, f := range settingFields(rt.Elem()) {
		if f.key == "type" || f.key == "withheld" || seen[f.key] {
			panic(fmt.Sprintf("target.Register(%q): setting key %q is reserved or repeated", p.Type, f.key))
		}
		seen[f.key] = true
		if f.jsonKey != f.key {
			panic(fmt.Sprintf("target.Register(%q): field %s has yaml key %q but json key %q; they must match (the run store writes JSON)", p.Type, f.name, f.key, f.jsonKey))
		}
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.byType[p.Type]; dup {
		panic(fmt.Sprintf("target.Register: type %q registered twice", p.Type))
	}
	if registry.byType == nil {
		registry.byType = map[string]Provider{}
		registry.byGoType = map[reflect.Type]string{}
	}
	registry.byType[p.Type] = p
	registry.byGoType[rt] = p.Type
}

// Types returns the registered type names, sorted.
func Types() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.byType))
	for t := range registry.byType {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func lookup(kind string) (Provider, bool) {
	registry.RLock()
	defer registry.RUnlock()
	p, ok := registry.byType[kind]
	return p, ok
}

// typeOfSettings is the type s's Go type is registered under, or "".
func typeOfSettings(s Settings) string {
	registry.RLock()
	defer registry.RUnlock()
	return registry.byGoType[reflect.TypeOf(s)]
}

// settingField is one key of a settings struct.
type settingField struct {
	key, jsonKey, name string
	index              []int
	typ                reflect.Type
}

// settingFields lists the keys of a settings struct as go-yaml reads
// them: tagged fields, with ",inline" structs (Common) flattened.
func settingFields(t reflect.Type) []settingField {
	var out []settingField
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") {
			for _, f := range settingFields(sf.Type) {
				f.index = append([]int{i}, f.index...)
				out = append(out, f)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		jsonKey, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		out = append(out, settingField{key: name, jsonKey: jsonKey, name: sf.Name, index: []int{i}, typ: sf.Type})
	}
	return out
}

// settingKeys lists the keys of a settings struct.
func settingKeys(t reflect.Type) []string {
	var out []string
	for _, f := range settingFields(t) {
		out = append(out, f.key)
	}
	return out
}

// findField finds a key, which may be dotted to reach into a nested
// struct ("session.mode"). The index is relative to t.
func findField(t reflect.Type, key string) (settingField, bool) {
	head, rest, nested := strings.Cut(key, ".")
	for _, f := range settingFields(t) {
		if f.key != head {
			continue
		}
		if !nested {
			return f, true
		}
		if f.typ.Kind() != reflect.Struct {
			return settingField{}, false
		}
		inner, ok := findField(f.typ, rest)
		if !ok {
			return settingField{}, false
		}
		inner.key = key
		inner.index = append(slices.Clone(f.index), inner.index...)
		return inner, true
	}
	return settingField{}, false
}

// assign sets dst to value: a value of dst's type (or of what dst points
// to), or a string read as YAML would read it.
func assign(dst reflect.Value, value any) error {
	v := reflect.ValueOf(value)
	switch {
	case !v.IsValid():
		dst.SetZero()
		return nil
	case v.Type().AssignableTo(dst.Type()):
		dst.Set(v)
		return nil
	case dst.Kind() == reflect.Pointer && v.Type().AssignableTo(dst.Type().Elem()):
		p := reflect.New(dst.Type().Elem())
		p.Elem().Set(v)
		dst.Set(p)
		return nil
	}
	if s, ok := value.(string); ok {
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
		if dst.Kind() == reflect.String {
			n.Tag = "!!str" // "yes" and "1" stay text
		}
		if err := n.Decode(dst.Addr().Interface()); err != nil {
			return fmt.Errorf("cannot read %q as %s: %w", s, dst.Type(), err)
		}
		return nil
	}
	return fmt.Errorf("want %s, not %T", dst.Type(), value)
}
