package app

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

func TestReadLine(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 50) + "\nlast-no-newline"
	r := bufio.NewReaderSize(strings.NewReader(in), 16)
	type got struct {
		line    string
		tooLong bool
	}
	var lines []got
	for {
		line, tooLong, err := readLine(r, 20)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		lines = append(lines, got{string(line), tooLong})
		if err == io.EOF {
			break
		}
	}
	want := []got{{"short", false}, {"", true}, {"last-no-newline", false}}
	if len(lines) != len(want) {
		t.Fatalf("lines = %+v", lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, lines[i], want[i])
		}
	}
}
