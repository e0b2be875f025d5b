package app

import "github.com/redoubt-sec/redoubt/target"

// storableTarget returns the target configuration to record with a run,
// which goes to the store and to results.json: without anything that may
// be a secret (target.Config.WithoutSecrets says what that is).
func storableTarget(c target.Config) *target.Config {
	s := c.WithoutSecrets()
	return &s
}

// targetComplete reports whether a stored target configuration has all a
// resume needs: nothing was withheld from it as a possible secret.
func targetComplete(c target.Config) bool {
	return len(c.Withheld) == 0
}
