package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redoubt-sec/redoubt/internal/store"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "redoubt-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := store.Open(ctx, filepath.Join(dir, "runs.db"))
	if err != nil {
		panic(err)
	}
	defer s.Close()

	run := redteam.RunInfo{ID: "20250314-a1b2c3", Started: time.Now(), Target: "demo", Planned: 2}
	if err := s.CreateRun(ctx, run); err != nil {
		panic(err)
	}
	// The engine saves each probe as it finishes.
	for i, outcome := range []judge.Outcome{judge.Pass, judge.Fail} {
		c := redteam.Case{
			Probe:   redteam.Probe{ID: fmt.Sprintf("probe-%d", i), Seq: i},
			Verdict: judge.Verdict{Outcome: outcome},
		}
		if err := s.SaveCase(ctx, run.ID, c); err != nil {
			panic(err)
		}
	}
	if err := s.FinishRun(ctx, run.ID, "finished", time.Now()); err != nil {
		panic(err)
	}

	// A unique prefix finds the run, as with git commits.
	got, err := s.Run(ctx, "20250314")
	if err != nil {
		panic(err)
	}
	runs, err := s.Runs(ctx, 10)
	if err != nil {
		panic(err)
	}
	fmt.Println(got.ID, got.Status)
	fmt.Printf("done %d/%d: %d pass, %d fail\n", runs[0].Done, runs[0].Planned, runs[0].Pass, runs[0].Fail)
	// Output:
	// 20250314-a1b2c3 finished
	// done 2/2: 1 pass, 1 fail
}
