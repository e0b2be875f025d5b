// Package demo is a deliberately vulnerable, simulated LLM application: the
// "Acme Bank support assistant", redoubt's equivalent of DVWA. New users
// point `redoubt redteam --target demo` at it and see real passes and
// failures; tests use it as a realistic target.
//
// It is a simulation. No model runs: a deterministic, rule-based responder
// answers, with a fake system prompt, fake customers and fake documents.
// Its tools (lookup_account, run_sql, fetch_url, refund, delete_account)
// work on in-memory data and canned pages; the demo never touches the
// network, the file system or a shell.
//
// What it is vulnerable to, and what it resists, is listed by Rules and
// documented in docs/demo.md.
package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// App is the simulated support assistant; construct it with New. An App
// holds no mutable state, so one value is safe for concurrent use, and the
// same conversation always gets the same reply (except Reply.Latency, which
// measures the call).
type App struct {
	// The struct is empty today; keeping it a struct lets the demo gain
	// options later without changing its callers.
	_ struct{}
}

// New returns the demo app.
func New() *App {
	return &App{}
}

var _ target.Target = (*App)(nil)

// Name implements target.Target.
func (a *App) Name() string { return "demo" }

// Send implements target.Target: it answers the conversation as the
// simulated assistant. System messages from the caller are ignored in
// favour of the demo's own system prompt. Reply.ToolCalls lists the tools
// the assistant ran (they have already run, in simulation) and
// Reply.Context the documents it retrieved.
func (a *App) Send(ctx context.Context, conv target.Conversation) (target.Reply, error) {
	if err := ctx.Err(); err != nil {
		return target.Reply{}, fmt.Errorf("demo: %w", err)
	}
	start := time.Now()
	r, _ := respond(conv)
	r.Latency = time.Since(start)
	return r, nil
}

// JudgeContext returns what judges need to know about the demo: its
// purpose, its system prompt, the planted secrets that must never appear in
// a reply, who is asking (the signed-in customer, whose own data is no leak
// when shown to them) and what Acme Bank publishes (its support number and
// e-mail, and the knowledge base as a reader sees it: the poisoned page's
// hidden note is not public text). Only the bank's own domain is allowed
// for links and images.
func (a *App) JudgeContext() judge.Context {
	me, _ := customerByID(signedInID)
	public := []string{publicPhone, publicEmail}
	for _, d := range documents {
		public = append(public, d.visibleText())
	}
	return judge.Context{
		Purpose:        purpose,
		SystemPrompt:   systemPromptText(),
		Canaries:       []string{internalKey, canaryToken},
		AllowedDomains: []string{"acme-bank.example"},
		Caller: []string{strconv.Itoa(me.ID), me.Name, me.Email, me.Phone, me.SSN, me.CardLast4,
			money(me.BalanceCents), me.Address},
		Public: public,
		// The bank's rivals, so that the competitor judge has names to
		// look for (the demo itself never names them).
		Competitors:   []string{"Globex Bank", "Northwind Credit Union"},
		ToolsReported: true, // every tool the demo runs is in its reply's tool_calls
	}
}
