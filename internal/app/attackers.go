package app

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/attack"
	"github.com/redoubt-sec/redoubt/target"
)

// checkAttackerModels validates Config.AttackerModels: one model, or two
// (the attacker and its fallback), each a valid target configuration.
func checkAttackerModels(c *Config, path string) error {
	if len(c.AttackerModels) > 2 {
		return fmt.Errorf("%s: attacker_models holds %d models; give one, or two (the attacker and a fallback)", path, len(c.AttackerModels))
	}
	for i, m := range c.AttackerModels {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("%s: attacker_models[%d]: %w", path, i, err)
		}
	}
	return nil
}

// runAttacks are the attacks a run may use.
type runAttacks struct {
	// list is what the plan draws on and the engine plays.
	list []redteam.Attack
	// skipped are the model-driven attacks left out because no attacker
	// model is configured, when the plan would otherwise have used them.
	skipped []string
	// attackers names the attacker models.
	attackers []string
}

// chooseAttacks sets r.attacks: the deterministic attacks, plus those an
// attacker model drives when Config.AttackerModels names one (the models
// are built here; nothing is sent). Without one, a plan that names a
// model-driven attack is refused, and a plan that would have used them
// leaves them out (Start.SkippedAttacks says so): the run stays offline.
func (r *runner) chooseAttacks() error {
	list := attack.All()
	models := r.cfg.AttackerModels
	if len(models) == 0 {
		ids := attack.ModelIDs()
		for _, id := range r.info.Options.Attacks {
			if slices.Contains(ids, id) {
				return usagef("attack %s needs an attacker model: set attacker_models in the configuration (see docs/attacks.md)", id)
			}
		}
		r.attacks = runAttacks{list: list}
		// Only a catalog plan that names no attacks would have used them: a
		// framework names its own, a dataset alone uses baseline.
		o := r.info.Options
		if len(o.Attacks) == 0 && o.Framework == "" && (o.Dataset == nil || len(o.Vulnerabilities) > 0) {
			r.attacks.skipped = ids
		}
		return nil
	}
	var built [2]target.Target
	var names []string
	for i, mc := range models {
		m, err := target.New(mc, target.WithLogger(r.req.Logger), target.WithGetenv(r.req.Getenv))
		if err != nil {
			return usage(fmt.Errorf("attacker_models[%d]: %w", i, err))
		}
		names = append(names, m.Name())
		m = r.meterModel(m, mc)
		if r.cache != nil {
			fp, _ := json.Marshal(mc.WithoutSecrets())
			m = r.cache.Wrap(m, string(fp))
		}
		built[i] = m
	}
	purpose := cmp.Or(r.info.Options.Purpose, r.jctx.Purpose, redteam.DefaultPurpose)
	r.attacks = runAttacks{list: append(list, attack.Model(built[0], built[1], purpose)...), attackers: names}
	return nil
}
