package model

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
)

// Benign chat templates in the styles real models ship.
const (
	chatMLTemplate = `{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`

	llamaStyleTemplate = `{{- bos_token }}
{%- set ns = namespace(system_message='', found=false) %}
{%- if messages[0]['role'] == 'system' %}
    {%- set ns.system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- endif %}
{%- if tools is not none %}
    {%- for t in tools %}{{- t | tojson(indent=4) }}{%- endfor %}
    {%- for key, value in tools[0].parameters.properties.items() %}{{ key }}{% endfor %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- "Cutting Knowledge Date: December 2023\nToday Date: " + strftime_now("%d %b %Y") + "\n\n" }}
{%- for message in messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}`

	// Prints dangerous-looking words as text and inside string literals:
	// they are data, not code.
	wordsTemplate = `You may not exec(), eval() or import os; call __init__ or popen. {# __class__ in a comment #}
{% raw %}{{ cycler.__init__.__globals__.os.popen('id').read() }}{% endraw %}
{% for m in messages %}{{ 'Never run exec or os.system for the user: ' ~ m.content }}{% endfor %}
{% set roles = {'system': 'S', 'user': 'U'} %}{{ roles['system'] }}`
)

func TestAnalyzeJinja(t *testing.T) {
	tests := []struct {
		name string
		tmpl string
		want []string // rule/severity at low or above
	}{
		{name: "chatml", tmpl: chatMLTemplate},
		{name: "llama style with namespace, items and tojson", tmpl: llamaStyleTemplate},
		{name: "dangerous words in text, comments, raw blocks and literals", tmpl: wordsTemplate},
		{
			name: "CVE-2024-34359 payload",
			tmpl: `{% for x in ().__class__.__base__.__subclasses__() %}{% if "warning" in x.__name__ %}{{x()._module.__builtins__['__import__']('os').popen("touch /tmp/retr0reg")}}{%endif%}{% endfor %}`,
			want: []string{"jinja_dangerous_name/critical", "jinja_dunder/critical", "jinja_private_attribute/high"},
		},
		{
			name: "cycler globals to os popen",
			tmpl: `{{ cycler.__init__.__globals__.os.popen('id').read() }}`,
			want: []string{"jinja_dangerous_name/critical", "jinja_dunder/critical", "jinja_global_object/high"},
		},
		{
			name: "lipsum globals",
			tmpl: `{{ lipsum.__globals__['os'].popen('id').read() }}`,
			want: []string{"jinja_dangerous_name/critical", "jinja_dunder/critical", "jinja_global_object/high"},
		},
		{
			name: "template reference context",
			tmpl: `{{ self._TemplateReference__context.joiner.__init__ }}`,
			want: []string{"jinja_dunder/critical", "jinja_global_object/high"},
		},
		{
			name: "concatenated dunder",
			tmpl: `{% set c = '__cla' ~ 'ss__' %}{{ ()|attr(c) }}`,
			want: []string{"jinja_attr_dynamic/critical", "jinja_built_dunder/critical"},
		},
		{
			name: "joined list of pieces",
			tmpl: `{{ ()|attr(['__', 'glo', 'bals', '__']|join) }}`,
			want: []string{"jinja_attr_dynamic/critical", "jinja_built_dunder/critical"},
		},
		{
			name: "dict keyword join trick",
			tmpl: `{{ ()|attr(dict(__cla=1,ss__=1)|join) }}`,
			want: []string{"jinja_attr_dynamic/critical", "jinja_built_dunder/critical", "jinja_dunder/critical"},
		},
		{
			name: "percent-c format",
			tmpl: `{{ ()|attr('%c%cclass%c%c'|format(95,95,95,95)) }}`,
			want: []string{"jinja_attr_dynamic/critical", "jinja_built_dunder/critical", "jinja_char_picking/high"},
		},
		{
			name: "hex escapes",
			tmpl: `{{ ()|attr('\x5f\x5fclass\x5f\x5f') }}`,
			want: []string{"jinja_attr_filter/critical", "jinja_dunder/critical", "jinja_escaped_string/high"},
		},
		{
			name: "reversed string",
			tmpl: `{{ ()|attr('ssalc__'|reverse ~ '__') }}`,
			want: []string{"jinja_attr_dynamic/critical", "jinja_built_dunder/critical"},
		},
		{
			name: "characters picked from an object's string form",
			tmpl: `{% set u = (()|select|string)[24] %}{{ u }}`,
			want: []string{"jinja_char_picking/high"},
		},
		{
			name: "request application and config items",
			tmpl: `{{ request.application }}{{ config.items() }}`,
			want: []string{"jinja_global_object/high"},
		},
		{
			name: "eval call",
			tmpl: `{{ eval('1+1') }}`,
			want: []string{"jinja_dangerous_call/critical"},
		},
		{
			name: "subscript module lookup",
			tmpl: `{{ x['subprocess'] }}`,
			want: []string{"jinja_dangerous_name/critical"},
		},
		{
			name: "benign attr filter",
			tmpl: `{{ message|attr('content') }}`,
		},
		{
			name: "unterminated tag",
			tmpl: `{{ messages[0]['content'] `,
		},
		{
			name: "whitespace control and closer inside a string",
			tmpl: `{%- if x == '%}' -%}{{- '}}' ~ y.__class__ -}}{%- endif %}`,
			want: []string{"jinja_dunder/critical"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := chatTemplateFindings(tt.tmpl, "tokenizer.chat_template", 100)
			if diff := cmp.Diff(tt.want, formatRules(fs, finding.Low)); diff != "" {
				t.Errorf("findings (-want +got):\n%s\nall: %+v", diff, fs)
			}
			for _, f := range fs {
				if offsetOf(f) < 100 || offsetOf(f) >= 100+int64(len(tt.tmpl)) {
					t.Errorf("finding %s at offset %d, outside the template", f.Type, offsetOf(f))
				}
			}
		})
	}
}

func TestJinjaFindingPosition(t *testing.T) {
	tmpl := `{{ x }}{{ y.__class__ }}`
	fs := chatTemplateFindings(tmpl, "k", 0)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	if got := tmpl[offsetOf(fs[0]):]; !strings.HasPrefix(got, "__class__") {
		t.Errorf("finding points at %q, want the __class__ token", got)
	}
}

func TestJinjaUnusualGlobalInfo(t *testing.T) {
	fs := chatTemplateFindings(`{% set c = cycler('a', 'b') %}{{ c.next() }}`, "k", 0)
	got := formatRules(fs, finding.Info)
	if !slices.Equal(got, []string{"jinja_unusual_global/info"}) {
		t.Errorf("findings %v, want only jinja_unusual_global/info", got)
	}
}

func FuzzJinja(f *testing.F) {
	for _, s := range []string{chatMLTemplate, llamaStyleTemplate, wordsTemplate,
		`{{ ()|attr('%c'|format(95)) }}`, `{{ '\x5f\u005f\U0000005f\137' }}`, `{% raw %}{{`, `{#`, `{{ "unterminated`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tmpl string) {
		for _, is := range analyzeJinja(tmpl) {
			if is.pos < 0 || is.pos > len(tmpl) {
				t.Fatalf("issue %s at %d outside the %d-byte template", is.rule, is.pos, len(tmpl))
			}
			if !utf8.ValidString(is.detail) || is.rule == "" || is.severity == 0 {
				t.Fatalf("bad issue %+v", is)
			}
		}
	})
}
