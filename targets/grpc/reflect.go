package grpctarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/commsbench/commsbench/targets/transport"
)

// The two versions of the server reflection service. Their messages are
// the same on the wire (v1 is v1alpha renamed), so one client speaks both,
// sending v1 messages to whichever the server has.
const (
	reflectionV1      = rpb.ServerReflection_ServerReflectionInfo_FullMethodName
	reflectionV1alpha = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
)

// errNoReflection says the server does not serve reflection.
var errNoReflection = errors.New("does not enable server reflection")

// reflectSchema asks the server at cc for the file that defines service
// and the files it imports, by server reflection (v1, then v1alpha). A
// service the server does not have gives the services it has.
func reflectSchema(ctx context.Context, cc *grpc.ClientConn, address, service string) (schema, error) {
	var (
		r   *reflector
		err error
	)
	for _, method := range []string{reflectionV1, reflectionV1alpha} {
		r, err = openReflection(ctx, cc, method)
		if err != nil {
			return schema{}, reflectionError(address, err)
		}
		var fds [][]byte
		fds, err = r.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: service}})
		if status.Code(err) == codes.Unimplemented {
			r.close()
			continue
		}
		if err != nil {
			defer r.close()
			if errors.Is(err, errNotFound) {
				return schema{}, r.serviceNotFound(address, service)
			}
			return schema{}, reflectionError(address, err)
		}
		defer r.close()
		files, err := r.files(fds)
		if err != nil {
			return schema{}, fmt.Errorf("grpc: the descriptors the server at %s gave by reflection: %w", address, err)
		}
		return schema{files: files, source: SchemaReflection}, nil
	}
	return schema{}, transport.Usagef("grpc: the server at %s %s (%s); give the service's schema with --proto FILE (and --import-path DIR for its imports)", address, errNoReflection, statusMessage(err))
}

// reflectionError is a failure to talk to the reflection service: the
// server cannot be reached (not a usage error), or answered oddly.
func reflectionError(address string, err error) error {
	if status.Code(err) == codes.Unavailable || status.Code(err) == codes.DeadlineExceeded {
		return fmt.Errorf("grpc: cannot reach the server at %s: %s", address, statusMessage(err))
	}
	return fmt.Errorf("grpc: server reflection at %s: %s", address, statusMessage(err))
}

// reflector is one reflection stream.
type reflector struct {
	stream grpc.ClientStream
	cancel context.CancelFunc
}

var reflectionStream = &grpc.StreamDesc{StreamName: "ServerReflectionInfo", ServerStreams: true, ClientStreams: true}

func openReflection(ctx context.Context, cc *grpc.ClientConn, method string) (*reflector, error) {
	ctx, cancel := context.WithCancel(ctx)
	s, err := cc.NewStream(ctx, reflectionStream, method)
	if err != nil {
		cancel()
		return nil, err
	}
	return &reflector{stream: s, cancel: cancel}, nil
}

func (r *reflector) close() {
	_ = r.stream.CloseSend()
	r.cancel()
}

// errNotFound is the server's answer for a symbol or file it does not have.
var errNotFound = errors.New("not found")

// ask sends one request and returns the file descriptors of the answer.
func (r *reflector) ask(req *rpb.ServerReflectionRequest) ([][]byte, error) {
	resp, err := r.roundTrip(req)
	if err != nil {
		return nil, err
	}
	switch m := resp.MessageResponse.(type) {
	case *rpb.ServerReflectionResponse_FileDescriptorResponse:
		return m.FileDescriptorResponse.GetFileDescriptorProto(), nil
	case *rpb.ServerReflectionResponse_ErrorResponse:
		if codes.Code(m.ErrorResponse.GetErrorCode()) == codes.NotFound {
			return nil, fmt.Errorf("%w: %s", errNotFound, m.ErrorResponse.GetErrorMessage())
		}
		return nil, status.Error(codes.Code(m.ErrorResponse.GetErrorCode()), m.ErrorResponse.GetErrorMessage())
	}
	return nil, fmt.Errorf("an answer of type %T to a file request", resp.MessageResponse)
}

func (r *reflector) roundTrip(req *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
	if err := r.stream.SendMsg(req); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	resp := new(rpb.ServerReflectionResponse)
	if err := r.stream.RecvMsg(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// services lists the services the server names, sorted.
func (r *reflector) services() ([]string, error) {
	resp, err := r.roundTrip(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{ListServices: "*"}})
	if err != nil {
		return nil, err
	}
	l, ok := resp.MessageResponse.(*rpb.ServerReflectionResponse_ListServicesResponse)
	if !ok {
		return nil, fmt.Errorf("an answer of type %T to a list of services", resp.MessageResponse)
	}
	var out []string
	for _, s := range l.ListServicesResponse.GetService() {
		out = append(out, s.GetName())
	}
	sort.Strings(out)
	return out, nil
}

func (r *reflector) serviceNotFound(address, service string) error {
	names, err := r.services()
	if err != nil {
		return transport.Usagef("--call: the server at %s has no service %s (its list of services: %v)", address, service, err)
	}
	return transport.Usagef("--call: the server at %s has no service %s; %s", address, service, listOf("its services", names))
}

// files builds the descriptors of fds and of every file they import,
// asking the server for those it did not send.
func (r *reflector) files(fds [][]byte) (*protoregistry.Files, error) {
	byName := map[string]*descriptorpb.FileDescriptorProto{}
	var order []string
	add := func(raw [][]byte) error {
		for _, b := range raw {
			fd := new(descriptorpb.FileDescriptorProto)
			if err := proto.Unmarshal(b, fd); err != nil {
				return err
			}
			if _, ok := byName[fd.GetName()]; !ok {
				byName[fd.GetName()] = fd
				order = append(order, fd.GetName())
			}
		}
		return nil
	}
	if err := add(fds); err != nil {
		return nil, err
	}
	// Fetch missing imports; each round adds at least one file or ends.
	for i := 0; i < len(order); i++ {
		for _, dep := range byName[order[i]].GetDependency() {
			if _, ok := byName[dep]; ok {
				continue
			}
			raw, err := r.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: dep}})
			if err != nil {
				return nil, fmt.Errorf("file %s: %w", dep, err)
			}
			if err := add(raw); err != nil {
				return nil, err
			}
			if _, ok := byName[dep]; !ok {
				return nil, fmt.Errorf("the server did not send %s", dep)
			}
		}
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, name := range order {
		set.File = append(set.File, byName[name])
	}
	return protodesc.NewFiles(set)
}
