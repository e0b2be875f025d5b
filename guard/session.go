package guard

import "github.com/redoubt-sec/redoubt/internal/detect"

// Session checks one conversation. Rules whose redact mode is vault replace
// values with numbered placeholders ([EMAIL_1]) that the session remembers,
// so that Restore can put the originals back into the model's reply: the
// model never sees the values, the user still does. A Session is safe for
// concurrent use.
type Session struct {
	g     *Guard
	vault *detect.Vault
}

// Session starts a conversation with its own vault.
func (g *Guard) Session() *Session { return &Session{g: g, vault: detect.NewVault()} }

// CheckInput checks a prompt; vault redactions are remembered.
func (s *Session) CheckInput(text string) Decision {
	return s.g.check(s.g.input, text, "", s.vault)
}

// CheckOutput checks a reply (before Restore).
func (s *Session) CheckOutput(prompt, output string) Decision {
	return s.g.check(s.g.output, output, prompt, s.vault)
}

// Restore puts the values behind the session's placeholders back into text,
// tolerating the case and spacing changes models make to placeholders.
func (s *Session) Restore(text string) string { return s.vault.Restore(text) }
