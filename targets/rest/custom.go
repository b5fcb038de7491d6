package rest

import (
	"fmt"
	"strings"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/tmpl"
	"github.com/commsbench/commsbench/targets/transport"
)

// ownSettings are the settings of requests to a user's own endpoints, as
// given. None given (and a target without a path) keeps the echo contract.
type ownSettings struct {
	Path               string
	Method             string
	Headers            []string
	Body               string
	BodyFile           string
	ExpectStatus       string
	ExpectJSON         []string
	ExpectBodyContains string
	Mix                []string

	// opts are the bound options, to tell which were given.
	opts []transport.Option
	// compiled is what resolve made of them; nil for the echo contract.
	compiled *Endpoints
}

// options binds the settings once: resolve reads which were given from
// these values, so a second call returns the same ones.
func (s *ownSettings) options() []transport.Option {
	if s.opts != nil {
		return s.opts
	}
	s.opts = []transport.Option{
		{Name: "path", Usage: "request `path` (and query) on the target, such as /orders/{{seq}}; placeholders allowed (default: the --target URL's path)", Value: transport.String(&s.Path)},
		{Name: "method", Usage: "HTTP `method` of the requests, such as GET, POST, PUT, PATCH or DELETE (default: POST with a body, else GET)", Value: transport.String(&s.Method)},
		{Name: "header", Usage: "request header `Name: value` (repeat the flag for more); the value may hold placeholders", Value: transport.List(&s.Headers)},
		{Name: "body", Usage: "request body `text`, a template", Value: transport.String(&s.Body)},
		{Name: "body-file", Usage: "request body from a template `file` (Content-Type application/json unless a --header sets it)", Value: transport.String(&s.BodyFile)},
		{Name: "expect-status", Usage: "expected response `statuses`, such as 2xx, 201, 200,201 or 2xx,404; others count as unexpected_status (default 2xx)", Value: transport.String(&s.ExpectStatus)},
		{Name: "expect-json", Usage: "response check `PATH=VALUE`: the JSON answer's field (data.status, items.0.id) equals VALUE; repeat for more; failures count as check_failed", Value: transport.List(&s.ExpectJSON)},
		{Name: "expect-body-contains", Usage: "response check: the answer's body contains `text`; failures count as check_failed", Value: transport.String(&s.ExpectBodyContains)},
		{Name: "mix", Usage: "one `request` of a weighted mix, as a mapping {weight, name, method, path, headers, body, body_file, expect_status, expect_json, expect_body_contains}; repeat for more (a list in a scenario)", Value: &mixValue{list: transport.List(&s.Mix).(transport.Repeatable)}},
	}
	return s.opts
}

// given says whether any request setting was given.
func (s *ownSettings) given() bool {
	for _, o := range s.opts {
		if o.Value.Changed() {
			return true
		}
	}
	return false
}

// resolve compiles the settings for the target, or leaves compiled nil for
// the echo contract: no request setting given and a target without a path.
func (s *ownSettings) resolve(run *transport.Run) error {
	s.compiled = nil
	base, targetPath, err := splitTarget(run.Target)
	if err != nil {
		return transport.Usagef("--target: %v", err)
	}
	if !s.given() {
		return nil
	}
	e := &Endpoints{Base: base, Run: run.ID, explicitTarget: run.Target != ""}
	defaults := requestSpec{
		Method:     s.Method,
		Path:       s.Path,
		Headers:    s.Headers,
		BodyFile:   s.BodyFile,
		ExpectJSON: s.ExpectJSON,
	}
	if transport.Changed(s.opts, "body") {
		b := s.Body
		defaults.Body = &b
	}
	if transport.Changed(s.opts, "expect-body-contains") {
		c := s.ExpectBodyContains
		defaults.ExpectBodyContains = &c
	}
	defaults.ExpectStatus = flexString(s.ExpectStatus)
	if defaults.Body != nil && defaults.BodyFile != "" {
		return transport.Usagef("--body and --body-file: give one body")
	}
	if len(s.Mix) == 0 {
		k, err := compileKind(defaults, requestSpec{}, targetPath, run.ID)
		if err != nil {
			return transport.Usagef("%v", flagError(err))
		}
		e.Kinds = []*Kind{k}
	} else {
		names := map[string]int{}
		for i, m := range s.Mix {
			spec, err := parseMixEntry(m)
			if err != nil {
				return transport.Usagef("--mix entry %d: %v", i, err)
			}
			k, err := compileKind(defaults, spec, targetPath, run.ID)
			if err != nil {
				return transport.Usagef("--mix entry %d: %v", i, err)
			}
			if j, dup := names[k.Name]; dup {
				return transport.Usagef("--mix entries %d and %d are both named %q: give each a name of its own (name: …)", j, i, k.Name)
			}
			names[k.Name] = i
			e.Kinds = append(e.Kinds, k)
		}
	}
	e.prepare()
	s.compiled = e
	return nil
}

// splitTarget cuts a --target into its base (scheme and authority) and
// the raw path and query after it, kept as written so that placeholders
// may stand in it. "" is the embedded target.
func splitTarget(target string) (base, rest string, err error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return "", "", nil
	}
	if _, err := BaseURL(t); err != nil {
		return "", "", err
	}
	if !strings.Contains(t, "://") {
		t = "http://" + t
	}
	i := strings.Index(t, "://") + 3
	end := strings.IndexAny(t[i:], "/?#")
	if end < 0 {
		return t, "", nil
	}
	base, rest = t[:i+end], t[i+end:]
	if j := strings.IndexByte(rest, '#'); j >= 0 {
		rest = rest[:j]
	}
	return base, rest, nil
}

// joinPath puts a request's path after the target's: a target of
// http://host/api and a path of /orders ask for /api/orders; queries of
// both are kept.
func joinPath(targetPath, path string) string {
	tp, tq, _ := strings.Cut(targetPath, "?")
	p := path
	switch {
	case p == "":
		p = tp
	case tp != "" && tp != "/":
		p = strings.TrimSuffix(tp, "/") + "/" + strings.TrimPrefix(p, "/")
	}
	if p == "" {
		p = "/"
	}
	if tq != "" {
		if strings.Contains(p, "?") {
			p += "&" + tq
		} else {
			p += "?" + tq
		}
	}
	return p
}

// compileKind makes one request kind of spec, its unset fields taken from
// defaults (the command line's settings).
func compileKind(defaults, spec requestSpec, targetPath, runID string) (*Kind, error) {
	k := &Kind{}
	var err error
	if k.Weight, err = spec.Weight.weight(); err != nil {
		return nil, err
	}
	path := spec.Path
	if path == "" {
		path = defaults.Path
	}
	if path != "" && !strings.HasPrefix(path, "/") {
		return nil, fieldErr("path", "%q: a path starts with / (the host goes in --target)", path)
	}
	k.PathText = joinPath(targetPath, path)
	if k.path, err = tmpl.Parse(k.PathText); err != nil {
		return nil, fieldErr("path", "%q: %v", k.PathText, err)
	}
	if err := checkPath(k.path.String(sampleValues(runID))); err != nil {
		return nil, fieldErr("path", "%v", err)
	}

	body, bodyFile := spec.Body, spec.BodyFile
	if body == nil && bodyFile == "" {
		body, bodyFile = defaults.Body, defaults.BodyFile
	}
	if body != nil && bodyFile != "" {
		return nil, fieldErr("body_file", "and a body: give one body")
	}
	switch {
	case bodyFile != "":
		if k.body, err = readBodyFile(bodyFile); err != nil {
			return nil, fieldErr("body_file", "%v", err)
		}
		k.BodyFile = bodyFile
	case body != nil:
		if k.body, err = tmpl.Parse(*body); err != nil {
			return nil, fieldErr("body", "%v", err)
		}
		k.inlineBody = true
	}

	method := spec.Method
	if method == "" {
		method = defaults.Method
	}
	switch {
	case method != "":
		if k.Method, err = parseMethod(method); err != nil {
			return nil, fieldErr("method", "%v", err)
		}
	case k.body != nil:
		k.Method = "POST"
	default:
		k.Method = "GET"
	}
	if k.body != nil && (k.Method == "GET" || k.Method == "HEAD") {
		return nil, fieldErr("method", "%s with a body: send the body with POST, PUT or PATCH, or drop it", k.Method)
	}

	// The command line's headers, then the entry's; an entry's header
	// replaces the command line's of the same name.
	seen := map[string]bool{}
	for _, h := range spec.Headers {
		hd, err := parseHeader(h)
		if err != nil {
			return nil, fieldErr("headers", "%v", err)
		}
		seen[strings.ToLower(hd.name)] = true
		k.headers = append(k.headers, hd)
	}
	for _, h := range defaults.Headers {
		hd, err := parseHeader(h)
		if err != nil {
			return nil, fieldErr("headers", "%v", err)
		}
		if !seen[strings.ToLower(hd.name)] {
			k.headers = append(k.headers, hd)
		}
	}
	if spec.ContentType != "" {
		hd, err := parseHeader("Content-Type: " + spec.ContentType)
		if err != nil {
			return nil, fieldErr("content_type", "%v", err)
		}
		k.headers = append(removeHeader(k.headers, "Content-Type"), hd)
	}
	if k.body != nil && !hasHeader(k.headers, "Content-Type") {
		k.headers = append(k.headers, header{name: "Content-Type", value: tmpl.MustParse("application/json"), text: "application/json"})
	}
	if hasHeader(k.headers, "Host") {
		k.hostSet = true
	}

	status := string(spec.ExpectStatus)
	if status == "" {
		status = string(defaults.ExpectStatus)
	}
	if status == "" {
		status = "2xx"
	}
	if k.expect, err = parseStatusSet(status); err != nil {
		return nil, fieldErr("expect_status", "%v", err)
	}
	checks := spec.ExpectJSON
	if len(checks) == 0 {
		checks = defaults.ExpectJSON
	}
	for _, c := range checks {
		jc, err := parseJSONCheck(c)
		if err != nil {
			return nil, fieldErr("expect_json", "%v", err)
		}
		k.check.json = append(k.check.json, jc)
	}
	contains := spec.ExpectBodyContains
	if contains == nil {
		contains = defaults.ExpectBodyContains
	}
	if contains != nil {
		if *contains == "" {
			return nil, fieldErr("expect_body_contains", "the text is empty")
		}
		k.check.contains = []byte(*contains)
	}
	if k.Method == "HEAD" && k.check.active() {
		return nil, fieldErr("method", "HEAD has no body to check")
	}

	k.Name = spec.Name
	if k.Name == "" {
		k.Name = k.Method + " " + k.PathText
	}
	return k, nil
}

func removeHeader(hs []header, name string) []header {
	out := hs[:0:0]
	for _, h := range hs {
		if !strings.EqualFold(h.name, name) {
			out = append(out, h)
		}
	}
	return out
}

// sampleValues are the values of a first operation, to check what a
// template makes before the load starts.
func sampleValues(runID string) tmpl.Values {
	return tmpl.Values{Seq: 0, Run: runID}
}

// record is how the run's options record the requests: secrets in the
// target URL and in headers hidden.
func (s *ownSettings) record(o map[string]any) {
	e := s.compiled
	if e == nil {
		return
	}
	o["payload"] = "requests"
	if e.Base != "" {
		o["url"] = results.RedactSecrets(e.Base + e.Kinds[0].PathText)
	}
	if len(e.Kinds) == 1 {
		for k, v := range e.Kinds[0].record() {
			o[k] = v
		}
		return
	}
	mix := make([]map[string]any, len(e.Kinds))
	for i, k := range e.Kinds {
		mix[i] = k.record()
		mix[i]["weight"] = k.Weight
	}
	o["mix"] = mix
	if e.Base != "" {
		o["url"] = results.RedactSecrets(e.Base)
	}
}

func (k *Kind) record() map[string]any {
	o := map[string]any{
		"name":          k.Name,
		"method":        k.Method,
		"path":          k.PathText,
		"expect_status": k.expect.String(),
	}
	if len(k.headers) > 0 {
		hs := make([]string, len(k.headers))
		for i, h := range k.headers {
			hs[i] = redactHeader(h.name + ": " + h.text)
		}
		o["headers"] = hs
	}
	switch {
	case k.BodyFile != "":
		o["body_file"] = k.BodyFile
	case k.inlineBody:
		o["body"] = "inline"
	}
	if len(k.check.json) > 0 {
		cs := make([]string, len(k.check.json))
		for i, c := range k.check.json {
			cs[i] = c.text
		}
		o["expect_json"] = cs
	}
	if k.check.contains != nil {
		o["expect_body_contains"] = string(k.check.contains)
	}
	return o
}

// resolveOwn compiles the requests to a user's own endpoints, if any were
// asked for, and refuses settings that do not go with them.
func (c *runConfig) resolveOwn(run *transport.Run) error {
	if err := c.Own.resolve(run); err != nil {
		return err
	}
	e := c.Own.compiled
	if e == nil {
		return nil
	}
	switch {
	case c.Messages.Enc.Typed():
		return transport.Usagef("--encoding %s posts typed orders to the echo target's POST /orders; requests of your own (--method, --path, --body-file …) carry their own body: drop --encoding", c.Messages.Enc)
	case run.Payload != nil:
		return transport.Usagef("a payload file or template is the echo contract's body; requests of your own take --body-file (or body_file: in a mix)")
	}
	// The payload size recorded is the first kind's body for a first operation.
	run.PayloadBytes = 0
	if k := e.Kinds[0]; k.body != nil {
		run.PayloadBytes = len(k.body.Execute(sampleValues(run.ID)))
	}
	return nil
}

// fresh is the compiled requests with counters of their own, for one run;
// nil for the echo contract.
func (s *ownSettings) fresh(runID string) *Endpoints {
	if s.compiled == nil {
		return nil
	}
	e := s.compiled.fresh()
	e.Run = runID
	return e
}

// ownSuffix names a run of requests to a user's own endpoints in a report:
// " · POST" for one kind, " · mix" for a mix; "" for the echo contract.
func ownSuffix(options map[string]any) string {
	if options["payload"] != "requests" {
		return ""
	}
	if _, ok := options["mix"]; ok {
		return " · mix"
	}
	if m, ok := options["method"].(string); ok {
		return " · " + m
	}
	return ""
}

// fieldError is a mistake in one setting of a request: key names it as a
// mix entry's key (body_file); as a flag it is --body-file.
type fieldError struct {
	key string
	err error
}

func (e *fieldError) Error() string { return e.key + ": " + e.err.Error() }

func fieldErr(key, format string, args ...any) error {
	return &fieldError{key: key, err: fmt.Errorf(format, args...)}
}

// flagError names the flag of a mistake in the command line's request.
func flagError(err error) error {
	fe, ok := err.(*fieldError)
	if !ok {
		return err
	}
	flag := strings.ReplaceAll(fe.key, "_", "-")
	switch flag {
	case "headers", "content-type":
		flag = "header"
	}
	return fmt.Errorf("--%s: %v", flag, fe.err)
}

// mixValue is --mix: a repeatable value whose every entry must decode as a
// request when it is given, so that a scenario's mistake names its line.
type mixValue struct {
	list transport.Repeatable
}

func (v *mixValue) String() string   { return v.list.String() }
func (v *mixValue) Type() string     { return v.list.Type() }
func (v *mixValue) Changed() bool    { return v.list.Changed() }
func (v *mixValue) Values() []string { return v.list.Values() }
func (v *mixValue) Set(s string) error {
	spec, err := parseMixEntry(s)
	if err == nil {
		_, err = spec.Weight.weight()
	}
	if err != nil {
		return err
	}
	return v.list.Set(s)
}
