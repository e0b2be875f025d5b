package linear

import "strings"

// SegmentSize is the length from which ScoreLong also scores a text piece
// by piece: a short injected instruction in a long benign document weighs
// little against the whole text, but dominates the piece it sits in.
const SegmentSize = 1024

// ScoreLong returns the highest calibrated score among the whole text and,
// when text is longer than 2*SegmentSize bytes, its segments (see
// Segments), with the span of the part that scored it. The training
// program calibrates the threshold with this very procedure, so taking the
// maximum over more pieces does not raise the false-positive rate unseen.
func (m *Model) ScoreLong(text string) (score float64, start, end int) {
	score, start, end = m.Score(text), 0, len(text)
	if len(text) <= 2*SegmentSize {
		return score, start, end
	}
	for _, sg := range Segments(text, SegmentSize) {
		if s := m.Score(text[sg[0]:sg[1]]); s > score {
			score, start, end = s, sg[0], sg[1]
		}
	}
	return score, start, end
}

// Segments splits text into consecutive pieces of at most size bytes (a
// little more when no break is found), cut after a newline where possible,
// else after a space, so pieces follow paragraphs and lines. Cuts fall on
// ASCII bytes, hence on UTF-8 boundaries. The pieces cover text exactly.
func Segments(text string, size int) [][2]int {
	if size < 16 {
		size = 16
	}
	var out [][2]int
	for start := 0; start < len(text); {
		end := len(text)
		if end-start > size {
			window := text[start : start+size]
			cut := strings.LastIndexByte(window, '\n')
			if cut < size/4 {
				cut = strings.LastIndexByte(window, ' ')
			}
			if cut < size/4 {
				// No break: cut at the first space or newline past the window.
				rest := text[start+size:]
				if k := strings.IndexAny(rest, " \n"); k >= 0 {
					cut = size + k
				} else {
					cut = len(text) - start - 1
				}
			}
			end = start + cut + 1
		}
		out = append(out, [2]int{start, end})
		start = end
	}
	return out
}
