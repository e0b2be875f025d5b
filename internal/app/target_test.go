package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/target"
)

func TestStorableTargetDropsSecrets(t *testing.T) {
	c := storableTarget(target.Config{
		Type:    target.TypeHTTP,
		URL:     "https://alice:hunter2pass@app.example/chat?api_key=QSKEY12345",
		Body:    `{"q": {{json .Prompt}}, "api_key": "BODYSECRET999"}`,
		Headers: map[string]string{"Authorization": "Bearer LITERAL", "X-Token": "${APP_TOKEN}"},
		Command: []string{"./agent", "--api-key=sk-SECRET"},
	})
	raw, _ := json.Marshal(c)
	for _, secret := range []string{"hunter2pass", "QSKEY12345", "BODYSECRET999", "LITERAL", "sk-SECRET"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("stored target config leaks %q: %s", secret, raw)
		}
	}
	if c.Headers["X-Token"] != "${APP_TOKEN}" || c.URL != "https://app.example/chat" {
		t.Errorf("kept too little: %s", raw)
	}
	if kept := storableTarget(target.Config{Type: target.TypeHTTP, Body: `{"prompt": {{json .Prompt}}, "user": "${USER_ID}"}`}); kept.Body == "" {
		t.Error("a body without literal secrets was dropped")
	}
}

func TestStorableTargetKeepsPlainCommands(t *testing.T) {
	c := storableTarget(target.Config{Type: target.TypeExec, Command: []string{"./agent", "--mode", "chat"}})
	if !targetComplete(*c) {
		t.Errorf("a command without secrets was dropped: %+v", c)
	}
	c = storableTarget(target.Config{Type: target.TypeExec, Command: []string{"./agent", "--token", "abc"}})
	if targetComplete(*c) {
		t.Errorf("a command with a token was kept: %+v", c)
	}
}
