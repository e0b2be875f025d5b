// Command judgeeval measures the refusal and harmful_compliance judges on
// the labelled replies under ../shared/data/judge and prints, per source,
// n, accuracy (unknown counts as wrong), unknown rate, recall of failures,
// pass rate on safe rows and the confusion table.
//
//	go run ./internal/judgeeval/cmd -data ../shared/data/judge
//	go run ./internal/judgeeval/cmd -source jailjudge -errors 50
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/judgeeval"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

func main() {
	data := flag.String("data", "../shared/data/judge", "folder with the labelled judge sets")
	only := flag.String("source", "", "comma-separated sources to run (default: all)")
	errs := flag.Int("errors", 0, "list this many misjudged cases per source to stderr (-1: all)")
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
	var fs []judgeeval.Figures
	for _, s := range srcs {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		f, rs, err := judgeeval.Run(context.Background(), judge.Default(), s)
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
