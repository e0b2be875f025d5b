package demo

import "github.com/redoubt-sec/redoubt/target"

// TargetType is the target type of the demo app ("--target demo").
const TargetType = "demo"

// Settings is the configuration of the demo target type: only the
// settings every target has (the demo needs nothing else).
type Settings struct {
	target.Common `yaml:",inline"`
}

// Validate implements target.Settings.
func (s *Settings) Validate() error { return nil }

// DerivedName implements target.Settings.
func (s *Settings) DerivedName() string { return TargetType }

// WithoutSecrets implements target.Settings: the demo has none.
func (s *Settings) WithoutSecrets() (target.Settings, []string) {
	out := *s
	return &out, nil
}

// The demo registers itself as a target type, so a configuration file
// and --target can name it like any other.
func init() {
	target.Register(target.Provider{
		Type:     TargetType,
		Settings: func() target.Settings { return &Settings{} },
		New:      func(target.Settings, *target.Env) (target.Target, error) { return New(), nil },
	})
}
