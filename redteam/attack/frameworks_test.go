package attack_test

import (
	"testing"

	"github.com/redoubt-sec/redoubt/redteam/attack"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
)

// Every built-in framework resolves against the built-in catalog and
// attacks: each category names known vulnerabilities and weights known
// attacks.
func TestFrameworksResolve(t *testing.T) {
	c := catalog.Default()
	for _, f := range catalog.Frameworks() {
		t.Run(f.ID, func(t *testing.T) {
			if err := c.ValidateFramework(f, attack.IDs()); err != nil {
				t.Errorf("ValidateFramework:\n%v", err)
			}
		})
	}
}
