package judge_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/demo"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// BenchmarkPanelDemo judges the demo's replies to every seed of the
// catalog (910 probes) with the default panel and each sub-type's judges:
// the judging cost of a red-team run, without the target and the store.
//
//	go test ./redteam/judge -run '^$' -bench PanelDemo -benchtime 5x
func BenchmarkPanelDemo(b *testing.B) {
	app := demo.New()
	jc := app.JudgeContext()
	var ins []judge.Input
	for _, v := range catalog.Default().Vulnerabilities {
		for _, t := range v.Types {
			for _, seed := range t.Seeds {
				prompt := strings.NewReplacer("{purpose}", jc.Purpose, "{marker}", "RDBT-BENCH01").Replace(seed)
				conv := target.Conversation{{Role: target.RoleUser, Content: prompt}}
				r, err := app.Send(context.Background(), conv)
				if err != nil {
					b.Fatal(err)
				}
				conv = append(conv, target.Message{Role: target.RoleAssistant, Content: r.Content, ToolCalls: r.ToolCalls})
				ins = append(ins, judge.Input{Vulnerability: v.ID, Type: t.ID, Goal: prompt, Conversation: conv,
					Replies: []target.Reply{r}, Judges: t.Judges, Markers: []string{"RDBT-BENCH01"}, Context: jc})
			}
		}
	}
	p := judge.Default()
	b.ResetTimer()
	for b.Loop() {
		for _, in := range ins {
			if _, err := p.Judge(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ins)), "ns/probe")
}
