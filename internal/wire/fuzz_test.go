package wire

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzReadStreams feeds arbitrary streams, as a hostile server would send,
// to both stream readers: neither may panic, and whatever they assemble
// must encode as JSON again (a proxy writes it on).
func FuzzReadStreams(f *testing.F) {
	for _, name := range []string{"openai_stream.txt", "anthropic_stream.txt"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("data: {\"choices\":[{\"index\":-1,\"delta\":{\"tool_calls\":[{\"index\":-5},{\"id\":\"x\"},{}]},\"finish_reason\":\"stop\"}]}\n\n"))
	f.Add([]byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":99,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		if c, err := ReadChatStream(bytes.NewReader(stream), 1<<16, nil); err == nil {
			if _, err := json.Marshal(c); err != nil {
				t.Fatalf("assembled completion does not encode: %v", err)
			}
		}
		if m, err := ReadMessagesStream(bytes.NewReader(stream), 1<<16, nil); err == nil {
			for i := range m.Content {
				// Input is model-written text and may be invalid JSON;
				// everything else must encode.
				m.Content[i].Input = nil
			}
			if _, err := json.Marshal(m); err != nil {
				t.Fatalf("assembled message does not encode: %v", err)
			}
		}
	})
}
