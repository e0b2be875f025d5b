package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/target"
)

// The run record keeps no secret, and says what it left out so a resume
// asks for the target again (target's own tests cover each rule).
func TestStorableTargetDropsSecrets(t *testing.T) {
	c := storableTarget(target.Config{Type: target.TypeHTTP, Settings: &target.HTTPConfig{
		URL:     "https://alice:hunter2pass@app.example/chat?api_key=QSKEY12345",
		Body:    `{"q": {{json .Prompt}}, "api_key": "BODYSECRET999"}`,
		Headers: map[string]string{"Authorization": "Bearer LITERAL", "X-Token": "${APP_TOKEN}"},
	}})
	raw, _ := json.Marshal(c)
	for _, secret := range []string{"hunter2pass", "QSKEY12345", "BODYSECRET999", "LITERAL"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("stored target config leaks %q: %s", secret, raw)
		}
	}
	if s := c.Settings.(*target.HTTPConfig); s.Headers["X-Token"] != "${APP_TOKEN}" || s.URL != "https://app.example/chat" {
		t.Errorf("kept too little: %s", raw)
	}
	if targetComplete(*c) {
		t.Errorf("a target without its body counts as complete: %s", raw)
	}
	kept := storableTarget(target.Config{Type: target.TypeHTTP, Settings: &target.HTTPConfig{URL: "https://app.example/chat", Body: `{"prompt": {{json .Prompt}}, "user": "${USER_ID}"}`}})
	if !targetComplete(*kept) || kept.Settings.(*target.HTTPConfig).Body == "" {
		t.Error("a body without literal secrets was dropped")
	}
}

func TestStorableTargetKeepsPlainCommands(t *testing.T) {
	c := storableTarget(target.Config{Type: target.TypeExec, Settings: &target.ExecConfig{Command: []string{"./agent", "--mode", "chat"}}})
	if !targetComplete(*c) {
		t.Errorf("a command without secrets was dropped: %+v", c)
	}
	c = storableTarget(target.Config{Type: target.TypeExec, Settings: &target.ExecConfig{Command: []string{"./agent", "--token", "abc"}}})
	if targetComplete(*c) {
		t.Errorf("a command with a token was kept: %+v", c)
	}
}
