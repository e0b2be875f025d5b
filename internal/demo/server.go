package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/internal/wire"
	"github.com/redoubt-sec/redoubt/internal/wire/sse"
	"github.com/redoubt-sec/redoubt/target"
)

// maxBody bounds a request body; the demo needs nothing near it.
const maxBody = 1 << 20

// streamPiece is roughly how many bytes of content one streamed chunk
// carries.
const streamPiece = 24

const banner = `redoubt demo: the "Acme Bank support assistant"

This is a deliberately vulnerable SIMULATION for testing LLM security tools.
No model runs here: a deterministic, rule-based responder answers. The bank,
its customers, keys and documents are invented, and its tools (accounts,
SQL, URL fetching, refunds) are simulated in memory: nothing touches the
network, the file system or a shell.

Endpoints (OpenAI-compatible):
  POST /v1/chat/completions   chat, with "stream": true for server-sent events
  GET  /v1/models             lists ` + ModelName + `

Try: redoubt redteam --target demo
`

// Handler serves the demo as an OpenAI-compatible API: POST
// /v1/chat/completions (streaming or not), GET /v1/models and a plain-text
// banner at GET /. Replies carry the standard fields plus a non-standard
// choices[0].message.context, the documents the assistant retrieved, so
// that a client that knows the field gets the same target.Reply as a
// caller of Send.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", a.chatCompletions)
	mux.HandleFunc("GET /v1/models", listModels)
	mux.HandleFunc("GET /v1/models/{id}", getModel)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, banner)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/", "/v1/chat/completions", "/v1/models":
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed",
				fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path))
		default:
			writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url",
				fmt.Sprintf("unknown URL %s; see GET / for the endpoints", r.URL.Path))
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Say what this is on every response, for whoever finds it in a log.
		w.Header().Set("X-Redoubt-Demo", "simulation")
		mux.ServeHTTP(w, r)
	})
}

// requestError is a client mistake, reported as a 400.
type requestError struct {
	code, msg string
}

func (e *requestError) Error() string { return e.msg }

func (a *App) chatCompletions(w http.ResponseWriter, r *http.Request) {
	req, err := decodeRequest(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		var bad *requestError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large",
				fmt.Sprintf("request body is larger than %d bytes", maxBody))
		case errors.As(err, &bad):
			writeError(w, http.StatusBadRequest, "invalid_request_error", bad.code, bad.msg)
		default:
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json",
				fmt.Sprintf("request body is not valid JSON: %v", err))
		}
		return
	}
	conv, err := conversation(req)
	if err != nil {
		var bad *requestError
		errors.As(err, &bad)
		writeError(w, http.StatusBadRequest, "invalid_request_error", bad.code, bad.msg)
		return
	}
	reply, err := a.Send(r.Context(), conv)
	if err != nil {
		// Send fails only when the client has gone away.
		writeError(w, http.StatusServiceUnavailable, "server_error", "cancelled", err.Error())
		return
	}
	id, created := completionID(conv), time.Now().Unix()
	if req.Stream {
		streamReply(w, r, id, created, reply, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	writeJSON(w, http.StatusOK, wire.ChatCompletion{
		ID:      id,
		Object:  "chat.completion",
		Created: created,
		Model:   ModelName,
		Choices: []wire.ChatChoice{{
			Message: wire.ResponseMessage{
				Role:      target.RoleAssistant,
				Content:   wire.TextContent(reply.Content),
				ToolCalls: wireToolCalls(reply.ToolCalls, false),
				Context:   reply.Context,
			},
			FinishReason: "stop",
		}},
		Usage: usageOf(reply),
	})
}

// decodeRequest reads one JSON object. Unknown fields are accepted, as
// OpenAI clients send many the demo has no use for.
func decodeRequest(body io.Reader) (wire.ChatRequest, error) {
	var req wire.ChatRequest
	dec := json.NewDecoder(body)
	if err := dec.Decode(&req); err != nil {
		return req, err
	}
	if dec.More() {
		return req, &requestError{"invalid_json", "request body holds more than one JSON value"}
	}
	return req, nil
}

// conversation converts and checks the wire messages.
func conversation(req wire.ChatRequest) (target.Conversation, error) {
	if len(req.Messages) == 0 {
		return nil, &requestError{"missing_messages", "messages must be a non-empty array"}
	}
	conv := make(target.Conversation, 0, len(req.Messages))
	for i, m := range req.Messages {
		switch m.Role {
		case target.RoleSystem, "developer", target.RoleUser, target.RoleAssistant, target.RoleTool:
		default:
			return nil, &requestError{"invalid_role", fmt.Sprintf("messages[%d].role %q is not one of system, developer, user, assistant, tool", i, m.Role)}
		}
		text, err := m.Content.Text()
		if err != nil {
			return nil, &requestError{"invalid_content", fmt.Sprintf("messages[%d].content: %v", i, err)}
		}
		msg := target.Message{Role: m.Role, Content: text, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, target.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: string(tc.Function.Arguments)})
		}
		conv = append(conv, msg)
	}
	return conv, nil
}

// streamReply writes the reply as server-sent events in the chunk format
// of the OpenAI API: a role delta (with the retrieved context), content
// pieces, one delta per tool call, a finish chunk, optionally a usage
// chunk, and [DONE]. It stops at the first write that fails or once the
// client has gone.
func streamReply(w http.ResponseWriter, r *http.Request, id string, created int64, reply target.Reply, includeUsage bool) {
	sse.SetHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	sw := sse.NewWriter(w)
	chunk := func(d wire.ChatDelta, finish wire.NullString) *wire.ChatCompletionChunk {
		return &wire.ChatCompletionChunk{
			ID: id, Object: "chat.completion.chunk", Created: created, Model: ModelName,
			Choices: []wire.ChunkChoice{{Delta: d, FinishReason: finish}},
		}
	}
	chunks := []*wire.ChatCompletionChunk{
		chunk(wire.ChatDelta{Role: target.RoleAssistant, Content: wire.TextContent(""), Context: reply.Context}, ""),
	}
	for _, piece := range pieces(reply.Content, streamPiece) {
		chunks = append(chunks, chunk(wire.ChatDelta{Content: wire.TextContent(piece)}, ""))
	}
	for _, tc := range wireToolCalls(reply.ToolCalls, true) {
		chunks = append(chunks, chunk(wire.ChatDelta{ToolCalls: []wire.ToolCall{tc}}, ""))
	}
	chunks = append(chunks, chunk(wire.ChatDelta{}, "stop"))
	if includeUsage {
		chunks = append(chunks, &wire.ChatCompletionChunk{
			ID: id, Object: "chat.completion.chunk", Created: created, Model: ModelName,
			Choices: []wire.ChunkChoice{}, Usage: usageOf(reply),
		})
	}
	for _, c := range chunks {
		if r.Context().Err() != nil || wire.WriteChatChunk(sw, c) != nil {
			return
		}
	}
	_ = wire.WriteChatDone(sw)
}

// pieces splits s into chunks of about n bytes, cutting after a space
// where it can and never inside a UTF-8 sequence.
func pieces(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := strings.LastIndexByte(s[:n], ' ') + 1
		if cut == 0 {
			cut = n
			for cut < len(s) && !utf8.RuneStart(s[cut]) {
				cut++
			}
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func wireToolCalls(calls []target.ToolCall, indexed bool) []wire.ToolCall {
	var out []wire.ToolCall
	for i, tc := range calls {
		w := wire.ToolCall{ID: tc.ID, Type: "function", Function: wire.FunctionCall{Name: tc.Name, Arguments: wire.Arguments(tc.Arguments)}}
		if indexed {
			w.Index = &i
		}
		out = append(out, w)
	}
	return out
}

func usageOf(r target.Reply) *wire.Usage {
	return &wire.Usage{
		PromptTokens:     r.Usage.PromptTokens,
		CompletionTokens: r.Usage.CompletionTokens,
		TotalTokens:      r.Usage.PromptTokens + r.Usage.CompletionTokens,
	}
}

// completionID is stable for a conversation, like everything the demo says.
func completionID(conv target.Conversation) string {
	h := fnv.New64a()
	for _, m := range conv {
		h.Write([]byte(m.Role + "\x00" + m.Content + "\x00"))
	}
	return fmt.Sprintf("chatcmpl-demo-%016x", h.Sum64())
}

type modelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// demoModel describes the one model; its creation date is fixed so that
// the listing never changes.
var demoModel = modelInfo{ID: ModelName, Object: "model", Created: 1735689600, OwnedBy: "redoubt-demo-simulation"}

func listModels(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Object string      `json:"object"`
		Data   []modelInfo `json:"data"`
	}{"list", []modelInfo{demoModel}})
}

func getModel(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != ModelName {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
			fmt.Sprintf("the model %q does not exist; the demo serves %s", id, ModelName))
		return
	}
	writeJSON(w, http.StatusOK, demoModel)
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	writeJSON(w, status, wire.ErrorBody{Error: wire.ErrorDetail{Message: msg, Type: typ, Code: wire.ErrorCode(code)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value written here is built from plain strings and numbers.
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"encoding the response failed","type":"server_error","param":null,"code":"internal"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
