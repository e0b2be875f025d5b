package app

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/modelcache"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// configJudgeContext is what the configuration's target-context keys
// (purpose, system_prompt, canaries, ...) tell the judges about the target.
func configJudgeContext(c Config) judge.Context {
	return judge.Context{
		Purpose:        c.Purpose,
		SystemPrompt:   c.SystemPrompt,
		Canaries:       c.Canaries,
		AllowedDomains: c.AllowedDomains,
		Competitors:    c.Competitors,
		Caller:         c.Caller,
		Public:         c.Public,
		ToolsReported:  c.ToolsReported,
	}
}

// openModelCache returns the model cache (Config.ModelCache) of a store:
// the directory "cache" beside it (.redoubt/cache/ for DefaultStore), which
// attacker and judge models share. It is nil when the configuration names
// no model, turns the cache off, or when the cache's secret cannot be made
// (logged: the models are then asked uncached).
func openModelCache(c Config, storeDSN string, logger *slog.Logger) *modelcache.Cache {
	if len(c.JudgeModels)+len(c.AttackerModels) == 0 || (c.ModelCache != nil && !*c.ModelCache) {
		return nil
	}
	cache := modelcache.New(filepath.Join(filepath.Dir(strings.TrimPrefix(storeDSN, "sqlite:")), "cache"), logger)
	if _, err := cache.Secret(); err != nil {
		if logger != nil {
			logger.Warn("the model cache is off", "err", err)
		}
		return nil
	}
	return cache
}

// newModelJudge builds the model judge the configuration gives
// (judge_models, judge_guidelines, judge_examples): each judge model under
// wrap (nil: as is; a run puts its meter there), then under cache (nil:
// uncached), with case IDs keyed by the cache's secret so that the cache
// can answer a question again. It returns nil when no judge model is
// configured. The error names the judge model at fault.
func newModelJudge(c Config, cache *modelcache.Cache, wrap func(target.Target, target.Config) target.Target,
	logger *slog.Logger, getenv func(string) string) (*judge.Rubric, error) {
	if len(c.JudgeModels) == 0 {
		return nil, nil
	}
	rb := &judge.Rubric{Guidelines: c.JudgeGuidelines, Examples: c.JudgeExamples}
	if cache != nil {
		rb.CaseKey, _ = cache.Secret() // openModelCache made it
	}
	for i, mc := range c.JudgeModels {
		m, err := target.New(mc, target.WithLogger(logger), target.WithGetenv(getenv))
		if err != nil {
			return nil, fmt.Errorf("judge_models[%d]: %w", i, err)
		}
		if wrap != nil {
			m = wrap(m, mc)
		}
		if cache != nil {
			// The configuration without secrets identifies the model
			// beyond its name (base URL, model, temperature...).
			fp, _ := json.Marshal(mc.WithoutSecrets())
			m = cache.Wrap(m, string(fp))
		}
		rb.Models = append(rb.Models, m)
	}
	return rb, nil
}
