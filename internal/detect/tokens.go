package detect

import (
	"fmt"

	"github.com/tiktoken-go/tokenizer"
)

// TypeTokenLimit is the finding type of the Tokens detector.
const TypeTokenLimit = "token_limit"

// DefaultTokenEncoding is the encoding used when none is named.
const DefaultTokenEncoding = "cl100k_base"

// Tokens reports a text longer than a token limit, counting tokens as
// OpenAI's tiktoken does (cl100k_base by default; o200k_base, p50k_base
// and r50k_base too), offline, with the vocabularies embedded in
// github.com/tiktoken-go/tokenizer.
//
// Exact counting costs about a microsecond per 10 bytes, so Scan first
// uses a bound that needs no tokenising: in byte-level BPE every token
// stands for at least one byte, so a text of n bytes has at most n tokens,
// and a text no longer in bytes than the limit is under it. Only longer
// texts are tokenised.
//
// The finding spans the part of the text beyond the limit (from the first
// byte of token limit+1 to the end), so that a guard can truncate there;
// it scores 1.
type Tokens struct {
	limit int
	codec tokenizer.Codec
}

// NewTokens returns a Tokens detector for at most limit tokens in the named
// encoding ("" for DefaultTokenEncoding). It fails for an unknown encoding
// or a limit below 1.
func NewTokens(limit int, encoding string) (*Tokens, error) {
	if limit < 1 {
		return nil, fmt.Errorf("tokens: limit %d: must be at least 1", limit)
	}
	c, err := tokenCodec(encoding)
	if err != nil {
		return nil, err
	}
	return &Tokens{limit: limit, codec: c}, nil
}

// tokenCodec returns the codec of the named encoding.
func tokenCodec(encoding string) (tokenizer.Codec, error) {
	if encoding == "" {
		encoding = DefaultTokenEncoding
	}
	c, err := tokenizer.Get(tokenizer.Encoding(encoding))
	if err != nil {
		return nil, fmt.Errorf("tokens: encoding %q (want cl100k_base, o200k_base, p50k_base or r50k_base): %w", encoding, err)
	}
	return c, nil
}

// Name implements Detector.
func (*Tokens) Name() string { return "tokens" }

// Count returns the number of tokens in text.
func (t *Tokens) Count(text string) int {
	n, err := t.codec.Count(text)
	if err != nil { // only in strict UTF-8 mode, which is not used
		return len(text)
	}
	return n
}

// Scan implements Detector.
func (t *Tokens) Scan(text string) []Finding {
	if len(text) <= t.limit { // at most one token per byte
		return nil
	}
	_, toks, err := t.codec.Encode(text)
	if err != nil || len(toks) <= t.limit {
		return nil
	}
	// Tokens are consecutive pieces of the text; their byte lengths add up
	// to the offset where the excess starts. Move it back to a rune start
	// when a token ends inside a multi-byte character.
	off := 0
	for _, tok := range toks[:t.limit] {
		off += len(tok)
	}
	off = min(off, len(text))
	for off > 0 && off < len(text) && text[off]&0xC0 == 0x80 {
		off--
	}
	return []Finding{{Scanner: t.Name(), Type: TypeTokenLimit, Start: off, End: len(text), Score: 1}}
}

// CountTokens counts the tokens of text in the named encoding ("" for
// DefaultTokenEncoding). It builds the encoder on every call; to count
// many texts, use NewTokens and Tokens.Count.
func CountTokens(text, encoding string) (int, error) {
	c, err := tokenCodec(encoding)
	if err != nil {
		return 0, err
	}
	n, err := c.Count(text)
	if err != nil {
		return 0, fmt.Errorf("tokens: counting: %w", err)
	}
	return n, nil
}
