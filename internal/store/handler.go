package store

import (
	"context"

	"github.com/redoubt-sec/redoubt/redteam"
)

// Handler records a run's finished probes (verdict and probe_errored
// events) in a store: the redteam.Handler a run writes its history through.
// It buffers cases and commits them in one transaction per Flush, which the
// engine calls whenever no event is waiting, so a busy run commits in
// batches and an idle one at once.
type Handler struct {
	st    Store
	run   string
	ctx   context.Context
	cases []Record
}

// NewHandler returns a handler that saves the cases of run in st. Saving
// uses ctx without its cancellation: the cases of a run being interrupted
// are still committed.
func NewHandler(ctx context.Context, st Store, run string) *Handler {
	return &Handler{st: st, run: run, ctx: context.WithoutCancel(ctx)}
}

var (
	_ redteam.Handler = (*Handler)(nil)
	_ redteam.Flusher = (*Handler)(nil)
)

// Handle implements redteam.Handler.
func (h *Handler) Handle(ev redteam.Event) error {
	if (ev.Type == redteam.EventVerdict || ev.Type == redteam.EventProbeErrored) && ev.Case != nil {
		h.cases = append(h.cases, Record{Case: ev.Case, JSON: ev.CaseJSON})
	}
	return nil
}

// Flush implements redteam.Flusher: the buffered cases are committed.
func (h *Handler) Flush() error {
	if len(h.cases) == 0 {
		return nil
	}
	if err := h.st.SaveCases(h.ctx, h.run, h.cases); err != nil {
		return err
	}
	clear(h.cases) // drop the references before reuse
	h.cases = h.cases[:0]
	return nil
}
