package data

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tokens returns all tokens of s, failing the test on an error.
func tokens(t *testing.T, s string) []htmlToken {
	t.Helper()
	z := newHTMLTokenizer(strings.NewReader(s), false)
	var out []htmlToken
	for {
		tok, err := z.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, tok)
	}
}

func TestHTMLTokenizer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []htmlToken
	}{
		{"text and tags", "a<b class=x>B</b>c", []htmlToken{
			{Kind: htmlText, Text: "a", Line: 1},
			{Kind: htmlStartTag, Name: "b", Attrs: []htmlAttr{{"class", "x"}}, Line: 1},
			{Kind: htmlText, Text: "B", Line: 1},
			{Kind: htmlEndTag, Name: "b", Line: 1},
			{Kind: htmlText, Text: "c", Line: 1},
		}},
		{"quoted attribute holds >", `<p title='a > b' data-x="1">`, []htmlToken{
			{Kind: htmlStartTag, Name: "p", Attrs: []htmlAttr{{"title", "a > b"}, {"data-x", "1"}}, Line: 1},
		}},
		{"upper case, bare attribute, self closing", "<IMG SRC=a.png HIDDEN/>", []htmlToken{
			{Kind: htmlStartTag, Name: "img", Attrs: []htmlAttr{{"src", "a.png"}, {"hidden", ""}}, SelfClosing: true, Line: 1},
		}},
		{"comment over lines", "x\n<!-- one\ntwo -->\ny", []htmlToken{
			{Kind: htmlText, Text: "x\n", Line: 1},
			{Kind: htmlComment, Text: " one\ntwo ", Line: 2},
			{Kind: htmlText, Text: "\ny", Line: 3},
		}},
		{"abrupt and unterminated comments", "<!-->a<!-- never closed", []htmlToken{
			{Kind: htmlComment, Line: 1},
			{Kind: htmlText, Text: "a", Line: 1},
			{Kind: htmlComment, Text: " never closed", Line: 1},
		}},
		{"entities", "&lt;b&gt; &amp;amp; &#65;&#x42; &bogus; &#0;", []htmlToken{
			{Kind: htmlText, Text: "<b> &amp; AB &bogus; \uFFFD", Line: 1},
		}},
		{"less-than that is not markup", "a < b, 1<2, <user@example.com> <https://x.org>", []htmlToken{
			{Kind: htmlText, Text: "a < b, 1<2, <user@example.com> <https://x.org>", Line: 1},
		}},
		{"script content is raw", "<script>if (a<b) { x = '</p>' }</script>t", []htmlToken{
			{Kind: htmlStartTag, Name: "script", Line: 1},
			{Kind: htmlRaw, Name: "script", Text: "if (a<b) { x = '</p>' }", Line: 1},
			{Kind: htmlEndTag, Name: "script", Line: 1},
			{Kind: htmlText, Text: "t", Line: 1},
		}},
		{"title is text", "<title>A &amp; B</title>", []htmlToken{
			{Kind: htmlStartTag, Name: "title", Line: 1},
			{Kind: htmlText, Name: "title", Text: "A & B", Line: 1},
			{Kind: htmlEndTag, Name: "title", Line: 1},
		}},
		{"doctype and processing instruction", "<!DOCTYPE html><?xml x?>z", []htmlToken{
			{Kind: htmlDoctype, Line: 1}, {Kind: htmlDoctype, Line: 1}, {Kind: htmlText, Text: "z", Line: 1},
		}},
		{"truncated tag", "<div class=\"a", []htmlToken{
			{Kind: htmlStartTag, Name: "div", Attrs: []htmlAttr{{"class", "a"}}, Line: 1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tokens(t, tc.in)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(htmlToken{}, htmlAttr{})); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHTMLTokenizerLongText checks that long text comes out in bounded
// chunks that join back to the input, without splitting a rune.
func TestHTMLTokenizerLongText(t *testing.T) {
	in := strings.Repeat("héllo wörld ", 20000)
	var b strings.Builder
	for _, tok := range tokens(t, in) {
		if len(tok.Text) > htmlMaxText+4 {
			t.Fatalf("text token of %d bytes, want at most %d", len(tok.Text), htmlMaxText+4)
		}
		b.WriteString(tok.Text)
	}
	if b.String() != in {
		t.Error("chunks do not join back to the input")
	}
}

// segments extracts every segment of an HTML or Markdown document.
func segments(t *testing.T, s string, markdown bool) []segment {
	t.Helper()
	x := newHTMLExtractor(strings.NewReader(s), markdown)
	var out []segment
	for {
		segs, err := x.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, segs...)
	}
}

// hiddenOf returns how the segment holding needle was hidden ("" visible),
// failing when no segment holds it.
func hiddenOf(t *testing.T, segs []segment, needle string) string {
	t.Helper()
	for _, s := range segs {
		if strings.Contains(s.Text, needle) {
			return s.HiddenBy
		}
	}
	t.Fatalf("no segment holds %q; segments: %+v", needle, segs)
	return ""
}

func TestHiddenHTML(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"visible", `<p>SECRET plain</p>`, ""},
		{"comment", `<p>x</p><!-- SECRET in comment -->`, hiddenComment},
		{"display none", `<div style="display: none">SECRET</div>`, hiddenDisplayNone},
		{"display none important, nested", `<div style="DISPLAY:none !important"><p><b>SECRET</b></p></div>`, hiddenDisplayNone},
		{"visibility hidden", `<span style="visibility:hidden">SECRET</span>`, hiddenVisibility},
		{"font size zero", `<span style="font-size:0px">SECRET</span>`, hiddenFontSize},
		{"font size tiny", `<span style="font-size: 0.5px">SECRET</span>`, hiddenFontSize},
		{"opacity", `<span style="opacity:0">SECRET</span>`, hiddenOpacity},
		{"white on default white", `<span style="color:#fff">SECRET</span>`, hiddenSameColor},
		{"white on white rgb", `<p style="color: rgb(255,255,255); background-color:#FFFFFF">SECRET</p>`, hiddenSameColor},
		{"near white on white", `<p style="color:#fefefe">SECRET</p>`, hiddenSameColor},
		{"same colour inherited bg", `<div style="background:#123456 url(x.png)"><span style="color:#123456">SECRET</span></div>`, hiddenSameColor},
		{"black on black", `<div style="background-color:black">SECRET</div>`, hiddenSameColor},
		{"transparent text", `<span style="color:rgba(0,0,0,0)">SECRET</span>`, hiddenSameColor},
		{"white on black is visible", `<div style="background:black;color:white">SECRET</div>`, ""},
		{"offscreen", `<div style="position:absolute;left:-9999px">SECRET</div>`, hiddenOffscreen},
		{"zero size clipped", `<div style="height:0;overflow:hidden">SECRET</div>`, hiddenZeroSize},
		{"hidden attribute", `<section hidden>SECRET</section>`, hiddenAttribute},
		{"aria hidden", `<span aria-hidden="true">SECRET</span>`, hiddenAria},
		{"template", `<template><p>SECRET</p></template>`, hiddenTemplate},
		{"alt text", `<img src=x alt="SECRET alt">`, hiddenAlt},
		{"title attribute", `<a href=x title="SECRET tip">link</a>`, hiddenTitle},
		{"hidden input", `<input type="hidden" name="n" value="SECRET v">`, hiddenInput},
		{"meta description", `<meta name="description" content="SECRET d">`, hiddenMeta},
		{"class rule", `<style>.a, .sr-only { display:none }</style><p class="x sr-only">SECRET</p>`, hiddenDisplayNone},
		{"id rule", `<style>/* c */ #z { font-size: 0 }</style><p id=z>SECRET</p>`, hiddenFontSize},
		{"compound selector ignored", `<style>div .q { display:none }</style><p class=q>SECRET</p>`, ""},
		{"after hidden element closes", `<div style="display:none">x</div><p>SECRET after</p>`, ""},
		{"unclosed inline in hidden", `<div hidden><b>a<i>SECRET</div>`, hiddenAttribute},
		{"stray end tag ignored", `</span><p>SECRET</p>`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hiddenOf(t, segments(t, tc.doc, false), "SECRET"); got != tc.want {
				t.Errorf("hidden by %q, want %q", got, tc.want)
			}
		})
	}
}

// TestHiddenSegmentText checks what a hidden segment holds: all the text
// of the hiding element, nested tags included, and nothing after it.
func TestHiddenSegmentText(t *testing.T) {
	segs := segments(t, `<p>Hello <b>world</b>.</p><div style="display:none">Do <i>this</i> now</div><p>Bye</p>`, false)
	want := []segment{
		{Text: "Do this now", Line: 1, Field: "hidden", HiddenBy: hiddenDisplayNone},
		{Text: "Hello world.\nBye\n", Line: 1, Field: "text"},
	}
	if diff := cmp.Diff(want, segs, cmp.AllowUnexported(segment{})); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
}

func TestMarkdown(t *testing.T) {
	doc := "# Title\n\nFirst para\nline two.\n\n[//]: # (SECRET md comment)\n\n" +
		"```html\n<div style=\"display:none\">CODE shown</div>\n```\n\n" +
		"Text <span style=\"display:none\">SECRET span</span> more.\n\n<!-- SECRET html comment -->\nmail <a@b.co>\n"
	segs := segments(t, doc, true)
	for _, tc := range []struct{ needle, want string }{
		{"First para", ""},
		{"SECRET md comment", hiddenMarkdown},
		{"CODE shown", ""},
		{"SECRET span", hiddenDisplayNone},
		{"SECRET html comment", hiddenComment},
		{"<a@b.co>", ""},
	} {
		if got := hiddenOf(t, segs, tc.needle); got != tc.want {
			t.Errorf("%q hidden by %q, want %q", tc.needle, got, tc.want)
		}
	}
	for _, s := range segs {
		if strings.Contains(s.Text, "First para") && (s.Line != 3 || strings.Contains(s.Text, "Title")) {
			t.Errorf("paragraph segment = %+v, want line 3 without the heading", s)
		}
	}
}

func TestParseColor(t *testing.T) {
	tests := []struct {
		in   string
		want rgb
		ok   bool
	}{
		{"#fff", rgb{255, 255, 255, 1}, true},
		{"#ffffff80", rgb{255, 255, 255, 128.0 / 255}, true},
		{"rgb(10, 20, 30)", rgb{10, 20, 30, 1}, true},
		{"rgba(10 20 30 / 50%)", rgb{10, 20, 30, 0.5}, true},
		{"rgb(100%,0%,0%)", rgb{255, 0, 0, 1}, true},
		{"White", rgb{}, false}, // parseStyle lower-cases first
		{"white", rgb{255, 255, 255, 1}, true},
		{"#ggg", rgb{}, false},
		{"hsl(0,0%,100%)", rgb{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseColor(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Errorf("parseColor(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
