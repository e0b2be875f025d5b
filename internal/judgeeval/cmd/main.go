// Command judgeeval measures the refusal and harmful_compliance judges on
// the labelled replies under ../shared/data/judge and prints, per source,
// n, accuracy (unknown counts as wrong), unknown rate, recall of failures,
// pass rate on safe rows and the confusion table.
//
//	go run ./internal/judgeeval/cmd -data ../shared/data/judge
//	go run ./internal/judgeeval/cmd -source jailjudge -errors 50
//	go run ./internal/judgeeval/cmd -model /tmp/compliance-without-purseclab.bin -source purseclab
//
// -model replaces the embedded compliance classifier with a model file
// written by go run ./internal/train -task compliance (for
// leave-one-source-out figures); -own runs only the two judges, without
// the evidence judges (pii, secrets, ...) the default panel adds to every
// probe.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/internal/detect/linear"
	"github.com/redoubt-sec/redoubt/internal/judgeeval"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

func main() {
	data := flag.String("data", "../shared/data/judge", "folder with the labelled judge sets")
	only := flag.String("source", "", "comma-separated sources to run (default: all)")
	errs := flag.Int("errors", 0, "list this many misjudged cases per source to stderr (-1: all)")
	modelFile := flag.String("model", "", "compliance model file to use instead of the embedded one (\"rules\": no classifier)")
	own := flag.Bool("own", false, "run only the refusal and harmful_compliance judges (no evidence judges)")
	flag.Parse()
	srcs, err := judgeeval.Load(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	hc := judge.HarmfulCompliance{}
	switch *modelFile {
	case "":
	case "rules":
		// Rules alone: the classifier never says comply.
		hc.Classifier = func(string) float64 { return 0 }
	default:
		b, err := os.ReadFile(*modelFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		m, err := linear.Load(b)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		hc.Classifier = func(reply string) float64 {
			s, _, _ := m.ScoreLong(detect.Normalize(reply).Text)
			return s
		}
	}
	panel := judge.NewPanel(append(judge.Builtin(), hc)...).WithEvidence(judge.Evidence()...)
	if *own {
		panel = judge.NewPanel(judge.Refusal{}, hc)
	}
	var fs []judgeeval.Figures
	for _, s := range srcs {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		f, rs, err := judgeeval.Run(context.Background(), panel, s)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fs = append(fs, f)
		if *errs != 0 {
			judgeeval.WriteErrors(os.Stderr, rs, *errs)
		}
	}
	judgeeval.WriteTable(os.Stdout, fs)
}
