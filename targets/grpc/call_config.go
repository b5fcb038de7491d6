package grpctarget

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/tmpl"
	"github.com/commsbench/commsbench/targets/transport"
)

// callSettings are the settings of a call to a method of the user's own
// service, as a user gives them (flags, scenario options, suite --set).
type callSettings struct {
	Call        string
	Protos      []string
	ImportPaths []string
	Data        string
	DataFile    string
	Metadata    []string
	ExpectCode  string

	// spec is the call, once resolved; firstBytes is the size of the
	// first request's JSON.
	spec       *Call
	firstBytes int
}

func (c *callSettings) options() []transport.Option {
	return []transport.Option{
		{Name: "call", Usage: "call this method of your own service, package.Service/Method (unary), instead of Echo", Value: transport.String(&c.Call)},
		{Name: "proto", Usage: "with --call: a .proto file that defines the method (repeatable); without it, the server's reflection is asked", Value: &listValue{p: &c.Protos}},
		{Name: "import-path", Usage: "with --proto: a directory to look up imports in (repeatable; default: each file's directory)", Value: &listValue{p: &c.ImportPaths}},
		{Name: "data", Usage: "with --call: the request in protobuf's JSON form, a template ({{seq}}, {{uuid}}, {{now}}, …; default {})", Value: transport.String(&c.Data)},
		{Name: "data-file", Usage: "with --call: read the request's JSON template from this file", Value: transport.String(&c.DataFile)},
		{Name: "metadata", Usage: "with --call: metadata 'key: value' sent with each call (repeatable; the value may be a template)", Value: &listValue{p: &c.Metadata}},
		{Name: "expect-code", Usage: "with --call: the status codes that count as success, such as OK,NOT_FOUND or 0,5 (default OK)", Value: transport.String(&c.ExpectCode)},
	}
}

// resolve checks the call's settings and compiles its .proto files, so
// that every mistake that needs no server is found before the run.
func (c *callSettings) resolve(mode string, enc messages.Encoding, run *transport.Run) error {
	if c.Call == "" {
		for name, given := range map[string]bool{
			"proto": len(c.Protos) > 0, "import-path": len(c.ImportPaths) > 0, "data": c.Data != "",
			"data-file": c.DataFile != "", "metadata": len(c.Metadata) > 0, "expect-code": c.ExpectCode != "",
		} {
			if given {
				return transport.Usagef("--%s applies to a call of your own method: give --call package.Service/Method", name)
			}
		}
		return nil
	}
	service, method, err := parseCallName(c.Call)
	if err != nil {
		return transport.Usagef("%v", err)
	}
	switch {
	case mode != ModeUnary:
		return transport.Usagef("--grpc-mode %s streams Echo messages; --call makes unary calls (drop --grpc-mode)", mode)
	case enc.Typed():
		return transport.Usagef("--encoding %s sends the built-in orders; --call sends --data in your method's own messages (drop --encoding)", enc)
	case run.Payload != nil:
		return transport.Usagef("--payload-file sets the echo's bytes; with --call give the request as --data or --data-file")
	case c.Data != "" && c.DataFile != "":
		return transport.Usagef("give the request as --data or as --data-file, not both")
	case len(c.ImportPaths) > 0 && len(c.Protos) == 0:
		return transport.Usagef("--import-path is where --proto files find their imports: give --proto too")
	}
	spec := &Call{Service: service, Method: method, Expect: okOnly}
	src, name := c.Data, "--data"
	if c.DataFile != "" {
		b, err := os.ReadFile(c.DataFile)
		if err != nil {
			return transport.Usagef("--data-file: %v", err)
		}
		src, name = string(b), "--data-file "+c.DataFile
	}
	if src == "" {
		src = "{}"
	}
	if spec.Data, err = tmpl.Parse(src); err != nil {
		return transport.Usagef("%s: %v", name, err)
	}
	for _, m := range c.Metadata {
		e, err := parseMetadata(m)
		if err != nil {
			return transport.Usagef("%v", err)
		}
		spec.Metadata = append(spec.Metadata, e)
	}
	if c.ExpectCode != "" {
		if spec.Expect, err = parseExpectCodes(c.ExpectCode); err != nil {
			return transport.Usagef("%v", err)
		}
	}
	if len(c.Protos) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := compileProtos(ctx, c.Protos, c.ImportPaths)
		if err != nil {
			return transport.Usagef("%v", err)
		}
		// The method and the data are checked now, as they will be at Start.
		if _, err := lookupMethod(s, spec); err != nil {
			return err
		}
		spec.Schema = &s
	}
	c.firstBytes = len(spec.Data.Execute(tmpl.Values{Run: "run", Time: time.Now()}))
	run.PayloadBytes = c.firstBytes
	c.spec = spec
	return nil
}

// record adds the call to the result's options. Metadata values of keys
// that may carry a secret are redacted, and the request data is not
// recorded (a login method's data holds a password): its source is.
func (c *callSettings) record(o map[string]any) {
	if c.spec == nil {
		return
	}
	o["call"] = c.spec.FullMethod()
	o["payload"] = "call" // the method's own messages, from --data
	o["schema"] = SchemaReflection
	if c.spec.Schema != nil {
		o["schema"] = SchemaProtoFiles
		o["proto"] = append([]string(nil), c.Protos...)
		if len(c.ImportPaths) > 0 {
			o["import_path"] = append([]string(nil), c.ImportPaths...)
		}
	}
	if c.DataFile != "" {
		o["data_file"] = c.DataFile
	} else {
		o["data"] = fmt.Sprintf("%d bytes of JSON", c.firstBytes)
	}
	if len(c.spec.Metadata) > 0 {
		var md []string
		for _, e := range c.spec.Metadata {
			md = append(md, e.recorded())
		}
		o["metadata"] = md
	}
	o["expect_code"] = c.spec.Expect.String()
}

// call is the resolved call of one run.
func (c *callSettings) call(runID string) *Call {
	if c.spec == nil {
		return nil
	}
	spec := *c.spec
	spec.RunID = runID
	return &spec
}
