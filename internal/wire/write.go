package wire

import (
	"encoding/json"
	"fmt"

	"github.com/redoubt-sec/redoubt/internal/wire/sse"
)

// DoneData is the data of the event that ends an OpenAI stream.
const DoneData = "[DONE]"

// WriteChatChunk writes a chunk as an OpenAI stream event (an unnamed
// event whose data is the chunk's JSON) and flushes it.
func WriteChatChunk(w *sse.Writer, c *ChatCompletionChunk) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding chunk: %w", err)
	}
	return w.WriteEvent(sse.Event{Data: string(b)})
}

// WriteChatDone writes the [DONE] event that ends an OpenAI stream.
func WriteChatDone(w *sse.Writer) error {
	return w.WriteEvent(sse.Event{Data: DoneData})
}

// WriteStreamEvent writes an Anthropic stream event: named by its type,
// with the event's JSON as data, as the Messages API does.
func WriteStreamEvent(w *sse.Writer, e *StreamEvent) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding %s event: %w", e.Type, err)
	}
	return w.WriteEvent(sse.Event{Type: e.Type, Data: string(b)})
}
