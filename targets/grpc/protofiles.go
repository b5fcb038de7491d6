package grpctarget

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Schema sources, as a result records them.
const (
	SchemaReflection = "reflection"
	SchemaProtoFiles = "proto files"
)

// schema is the descriptors a call's method is looked up in: those the
// server gave by reflection, or those compiled from .proto files.
type schema struct {
	files  *protoregistry.Files
	source string
}

// compileProtos compiles the .proto files with their imports. Imports are
// looked up in importPaths (protoc's -I); without any, in the directory of
// each file. The files protoc ships (google/protobuf/timestamp.proto and
// the other well-known types) need no path. A file that does not compile
// gives protocompile's error, with its file, line and column.
func compileProtos(ctx context.Context, protos, importPaths []string) (schema, error) {
	names, paths, err := protoNames(protos, importPaths)
	if err != nil {
		return schema{}, err
	}
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: paths}),
		Reporter: reporter.NewReporter(nil, nil), // stop at the first error
	}
	linked, err := c.Compile(ctx, names...)
	if err != nil {
		var pe reporter.ErrorWithPos
		hint := ""
		if len(importPaths) == 0 && errors.Is(err, fs.ErrNotExist) {
			hint = "; give --import-path DIR, the directory its imports are relative to"
		}
		if errors.As(err, &pe) {
			return schema{}, fmt.Errorf("--proto: %s does not compile: %w%s", pe.GetPosition().Filename, err, hint)
		}
		return schema{}, fmt.Errorf("--proto: %w%s", err, hint)
	}
	files := new(protoregistry.Files)
	for _, f := range linked {
		if err := register(files, f); err != nil {
			return schema{}, fmt.Errorf("--proto: %w", err)
		}
	}
	return schema{files: files, source: SchemaProtoFiles}, nil
}

// protoNames turns the files as given into names relative to the import
// paths, as protoc wants them: a file under an import path is named from
// there; another is looked up in the import paths by the name given.
// Without import paths, each file's directory is one.
func protoNames(protos, importPaths []string) (names, paths []string, err error) {
	for _, p := range protos {
		if _, err := os.Stat(p); err != nil && len(importPaths) == 0 {
			return nil, nil, fmt.Errorf("--proto %s: %w", p, errors.Unwrap(err))
		}
	}
	for _, dir := range importPaths {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, nil, fmt.Errorf("--import-path %s: not a directory", dir)
		}
	}
	if len(importPaths) == 0 {
		for _, p := range protos {
			dir := filepath.Dir(p)
			if !slices.Contains(paths, dir) {
				paths = append(paths, dir)
			}
			names = append(names, filepath.Base(p))
		}
		return names, paths, nil
	}
	for _, p := range protos {
		names = append(names, nameUnder(p, importPaths))
	}
	return names, importPaths, nil
}

// nameUnder is p relative to the first import path that holds it, or p.
func nameUnder(p string, importPaths []string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	for _, dir := range importPaths {
		d, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(d, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(p)
}

// register adds fd and, first, the files it imports, once each.
func register(files *protoregistry.Files, fd protoreflect.FileDescriptor) error {
	if _, err := files.FindFileByPath(fd.Path()); err == nil {
		return nil
	}
	imports := fd.Imports()
	for i := range imports.Len() {
		if err := register(files, imports.Get(i).FileDescriptor); err != nil {
			return err
		}
	}
	return files.RegisterFile(fd)
}

// method finds the method service/method. A service that is not there
// gives the services that are; a method that is not there, the service's
// methods. Those mistakes are the user's: usage errors.
func (s schema) method(service, method string) (protoreflect.MethodDescriptor, error) {
	d, err := s.files.FindDescriptorByName(protoreflect.FullName(service))
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if err != nil || !ok {
		return nil, fmt.Errorf("--call: service %s is not in the %s; %s", service, s.from(), listOf("its services", s.services()))
	}
	md := sd.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return nil, fmt.Errorf("--call: service %s has no method %s; %s", service, method, listOf("its methods", methods(sd)))
	}
	return md, nil
}

func (s schema) from() string {
	if s.source == SchemaReflection {
		return "server's reflection"
	}
	return ".proto files"
}

// services lists the services the files define, sorted.
func (s schema) services() []string {
	var out []string
	s.files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		svcs := fd.Services()
		for i := range svcs.Len() {
			out = append(out, string(svcs.Get(i).FullName()))
		}
		return true
	})
	sort.Strings(out)
	return out
}

// methods lists a service's methods, with how they stream.
func methods(sd protoreflect.ServiceDescriptor) []string {
	var out []string
	ms := sd.Methods()
	for i := range ms.Len() {
		out = append(out, string(ms.Get(i).Name())+" ("+streaming(ms.Get(i))+")")
	}
	return out
}

func streaming(md protoreflect.MethodDescriptor) string {
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		return "bidirectional streaming"
	case md.IsStreamingClient():
		return "client streaming"
	case md.IsStreamingServer():
		return "server streaming"
	}
	return "unary"
}

func listOf(what string, items []string) string {
	if len(items) == 0 {
		return what + ": none"
	}
	return what + ": " + strings.Join(items, ", ")
}
