package builtin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/tools/builtin"
)

func dispatch(t *testing.T, tool tools.Tool, args string) tools.Result {
	t.Helper()
	d := tools.NewDispatcher(tools.MustSet(tool))
	return d.Call(context.Background(), llm.ToolCall{Name: tool.Spec().Name, Arguments: json.RawMessage(args)})
}

func TestCalculator(t *testing.T) {
	tests := []struct {
		expr    string
		want    float64
		wantErr string
	}{
		{expr: "1 + 2 * 3", want: 7},
		{expr: "(1 + 2) * 3", want: 9},
		{expr: "2 ** 10", want: 1024},
		{expr: "2 ^ 0.5", want: math.Sqrt2},
		{expr: "10 / 4", want: 2.5},
		{expr: "-(-3) + +1", want: 4},
		{expr: "sqrt(16) + abs(-2) + max(1, 7, 3) + min(4, 2)", want: 15},
		{expr: "round(pi * 100) / 100", want: 3.14},
		{expr: "mod(7, 3) + hypot(3, 4)", want: 6},
		{expr: "9223372036854775807 * 4", want: 9223372036854775807.0 * 4}, // no integer wrap-around
		{expr: "log(e)", want: 1},
		{expr: "", wantErr: "empty"},
		{expr: "1 / 0", wantErr: "not a finite number"},
		{expr: "sqrt(-1)", wantErr: "not a finite number"},
		{expr: "7 % 2", wantErr: "mod(a, b)"},
		{expr: `"text"`, wantErr: "a string"},
		{expr: "true", wantErr: "a boolean"},
		{expr: "x + 1", wantErr: `unknown name "x"`},
		{expr: "1 < 2", wantErr: "not allowed"},
		{expr: "1 == 1 ? 2 : 3", wantErr: "not allowed"},
		{expr: "[1, 2]", wantErr: "an array"},
		{expr: "{a: 1}", wantErr: "not allowed"},
		{expr: "len([1])", wantErr: "unknown"},
		{expr: "env", wantErr: "unknown"},
		{expr: "$env", wantErr: "unknown"},
		{expr: `$env["PATH"]`, wantErr: "unknown name"},
		{expr: "sqrt.String()", wantErr: "not allowed"},
		{expr: "sqrt", wantErr: "is a function"},
		{expr: "pi.Foo", wantErr: "not allowed"},
		{expr: "let x = 2; x * x", wantErr: "calculator:"},
		{expr: "map([1], # * 2)", wantErr: "not allowed"},
		{expr: "1 | sqrt", wantErr: ""},
		{expr: "now()", wantErr: `unknown name "now"`},
		{expr: strings.Repeat("1+", 600) + "1", wantErr: "maxLength"},
		{expr: strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200), want: 1},
		{expr: strings.Repeat("1+", 400) + "1", wantErr: "nodes"},
	}
	calc := builtin.Calculator()
	for _, tt := range tests {
		t.Run(tt.expr[:min(len(tt.expr), 30)], func(t *testing.T) {
			args, _ := json.Marshal(builtin.CalculatorInput{Expression: tt.expr})
			r := dispatch(t, calc, string(args))
			if tt.wantErr != "" || r.Err != nil {
				if r.Err == nil || !strings.Contains(r.Content, tt.wantErr) {
					t.Fatalf("content %q (err %v), want an error with %q", r.Content, r.Err, tt.wantErr)
				}
				return
			}
			var out builtin.CalculatorOutput
			if err := json.Unmarshal([]byte(r.Content), &out); err != nil {
				t.Fatal(err)
			}
			if math.Abs(out.Result-tt.want) > 1e-9*math.Max(1, math.Abs(tt.want)) {
				t.Errorf("%s = %v, want %v", tt.expr, out.Result, tt.want)
			}
		})
	}
}

func FuzzCalculator(f *testing.F) {
	for _, s := range []string{"1+2", "sqrt(2)**2", "$env", "x.y()", "max(1,2,3)", "1/(1-1)", "((((1))))", "-1e308*10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := builtin.Evaluate(s)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("%q = %v without error", s, v)
		}
	})
}

func TestFSConfinement(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	must(t, os.MkdirAll(filepath.Join(root, "sub", "deeper"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello, world\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "sub", "note.md"), []byte("# Note\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "big.txt"), []byte(strings.Repeat("ab", 100)), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "bin.dat"), []byte{0xff, 0xfe, 0x00, 0x01}, 0o644))
	must(t, os.WriteFile(filepath.Join(base, "secret.txt"), []byte("top secret"), 0o644))
	must(t, os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "escape-abs")))
	must(t, os.Symlink("../secret.txt", filepath.Join(root, "escape-rel")))
	must(t, os.Symlink(base, filepath.Join(root, "escape-dir")))
	must(t, os.Symlink("sub/note.md", filepath.Join(root, "inside-link")))

	fsys, err := builtin.OpenFS(root, builtin.WithMaxFileBytes(64))
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	read, list := fsys.ReadFile(), fsys.ListDir()
	tests := []struct {
		tool        tools.Tool
		path        string
		wantContent string
		wantErr     string
	}{
		{tool: read, path: "hello.txt", wantContent: "hello, world"},
		{tool: read, path: "sub/note.md", wantContent: "# Note"},
		{tool: read, path: "./sub/../hello.txt", wantContent: "hello, world"},
		{tool: read, path: "inside-link", wantContent: "# Note"},
		{tool: read, path: "big.txt", wantContent: `"truncated":true`},
		{tool: read, path: "bin.dat", wantErr: "not a text file"},
		{tool: read, path: "missing.txt", wantErr: "does not exist"},
		{tool: read, path: "sub", wantErr: "is a directory"},
		{tool: read, path: "../secret.txt", wantErr: "outside"},
		{tool: read, path: "sub/../../secret.txt", wantErr: "outside"},
		{tool: read, path: filepath.Join(base, "secret.txt"), wantErr: "absolute path"},
		{tool: read, path: "/etc/passwd", wantErr: "absolute path"},
		{tool: read, path: "escape-abs", wantErr: "outside"},
		{tool: read, path: "escape-rel", wantErr: "outside"},
		{tool: read, path: "escape-dir/secret.txt", wantErr: "outside"},
		{tool: list, path: "", wantContent: `{"name":"big.txt","type":"file","size":200}`},
		{tool: list, path: "sub", wantContent: `{"name":"deeper","type":"dir"}`},
		{tool: list, path: "", wantContent: `{"name":"escape-abs","type":"symlink"}`},
		{tool: list, path: "..", wantErr: "outside"},
		{tool: list, path: "escape-dir", wantErr: "outside"},
		{tool: list, path: "/", wantErr: "absolute path"},
		{tool: list, path: "hello.txt", wantErr: "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.tool.Spec().Name+" "+tt.path, func(t *testing.T) {
			args, _ := json.Marshal(map[string]string{"path": tt.path})
			r := dispatch(t, tt.tool, string(args))
			if strings.Contains(r.Content, "top secret") {
				t.Fatalf("escaped the root: %q", r.Content)
			}
			if strings.Contains(r.Content, base) && !strings.Contains(tt.path, base) {
				t.Errorf("host path leaked: %q", r.Content)
			}
			if tt.wantErr != "" {
				if r.Err == nil || !strings.Contains(r.Content, tt.wantErr) {
					t.Errorf("content %q, want error with %q", r.Content, tt.wantErr)
				}
				return
			}
			if r.Err != nil || !strings.Contains(r.Content, tt.wantContent) {
				t.Errorf("content %q (err %v), want %q", r.Content, r.Err, tt.wantContent)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

const page = `<!DOCTYPE html>
<html><head><title>Test &amp; Page</title><style>body { color: red }</style>
<script>var secret = "do not show";</script></head>
<body><nav>Home</nav><h1>Main   heading</h1>
<p>First <b>bold</b> paragraph, with an <a href="/x">inline link</a>.</p>
<ul><li>one</li><li>two</li></ul>
<noscript>enable js</noscript><p>Caf&eacute; &lt;ok&gt;<br>next line</p>
<template><p>hidden</p></template></body></html>`

func TestHTTPGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, page)
		case "/text":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "plain text")
		case "/big":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, strings.Repeat("x", 5000))
		case "/image":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte{0x89, 'P', 'N', 'G'})
		case "/missing":
			http.Error(w, "no such page", http.StatusNotFound)
		case "/redirect-out":
			http.Redirect(w, r, "http://evil.example/steal", http.StatusFound)
		case "/redirect-in":
			http.Redirect(w, r, "/text", http.StatusFound)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	host := u.Hostname()

	allowed, err := builtin.HTTPGet(builtin.HTTPConfig{AllowedHosts: []string{host}, MaxBytes: 1000, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	nobody, err := builtin.HTTPGet(builtin.HTTPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	otherPort, err := builtin.HTTPGet(builtin.HTTPConfig{AllowedHosts: []string{host + ":1"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tool tools.Tool
		url  string
		want []string
		err  string
		not  []string
	}{
		{name: "html to text", tool: allowed, url: srv.URL + "/page",
			want: []string{`"title":"Test & Page"`, `Main heading`, `First bold paragraph, with an inline link.`, `- one\n- two`, `Café <ok>\nnext line`, `"status":200`},
			not:  []string{"secret", "color: red", "enable js", "hidden", "<p>"}},
		{name: "plain text", tool: allowed, url: srv.URL + "/text", want: []string{`"text":"plain text"`}},
		{name: "oversize body", tool: allowed, url: srv.URL + "/big", want: []string{`"truncated":true`, strings.Repeat("x", 1000) + `"`}, not: []string{strings.Repeat("x", 1001)}},
		{name: "not text", tool: allowed, url: srv.URL + "/image", err: "not text"},
		{name: "404", tool: allowed, url: srv.URL + "/missing", err: "HTTP 404"},
		{name: "redirect inside", tool: allowed, url: srv.URL + "/redirect-in", want: []string{"plain text"}},
		{name: "redirect to a refused host", tool: allowed, url: srv.URL + "/redirect-out", err: "evil.example is not on the list"},
		{name: "refused host", tool: allowed, url: "http://example.com/", err: "host not allowed"},
		{name: "empty list allows nothing", tool: nobody, url: srv.URL + "/text", err: "no host is allowed"},
		{name: "wrong port", tool: otherPort, url: srv.URL + "/text", err: "host not allowed"},
		{name: "scheme", tool: allowed, url: "file:///etc/passwd", err: "only http and https"},
		{name: "credentials", tool: allowed, url: "http://user:pw@" + u.Host + "/text", err: "user names"},
		{name: "timeout", tool: allowed, url: srv.URL + "/slow", err: "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, _ := json.Marshal(builtin.HTTPGetInput{URL: tt.url})
			r := dispatch(t, tt.tool, string(args))
			if tt.err != "" {
				if r.Err == nil || !strings.Contains(r.Content, tt.err) {
					t.Fatalf("content %q, want error with %q", r.Content, tt.err)
				}
				return
			}
			if r.Err != nil {
				t.Fatalf("err %v", r.Err)
			}
			var out builtin.HTTPGetOutput
			must(t, json.Unmarshal([]byte(r.Content), &out))
			for _, w := range tt.want {
				if !strings.Contains(r.Content, w) && !strings.Contains(out.Text, w) && !strings.Contains(fmt.Sprintf("%q", out.Text), w) {
					t.Errorf("content %q lacks %q", r.Content, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(r.Content, n) {
					t.Errorf("content %q has %q", r.Content, n)
				}
			}
		})
	}
	if _, err := builtin.HTTPGet(builtin.HTTPConfig{AllowedHosts: []string{"http://x.com/"}}); err == nil {
		t.Error("a URL accepted as a host")
	}
	if !errors.Is(tools.ErrTimeout, tools.ErrTimeout) {
		t.Fatal()
	}
}

func TestHTMLTextWildcard(t *testing.T) {
	title, text := builtin.HTMLText([]byte(`<p>a<i>b</i> c</p><div>d</div>`))
	if title != "" || text != "ab c\nd" {
		t.Errorf("%q %q", title, text)
	}
}

func TestNow(t *testing.T) {
	fixed := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	now := builtin.Now(func() time.Time { return fixed })
	r := dispatch(t, now, `{}`)
	if r.Err != nil || !strings.Contains(r.Content, `"time":"2026-03-01T12:30:00Z"`) || !strings.Contains(r.Content, `"weekday":"Sunday"`) {
		t.Errorf("%q %v", r.Content, r.Err)
	}
	if _, err := time.LoadLocation("Asia/Shanghai"); err != nil {
		t.Skip("no time zone data on this system")
	}
	r = dispatch(t, now, `{"timezone":"Asia/Shanghai"}`)
	if r.Err != nil || !strings.Contains(r.Content, `"time":"2026-03-01T20:30:00+08:00"`) {
		t.Errorf("%q %v", r.Content, r.Err)
	}
	r = dispatch(t, now, `{"timezone":"Mars/Olympus"}`)
	if r.Err == nil || !strings.Contains(r.Content, "unknown time zone") {
		t.Errorf("%q", r.Content)
	}
}

// FuzzHTMLText: no page makes the HTML-to-text extraction panic, and the
// text never holds a script's content.
func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{page, "<p>a<script>x</script>b", "<", "<title>t", "<ul><li>a<li>b</ul>", "&amp;&#x0;"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		_, text := builtin.HTMLText(doc)
		if strings.Contains(string(doc), "<script>SECRET</script>") && strings.Contains(text, "SECRET") && !strings.Contains(strings.ReplaceAll(string(doc), "<script>SECRET</script>", ""), "SECRET") {
			t.Fatalf("script text in %q", text)
		}
	})
}
