package devstack_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's request block from devstack.DemoExamples")

func TestGuide_PrintsHostsAndVerifiableTokens(t *testing.T) {
	t.Parallel()
	iss, err := auth.NewDevIssuer("http://127.0.0.1:3000/dev-issuer", "comptoir-local")
	if err != nil {
		t.Fatal(err)
	}
	callers := []identity.Caller{
		{Role: identity.Buyer, Subject: "achat@example.fr", Merchant: "hydro", Customer: "C0001"},
		{Role: identity.Rep, Subject: "rep@example.fr", Merchant: "hydro", Rep: "R01"},
	}
	ids, err := devstack.SignAll(iss, callers, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.StaticKeys(iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	v := &auth.Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: keys}
	for i, id := range ids {
		got, err := v.Verify(context.Background(), id.Token)
		if err != nil || got != callers[i] {
			t.Errorf("token %d verifies as %+v, %v", i, got, err)
		}
	}
	var buf bytes.Buffer
	g := devstack.Guide{
		APIAddr:     "127.0.0.1:3000",
		Storefronts: []merchant.Storefront{{Merchant: "hydro", Host: "hydro-fr.localhost", Country: "FR", Language: "fr", Mode: merchant.Open}},
		Identities:  ids,
		Examples:    []devstack.Example{{Host: "hydro-fr.localhost", Path: "/catalog/categories"}},
	}
	if err := g.Write(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"http://hydro-fr.localhost:3000",
		"\nexport TOKEN_ACHAT_EXAMPLE_FR=" + ids[0].Token + "\n",
		"\nexport TOKEN_REP_EXAMPLE_FR=" + ids[1].Token + "\n",
		"\ncurl -s http://hydro-fr.localhost:3000/catalog/categories\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("guide lacks %q:\n%s", want, out)
		}
	}
	g.APIAddr = "no-port"
	if err := g.Write(io.Discard); err == nil {
		t.Error("address without port accepted")
	}
}

// The README's request block sits between these two lines.
const (
	readmeBegin = "<!-- requests: the ones make dev prints (devstack.DemoExamples) -->\n```sh\n"
	readmeEnd   = "```\n<!-- end of requests -->\n"
)

// TestReadme_RequestsAreWhatMakeDevPrints keeps the README's first requests
// equal to the examples the runner prints on the default port: a change of
// one without the other fails. go test ./shared/devstack -run Readme
// -update-readme rewrites the README's block.
func TestReadme_RequestsAreWhatMakeDevPrints(t *testing.T) {
	t.Parallel()
	file := filepath.Join("..", "..", "README.md")
	readme, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := devstack.WriteExamples(&want, "3000", devstack.DemoExamples()); err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	begin := strings.Index(text, readmeBegin)
	end := strings.Index(text, readmeEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md has no block between %q and %q", readmeBegin, readmeEnd)
	}
	got := text[begin+len(readmeBegin) : end]
	if got == want.String() {
		return
	}
	if *updateReadme {
		text = text[:begin+len(readmeBegin)] + want.String() + text[end:]
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's requests differ from what make dev prints; run go test ./shared/devstack -run Readme -update-readme.\nREADME:\n%s\nmake dev:\n%s", got, want.String())
}

// TestGuide_EveryPrintedExampleAnswersAsPrinted loads the demo data as make
// dev does (the ERP's part through the ERP path), prints
// the guide as make dev does, then runs every curl command of it, with the
// token variables it exports, against the runner: each must answer 2xx, or
// the status printed after it.
func TestGuide_EveryPrintedExampleAnswersAsPrinted(t *testing.T) {
	t.Parallel()
	st := startStack(t, nil)
	sum := loadDemo(t, st)
	ids, err := devstack.SignAll(st.Issuer, demo.Identities(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(st.URL)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	g := devstack.Guide{APIAddr: u.Host, Resources: st.Resources, Storefronts: sum.Storefronts, Identities: ids, Examples: devstack.DemoExamples()}
	if err := g.Write(&out); err != nil {
		t.Fatal(err)
	}
	cmds, err := parseShell(out.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	env := map[string]string{}
	ran := 0
	for _, c := range cmds {
		// Exports first: a request uses the variables exported above it.
		x, err := c.expand(env)
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		switch {
		case len(x.words) == 2 && x.words[0] == "export":
			name, value, _ := strings.Cut(x.words[1], "=")
			env[name] = value
			continue
		case x.words[0] != "curl":
			t.Errorf("the guide prints %q, which is not a request", c.text)
			continue
		}
		ran++
		status, body, err := runCurl(x.words[1:])
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		want := 0
		if m := statusNote.FindStringSubmatch(c.comment); m != nil {
			want, _ = strconv.Atoi(m[1])
		}
		if (want == 0 && (status < 200 || status > 299)) || (want != 0 && status != want) {
			t.Errorf("%s\nanswers %d, the guide says %s: %.300s", c.text, status, map[bool]string{true: "2xx", false: strconv.Itoa(want)}[want == 0], body)
		}
	}
	if n := countRequests(devstack.DemoExamples()); ran != n {
		t.Errorf("ran %d requests of the guide, want the %d examples", ran, n)
	}
}

func countRequests(examples []devstack.Example) int {
	n := 0
	for _, e := range examples {
		if e.Path != "" {
			n++
		}
	}
	return n
}

// statusNote is the status a request's trailing comment announces.
var statusNote = regexp.MustCompile(`^([1-5][0-9]{2})\b`)

// shellCommand is one command of a shell text, its words still holding
// their variable references.
type shellCommand struct {
	text    string
	words   []word
	comment string
}

// word is a sequence of literal text and variable references.
type word []wordPart

type wordPart struct {
	text     string
	variable bool
}

// expandedCommand is a command with its variables replaced.
type expandedCommand struct {
	text    string
	words   []string
	comment string
}

func (c shellCommand) expand(env map[string]string) (expandedCommand, error) {
	out := expandedCommand{text: c.text, comment: c.comment}
	for _, w := range c.words {
		var b strings.Builder
		for _, p := range w {
			if !p.variable {
				b.WriteString(p.text)
				continue
			}
			v, ok := env[p.text]
			if !ok {
				return out, fmt.Errorf("$%s is not exported by the guide", p.text)
			}
			b.WriteString(v)
		}
		out.words = append(out.words, b.String())
	}
	return out, nil
}

// parseShell splits the text into commands the way a POSIX shell would for
// the subset the guide prints: backslash-newline continuations, single and
// double quotes, $NAME and ${NAME} (outside single quotes), # comments.
// Comment lines, and the lines that are not shell (the guide's headings
// and tables), are skipped: a command starts at the beginning of its line
// with a lower-case word.
func parseShell(text string) ([]shellCommand, error) {
	text = strings.ReplaceAll(text, "\\\n", "")
	var cmds []shellCommand
	for _, line := range strings.Split(text, "\n") {
		if !commandLine.MatchString(line) {
			continue
		}
		trimmed := strings.TrimSpace(line)
		c := shellCommand{text: trimmed}
		var cur word
		inWord := false
		flush := func() {
			if inWord {
				c.words = append(c.words, cur)
			}
			cur, inWord = nil, false
		}
		lit := func(s string) { cur = append(cur, wordPart{text: s}); inWord = true }
		for i := 0; i < len(trimmed); i++ {
			ch := trimmed[i]
			switch {
			case ch == ' ' || ch == '\t':
				flush()
			case ch == '#' && !inWord:
				c.comment = strings.TrimSpace(trimmed[i+1:])
				i = len(trimmed)
			case ch == '\'':
				j := strings.IndexByte(trimmed[i+1:], '\'')
				if j < 0 {
					return nil, fmt.Errorf("unclosed ' in %q", trimmed)
				}
				lit(trimmed[i+1 : i+1+j])
				i += j + 1
			case ch == '"':
				i++
				for ; i < len(trimmed) && trimmed[i] != '"'; i++ {
					switch {
					case trimmed[i] == '\\' && i+1 < len(trimmed) && strings.IndexByte("\"\\$`", trimmed[i+1]) >= 0:
						i++
						lit(string(trimmed[i]))
					case trimmed[i] == '$':
						name, n := variableAt(trimmed[i:])
						if n == 0 {
							return nil, fmt.Errorf("bad $ in %q", trimmed)
						}
						cur, inWord = append(cur, wordPart{text: name, variable: true}), true
						i += n - 1
					default:
						lit(string(trimmed[i]))
					}
				}
				if i >= len(trimmed) {
					return nil, fmt.Errorf("unclosed \" in %q", trimmed)
				}
				inWord = true
			case ch == '$':
				name, n := variableAt(trimmed[i:])
				if n == 0 {
					return nil, fmt.Errorf("bad $ in %q", trimmed)
				}
				cur, inWord = append(cur, wordPart{text: name, variable: true}), true
				i += n - 1
			case ch == '\\' && i+1 < len(trimmed):
				i++
				lit(string(trimmed[i]))
			case strings.IndexByte("|&;<>()`*?[", ch) >= 0:
				return nil, fmt.Errorf("%q holds %q, which the guide must not print", trimmed, ch)
			default:
				lit(string(ch))
			}
		}
		flush()
		cmds = append(cmds, c)
	}
	return cmds, nil
}

var commandLine = regexp.MustCompile(`^[a-z]+ `)

var variableName = regexp.MustCompile(`^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})`)

// variableAt reads $NAME or ${NAME} at the start of s: the name and the
// length read, 0 when there is none.
func variableAt(s string) (string, int) {
	m := variableName.FindStringSubmatch(s)
	if m == nil {
		return "", 0
	}
	return m[1] + m[2], len(m[0])
}

// runCurl performs what curl would with the arguments the guide uses (-s,
// -i, -H, -d, -X, one URL), *.localhost resolving to 127.0.0.1 as curl
// does.
func runCurl(args []string) (int, []byte, error) {
	method, target, body := "", "", ""
	hasBody := false
	header := http.Header{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-s" || a == "-i" || a == "-si":
		case a == "-H" || a == "-d" || a == "-X":
			if i+1 >= len(args) {
				return 0, nil, fmt.Errorf("%s without a value", a)
			}
			i++
			switch a {
			case "-H":
				k, v, ok := strings.Cut(args[i], ":")
				if !ok {
					return 0, nil, fmt.Errorf("header %q", args[i])
				}
				header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			case "-d":
				body, hasBody = args[i], true
			case "-X":
				method = args[i]
			}
		case strings.HasPrefix(a, "-"):
			return 0, nil, fmt.Errorf("curl option %s is not understood by the test", a)
		case target != "":
			return 0, nil, fmt.Errorf("two URLs: %s and %s", target, a)
		default:
			target = a
		}
	}
	if method == "" {
		method = "GET"
		if hasBody {
			method = "POST"
		}
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = header
	if hasBody && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host == "localhost" || strings.HasSuffix(host, ".localhost") {
				host = "127.0.0.1"
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort(host, port))
		},
	}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
