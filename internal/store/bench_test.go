package store

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// BenchmarkSaveCase saves distinct cases from 64 goroutines (on a 2-core
// machine), the engine's largest worker pool. ns/op is the time per stored
// case with everyone writing at once.
func BenchmarkSaveCase(b *testing.B) {
	ctx := context.Background()
	s, _ := openTemp(b)
	if err := s.CreateRun(ctx, sampleRun("bench", base)); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	// RunParallel starts parallelism × GOMAXPROCS goroutines.
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((64 + procs - 1) / procs)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			if err := s.SaveCase(ctx, "bench", sampleCase(fmt.Sprintf("p%09d", i), i, judge.Fail)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
