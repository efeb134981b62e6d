package devstack_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/identity"
)

// HostileSummaryVar names a file that receives the hostile-input suite's
// one-line summary; scripts/test.sh prints it with its own summary.
const HostileSummaryVar = "COMPTOIR_HOSTILE_SUMMARY"

// echoBound is the most bytes of one piece of caller input an error answer
// may carry back.
const echoBound = 300

// hostileRequest is one request of the hostile-input suite with what its
// answer must be.
type hostileRequest struct {
	group  string
	method string
	host   string
	// path is the path with its raw query, sent as is.
	path  string
	token string
	body  []byte
	// viewer is who sends it; its hidden products must never show.
	viewer *viewer
	// want lists the statuses that meet the target; empty accepts any
	// answer that is not a 500.
	want []int
	// header holds headers to send (Idempotency-Key, If-Match, a
	// Content-Type other than JSON).
	header map[string]string
	// echo is caller input (beyond the host, path segments and query
	// values, which are taken into account anyway) that an error answer
	// must not carry back whole.
	echo [][]byte
	// check adds target checks of the answer.
	check func(a answer) []string
}

// answer is what came back.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// viewer is a caller on a storefront: the products it must never see.
type viewer struct {
	name   string
	hidden map[string]bool
	// extra, when set, is consulted too (products hidden during the run).
	extra *hiddenSet
}

func (v *viewer) hides(ref string) bool {
	return v.hidden[ref] || v.extra != nil && v.extra.has(ref)
}

// hiddenSet is a set of references that grows while the suite runs.
type hiddenSet struct {
	mu   sync.Mutex
	refs map[string]bool
}

func (h *hiddenSet) add(refs ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refs == nil {
		h.refs = map[string]bool{}
	}
	for _, r := range refs {
		h.refs[r] = true
	}
}

func (h *hiddenSet) has(ref string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refs[ref]
}

// hostileSuite sends requests to a running local stack and keeps the
// counts of what came back.
type hostileSuite struct {
	t      *testing.T
	base   string
	client *http.Client

	mu         sync.Mutex
	requests   int
	classes    [6]int // by status / 100
	errors     int    // transport errors
	n500       int
	otherFiveX int
	notProblem int
	leaks      int
	echoes     int
	offTarget  int
	offences   []string
}

func newHostileSuite(t *testing.T, base string) *hostileSuite {
	return &hostileSuite{t: t, base: base, client: &http.Client{
		Timeout:   2 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true},
	}}
}

// send sends one request. An empty host is written on a raw connection:
// the HTTP client would put the URL's host instead.
func (s *hostileSuite) send(r hostileRequest) answer {
	if r.host == "" {
		return s.sendRaw(r)
	}
	req, err := http.NewRequest(r.method, s.base+r.path, bytes.NewReader(r.body))
	if err != nil {
		return answer{err: err}
	}
	req.Host = r.host
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func (s *hostileSuite) sendRaw(r hostileRequest) answer {
	u, err := url.Parse(s.base)
	if err != nil {
		return answer{err: err}
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		return answer{err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: \r\nConnection: close\r\n", r.method, r.path)
	if r.token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", r.token)
	}
	if r.body != nil {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(r.body))
	}
	b.WriteString("\r\n")
	b.Write(r.body)
	if _, err := conn.Write(b.Bytes()); err != nil {
		return answer{err: err}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: body, err: err}
}

// run sends the requests, at most workers at a time, judges every answer and
// returns the answers in the order of the requests.
func (s *hostileSuite) run(workers int, reqs ...hostileRequest) []answer {
	out := make([]answer, len(reqs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(reqs)) {
		wg.Go(func() {
			for i := range next {
				out[i] = s.send(reqs[i])
				s.judge(reqs[i], out[i])
			}
		})
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// one sends a single request and judges its answer.
func (s *hostileSuite) one(r hostileRequest) answer { return s.run(1, r)[0] }

// judge counts the answer and records what is wrong with it.
func (s *hostileSuite) judge(r hostileRequest, a answer) {
	var (
		why                            []string
		is500, isFiveX, notProb, isOff bool
		nLeaks, nEchoes                int
	)
	if a.err != nil {
		why = append(why, "no answer: "+a.err.Error())
	} else {
		switch {
		case a.status == http.StatusInternalServerError:
			is500 = true
			why = append(why, "500")
		case a.status >= 500 && !(a.status == http.StatusServiceUnavailable && isProblem(a)):
			isFiveX = true
			why = append(why, "5xx answer that is not a retryable 503 problem")
		}
		if a.status >= 400 && !is500 && !isProblem(a) && !isGatewayAnswer(a) {
			notProb = true
			why = append(why, "error answer is neither problem+json with a type nor the gateway's {\"message\"}")
		}
		if l := leaks(r, a); len(l) > 0 {
			nLeaks = len(l)
			why = append(why, "leak: "+strings.Join(l, ", "))
		}
		if a.status >= 400 {
			if e := echoes(r, a); len(e) > 0 {
				nEchoes = len(e)
				why = append(why, "echo: "+strings.Join(e, ", "))
			}
		}
		var off []string
		if len(r.want) > 0 && !containsInt(r.want, a.status) {
			off = append(off, fmt.Sprintf("status %d, want %s", a.status, statusList(r.want)))
		}
		if r.check != nil {
			off = append(off, r.check(a)...)
		}
		if len(off) > 0 {
			isOff = true
			why = append(why, "off target: "+strings.Join(off, "; "))
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if a.err != nil {
		s.errors++
	} else if c := a.status / 100; c >= 1 && c <= 5 {
		s.classes[c]++
	}
	if is500 {
		s.n500++
	}
	if isFiveX {
		s.otherFiveX++
	}
	if notProb {
		s.notProblem++
	}
	s.leaks += nLeaks
	s.echoes += nEchoes
	if isOff {
		s.offTarget++
	}
	if len(why) > 0 {
		s.offences = append(s.offences, fmt.Sprintf("[%s] %s host=%q path=%q status=%d: %s; body: %s",
			r.group, r.method, truncate(r.host, 60), truncate(r.path, 120), a.status,
			strings.Join(why, " | "), truncate(string(a.body), 240)))
	}
}

// offend records a failure found outside one answer's own checks.
func (s *hostileSuite) offend(r hostileRequest, a answer, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offTarget++
	s.offences = append(s.offences, fmt.Sprintf("[%s] %s host=%q path=%q status=%d: off target: %s; body: %s",
		r.group, r.method, truncate(r.host, 60), truncate(r.path, 120), a.status, why, truncate(string(a.body), 240)))
}

// summary is the suite's counts in one line.
func (s *hostileSuite) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("hostile-input suite: %d requests (2xx %d, 3xx %d, 4xx %d, 5xx %d, no answer %d); "+
		"500s %d, other 5xx %d, errors not problem+json %d, leaks %d, echo violations %d, off target %d",
		s.requests, s.classes[2], s.classes[3], s.classes[4], s.classes[5], s.errors,
		s.n500, s.otherFiveX, s.notProblem, s.leaks, s.echoes, s.offTarget)
}

// report logs the counts, writes them where scripts/test.sh prints them,
// and fails the test listing every offending request.
func (s *hostileSuite) report() {
	line := s.summary()
	s.t.Log(line)
	if f := os.Getenv(HostileSummaryVar); f != "" {
		if err := os.WriteFile(f, []byte(line+"\n"), 0o644); err != nil {
			s.t.Errorf("write the summary: %v", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.offences {
		s.t.Error(o)
	}
}

// isProblem reports whether a is an RFC 9457 problem with a type and the
// answer's status.
func isProblem(a answer) bool {
	mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type"))
	if err != nil || mt != "application/problem+json" {
		return false
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	return json.Unmarshal(a.body, &p) == nil && p.Type != "" && (p.Status == 0 || p.Status == a.status)
}

// isGatewayAnswer reports whether a is one of API Gateway's own documented
// answers: the authorizer's 401, an unknown route's 404 and the payload
// limit's 413, as {"message": "..."}.
func isGatewayAnswer(a answer) bool {
	if a.status != http.StatusUnauthorized && a.status != http.StatusNotFound && a.status != http.StatusRequestEntityTooLarge {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(a.body, &m) != nil || len(m) != 1 {
		return false
	}
	var msg string
	return json.Unmarshal(m["message"], &msg) == nil
}

var (
	refToken   = regexp.MustCompile(`[A-Z0-9][A-Z0-9-]*[A-Z0-9]`)
	nextCursor = regexp.MustCompile(`"nextCursor"\s*:\s*"([^"]*)"`)
	// linkedRef is a linked article of a product shown: naming it is the
	// shown product's data, not a view of the linked one.
	linkedRef = regexp.MustCompile(`\{"ref"\s*:\s*"([^"]+)"\s*,\s*"kind"\s*:\s*"(?:mandatory|optional)"`)
)

// leaks lists the products hidden from the request's viewer that its answer
// names: in the body (outside what the caller sent, for an error, and the
// linked articles of a product shown) and in what a cursor decodes to.
func leaks(r hostileRequest, a answer) []string {
	if r.viewer == nil {
		return nil
	}
	sent := map[string]bool{}
	if a.status >= 300 {
		for _, tok := range refToken.FindAllString(r.path+" "+string(r.body), -1) {
			sent[tok] = true
		}
	}
	linked := map[string]bool{}
	for _, m := range linkedRef.FindAllStringSubmatch(string(a.body), -1) {
		linked[m[1]] = true
	}
	seen := map[string]bool{}
	var out []string
	scan := func(where, text string) {
		for _, tok := range refToken.FindAllString(text, -1) {
			if r.viewer.hides(tok) && !sent[tok] && !(where == "body" && linked[tok]) && !seen[where+tok] {
				seen[where+tok] = true
				out = append(out, fmt.Sprintf("%s sees %s in the %s", r.viewer.name, tok, where))
			}
		}
	}
	scan("body", string(a.body))
	for _, m := range nextCursor.FindAllStringSubmatch(string(a.body), -1) {
		for _, dec := range cursorDecodings(m[1]) {
			scan("cursor", dec)
		}
	}
	return out
}

// cursorDecodings is what a cursor may reveal: its base64 decodings.
func cursorDecodings(c string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(c); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

// echoes lists the pieces of caller input that the answer carries back over
// echoBound bytes.
func echoes(r hostileRequest, a answer) []string {
	pieces := append([][]byte{[]byte(r.host)}, r.echo...)
	p, q, _ := strings.Cut(r.path, "?")
	for _, seg := range strings.Split(p, "/") {
		if d, err := url.PathUnescape(seg); err == nil {
			seg = d
		}
		pieces = append(pieces, []byte(seg))
	}
	if values, err := url.ParseQuery(q); err == nil {
		for _, vs := range values {
			for _, v := range vs {
				pieces = append(pieces, []byte(v))
			}
		}
	}
	var out []string
	for _, piece := range pieces {
		if len(piece) <= echoBound {
			continue
		}
		if bytes.Contains(a.body, piece[:echoBound+1]) || bytes.Contains(a.body, piece[len(piece)-echoBound-1:]) {
			out = append(out, fmt.Sprintf("%d bytes of a %d-byte input", echoBound+1, len(piece)))
		}
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func statusList(list []int) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, " or ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("...(%d bytes)", len(s))
}

// hostileWorld is the demo as the suite sees it: hosts, tokens and viewers.
type hostileWorld struct {
	fr, be, de, jardin string

	staff, jardinStaff, buyer, buyer2, assorted, consumer, rep string

	anonFR, anonBE, anonJardin, buyerFR, buyer2FR, assortedFR, consumerFR, repFR, staffFR, jardinStaffJardin *viewer
	// otherMerchant is a caller of another merchant: it sees none of
	// Hydrotech's products.
	otherMerchant *viewer

	// later holds products hidden while the suite runs.
	later *hiddenSet
}

func newHostileWorld(t *testing.T, st *running, port string) *hostileWorld {
	t.Helper()
	w := &hostileWorld{
		fr: "hydro-fr.localhost:" + port, be: "hydro-be.localhost:" + port, de: "hydro-de.localhost:" + port,
		jardin: "jardin-fr.localhost:" + port, later: &hiddenSet{},
	}
	sign := func(c identity.Caller) string {
		tok, err := st.Issuer.Sign(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	w.staff = sign(identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	w.jardinStaff = sign(identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	w.buyer = sign(identity.Caller{Role: identity.Buyer, Subject: "achat@plomberie-lyonnaise.fr", Merchant: demo.Hydro, Customer: "C0001"})
	w.buyer2 = sign(identity.Caller{Role: identity.Buyer, Subject: "inkoop@hydrobel.be", Merchant: demo.Hydro, Customer: "C0004"})
	w.assorted = sign(identity.Caller{Role: identity.Buyer, Subject: "achats@flandres-maintenance.fr", Merchant: demo.Hydro, Customer: demo.AssortedCustomer})
	w.consumer = sign(identity.Caller{Role: identity.Buyer, Subject: "marie.martin@example.fr", Merchant: demo.Hydro, Customer: "P0001"})
	w.rep = sign(identity.Caller{Role: identity.Rep, Subject: "l.bernard@hydrotech.fr", Merchant: demo.Hydro, Rep: "R01"})

	d := demo.Build()
	restricted := map[string]bool{}
	for _, c := range d.Categories[demo.Hydro] {
		if c.Restricted {
			restricted[c.ID] = true
		}
	}
	var assortment *catalog.Assortment
	for i, a := range d.Assortments {
		if a.Scope == catalog.ForCustomer && a.ScopeID == demo.AssortedCustomer {
			assortment = &d.Assortments[i]
		}
	}
	mk := func(name string, hide func(p catalog.Product) bool, otherMerchant []catalog.Product) *viewer {
		v := &viewer{name: name, hidden: map[string]bool{}, extra: w.later}
		for _, p := range d.Products[demo.Hydro] {
			if hide(p) {
				v.hidden[p.Ref] = true
			}
		}
		for _, p := range otherMerchant {
			v.hidden[p.Ref] = true
		}
		return v
	}
	jardinRefs := d.Products[demo.Jardin]
	inRestricted := func(p catalog.Product) bool {
		for _, f := range append([]string{p.CategoryID}, p.Families...) {
			if restricted[f] {
				return true
			}
		}
		return false
	}
	w.anonFR = mk("anonymous@hydro-fr", func(p catalog.Product) bool { return p.Inactive || p.ProOnly || inRestricted(p) }, jardinRefs)
	w.anonBE = mk("anonymous@hydro-be", func(p catalog.Product) bool { return p.Inactive || p.ProOnly }, jardinRefs)
	w.buyerFR = mk("C0001@hydro-fr", func(p catalog.Product) bool { return p.Inactive }, jardinRefs)
	w.buyer2FR = mk("C0004@hydro-fr", func(p catalog.Product) bool { return p.Inactive }, jardinRefs)
	w.assortedFR = mk(demo.AssortedCustomer+"@hydro-fr", func(p catalog.Product) bool { return p.Inactive || !assortment.Allows(p) }, jardinRefs)
	w.consumerFR = mk("P0001@hydro-fr", func(p catalog.Product) bool { return p.Inactive || p.ProOnly }, jardinRefs)
	w.repFR = mk("R01@hydro-fr", func(p catalog.Product) bool { return p.Inactive }, jardinRefs)
	w.staffFR = mk("staff@hydro-fr", func(catalog.Product) bool { return false }, jardinRefs)
	all := func(catalog.Product) bool { return true }
	w.anonJardin = mk("anonymous@jardin-fr", all, nil)
	w.jardinStaffJardin = mk("jardin-staff@jardin-fr", all, nil)
	w.otherMerchant = mk("jardin-staff@hydro", all, nil)
	// A product hidden later stays visible to its own merchant's staff.
	w.staffFR.extra = nil
	return w
}

// TestHostileInput sends hostile requests to the local runner (gateway,
// deployed handlers, DynamoDB Local, demo data) on the catalog, pricing,
// cart, checkout, orders and back-office routes: odd hosts, long ids, exponent decimals, trailing and
// oversized JSON, forged and replayed cursors, overflowing quantities,
// invalid codes and texts, concurrent saves. No answer may be a 500, every
// error is problem+json (the gateway's own {"message"} answers aside), no
// caller sees what it may not, no error carries back more than echoBound
// bytes of one input, and each answer meets its target.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	start := time.Now()
	st := startStack(t, func(c *devstack.Config) { c.LogLevel = "WARN" })
	if _, err := demo.Load(context.Background(), st.Table()); err != nil {
		t.Fatal(err)
	}
	t.Logf("stack and demo: %v", time.Since(start).Round(time.Millisecond))
	s := newHostileSuite(t, st.URL)
	w := newHostileWorld(t, st, "3000")
	defer s.report()

	phase := func(name string, f func()) {
		start := time.Now()
		f()
		t.Logf("%s: %v", name, time.Since(start).Round(time.Millisecond))
	}
	shapes, oversized := bodyShapeRequests(w)
	// The oversized bodies spend their time in encoding rather than in
	// DynamoDB: they go alongside the other phases.
	var big sync.WaitGroup
	big.Go(func() { phase("oversized bodies", func() { s.run(1, oversized...) }) })
	defer big.Wait()
	phase("odd hosts", func() { s.run(6, oddHostRequests(w)...) })
	phase("long ids", func() { s.run(6, longIDRequests(w)...) })
	phase("exponent decimals", func() { s.run(6, decimalRequests(w)...) })
	phase("body shapes", func() { s.run(6, shapes...) })
	phase("validation", func() { s.run(6, validationRequests(w)...) })
	phase("visibility", func() { s.run(6, crossMerchantRequests(w)...) })
	phase("cursors", func() { cursorRequests(s, w) })
	phase("overflow", func() { overflowRequests(s, w) })
	phase("cart, checkout and orders", func() { s.run(6, orderRouteRequests(w)...) })
	phase("concurrent saves", func() { concurrentSaves(s, w) })
	phase("host race", func() { hostRace(s, w) })
}
