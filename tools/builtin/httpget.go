package builtin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/plait-ai/plait/tools"
)

// HTTPConfig configures the http_get tool. Its zero value allows nothing.
type HTTPConfig struct {
	// AllowedHosts lists the hosts the tool may fetch from: "example.com"
	// (that host, any port), "example.com:8080" (that host and port), or
	// "*.example.com" (its subdomains, not example.com itself). An empty
	// list allows no host at all. Redirects are followed only to allowed
	// hosts.
	AllowedHosts []string
	// Timeout bounds a whole request, redirects and body included;
	// default 15s.
	Timeout time.Duration
	// MaxBytes caps the body read, default 1 MiB; the rest is not read and
	// the result says it was truncated.
	MaxBytes int64
	// MaxTextBytes caps the text returned to the model, default 32 KiB.
	MaxTextBytes int
	// Client is the HTTP client to use; its CheckRedirect is replaced.
	// Default: a client with Timeout.
	Client *http.Client
	// UserAgent is sent with requests; default "plait-http-get/1".
	UserAgent string
}

// HTTPGetInput is http_get's argument.
type HTTPGetInput struct {
	URL string `json:"url" jsonschema:"description=The http or https URL to fetch."`
}

// HTTPGetOutput is http_get's result.
type HTTPGetOutput struct {
	URL         string `json:"url"`
	Status      int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	Title       string `json:"title,omitempty"`
	// Text is the body as text: HTML reduced to its readable text.
	Text      string `json:"text"`
	Truncated bool   `json:"truncated,omitempty"`
}

// ErrHostNotAllowed is the error of a fetch from a host the allow-list
// does not name.
var ErrHostNotAllowed = errors.New("host not allowed")

// HTTPGet returns the http_get tool: it fetches a URL from an allowed host
// and returns its text (HTML reduced to readable text with
// golang.org/x/net/html; scripts, styles and markup dropped).
func HTTPGet(cfg HTTPConfig) (tools.Tool, error) {
	for _, h := range cfg.AllowedHosts {
		if strings.TrimSpace(h) == "" || strings.Contains(h, "/") {
			return nil, fmt.Errorf("builtin: http_get: %q is not a host name", h)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 20
	}
	if cfg.MaxTextBytes <= 0 {
		cfg.MaxTextBytes = 32 << 10
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "plait-http-get/1"
	}
	client := &http.Client{Timeout: cfg.Timeout}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
		if client.Timeout == 0 {
			client.Timeout = cfg.Timeout
		}
	}
	allowed := cfg.AllowedHosts
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return checkURL(req.URL, allowed)
	}
	return tools.Func("http_get", "Fetches a web page or document by URL and returns its text. Only some hosts are allowed.",
		func(ctx context.Context, in HTTPGetInput) (HTTPGetOutput, error) {
			u, err := url.Parse(strings.TrimSpace(in.URL))
			if err != nil {
				return HTTPGetOutput{}, fmt.Errorf("%q is not a URL: %v", in.URL, err)
			}
			if err := checkURL(u, allowed); err != nil {
				return HTTPGetOutput{}, err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
			if err != nil {
				return HTTPGetOutput{}, err
			}
			req.Header.Set("User-Agent", cfg.UserAgent)
			req.Header.Set("Accept", "text/html, text/plain, application/json;q=0.9, */*;q=0.5")
			resp, err := client.Do(req)
			if err != nil {
				var ue *url.Error
				if errors.As(err, &ue) && errors.Is(ue.Err, ErrHostNotAllowed) {
					return HTTPGetOutput{}, ue.Err
				}
				if errors.As(err, &ue) {
					err = ue.Err
				}
				return HTTPGetOutput{}, tools.Retryable(fmt.Errorf("fetching %s failed: %v", u.Redacted(), err))
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(io.LimitReader(resp.Body, cfg.MaxBytes+1))
			if err != nil {
				return HTTPGetOutput{}, fmt.Errorf("reading %s failed: %v", u.Redacted(), err)
			}
			out := HTTPGetOutput{URL: resp.Request.URL.String(), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
			if int64(len(body)) > cfg.MaxBytes {
				body, out.Truncated = body[:cfg.MaxBytes], true
			}
			mt, _, _ := mime.ParseMediaType(out.ContentType)
			switch {
			case mt == "text/html" || mt == "application/xhtml+xml" || mt == "" && looksLikeHTML(body):
				out.Title, out.Text = HTMLText(body)
			case strings.HasPrefix(mt, "text/") || strings.Contains(mt, "json") || strings.Contains(mt, "xml") || mt == "":
				out.Text = strings.ToValidUTF8(string(body), "\uFFFD")
			default:
				return HTTPGetOutput{}, fmt.Errorf("%s is %s, not text", u.Redacted(), mt)
			}
			if len(out.Text) > cfg.MaxTextBytes {
				n := cfg.MaxTextBytes
				for n > 0 && !utf8.RuneStart(out.Text[n]) {
					n--
				}
				out.Text, out.Truncated = out.Text[:n], true
			}
			if resp.StatusCode >= 400 {
				return HTTPGetOutput{}, fmt.Errorf("%s answered HTTP %s: %s", u.Redacted(), resp.Status, clipText(out.Text, 300))
			}
			return out, nil
		}, tools.Idempotent(), tools.Timeout(cfg.Timeout+time.Second))
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// checkURL allows http and https URLs whose host the allow-list names.
func checkURL(u *url.URL, allowed []string) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("only http and https URLs can be fetched, not %q", u.Scheme)
	}
	if u.User != nil {
		return errors.New("URLs with user names or passwords cannot be fetched")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return fmt.Errorf("%q has no host", u.String())
	}
	port := u.Port()
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		ah, ap := a, ""
		if h, p, err := net.SplitHostPort(a); err == nil {
			ah, ap = h, p
		}
		if ap != "" && ap != port {
			continue
		}
		if ah == host || strings.HasPrefix(ah, "*.") && strings.HasSuffix(host, ah[1:]) {
			return nil
		}
	}
	if len(allowed) == 0 {
		return fmt.Errorf("%w: no host is allowed for http_get here", ErrHostNotAllowed)
	}
	return fmt.Errorf("%w: %s is not on the list (%s)", ErrHostNotAllowed, host, strings.Join(allowed, ", "))
}

func looksLikeHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(b[:min(len(b), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) || bytes.Contains(head, []byte("<body"))
}

// HTMLText extracts the title and the readable text of an HTML document:
// the text of the body without scripts, styles, templates and other
// non-content elements, one line per block element, runs of white space
// collapsed.
func HTMLText(doc []byte) (title, text string) {
	z := html.NewTokenizer(bytes.NewReader(doc))
	var b strings.Builder
	skip := 0
	inTitle := false
	pendingSpace := false
	newline := func() {
		s := b.String()
		if len(s) > 0 && !strings.HasSuffix(s, "\n") {
			b.WriteByte('\n')
		}
		pendingSpace = false
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(title), strings.TrimSpace(b.String())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg, atom.Iframe, atom.Object, atom.Head:
				if a == atom.Head {
					continue // the title inside head is kept
				}
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			case atom.Title:
				inTitle = tt == html.StartTagToken
				continue
			case atom.Br:
				newline()
				continue
			case atom.Li:
				if tt == html.StartTagToken {
					newline()
					b.WriteString("- ")
				}
				continue
			}
			if blockElements[a] {
				newline()
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if inTitle {
				title += t
				continue
			}
			if len(t) > 0 && isSpace(t[0]) {
				pendingSpace = true
			}
			for i, w := range strings.Fields(t) {
				if (i > 0 || pendingSpace) && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
					b.WriteByte(' ')
				}
				b.WriteString(w)
				pendingSpace = false
			}
			if len(t) > 0 && isSpace(t[len(t)-1]) {
				pendingSpace = true
			}
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' }

var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Ul: true, atom.Ol: true, atom.Table: true, atom.Tr: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Nav: true, atom.Main: true, atom.Aside: true, atom.Blockquote: true, atom.Pre: true, atom.Hr: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Figure: true, atom.Figcaption: true, atom.Form: true, atom.Body: true,
}
