package attack_test

import (
	"reflect"
	"testing"

	"github.com/redoubt-sec/redoubt/redteam"
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

// A large plan is made on several goroutines: the same as made on one, and
// free of races (run with -race).
func TestLargePlanIsDeterministic(t *testing.T) {
	opts := redteam.PlanOptions{Seed: 4, PerType: 2}
	a, err := redteam.Plan(catalog.Default(), attack.All(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := redteam.Plan(catalog.Default(), attack.All(), opts)
	if len(a) < 1000 || !reflect.DeepEqual(a, b) {
		t.Fatalf("%d probes; two plans equal: %v", len(a), reflect.DeepEqual(a, b))
	}
	for i, p := range a {
		if p.Seq != i {
			t.Fatalf("probe %d has seq %d", i, p.Seq)
		}
	}
}
