package durabletest

import (
	"net/http"
)

// Server serves a Service over loopback HTTP: the durable execution REST
// routes exactly as aws-sdk-go-v2's Lambda client calls them
// (CheckpointDurableExecution, GetDurableExecutionState,
// GetDurableExecution, GetDurableExecutionHistory), and the Lambda Runtime
// API a function process polls for invocations. Point the SDK at it with
// AWS_ENDPOINT_URL_LAMBDA=URL() and a runtime at it with
// AWS_LAMBDA_RUNTIME_API=Addr().
type Server struct {
	service *Service
	http    *http.Server
}

// NewServer starts serving s on 127.0.0.1 at a free port.
func NewServer(s *Service) (*Server, error) { panic("not implemented") }

// URL returns the server's base URL, "http://127.0.0.1:<port>".
func (srv *Server) URL() string { panic("not implemented") }

// Addr returns "127.0.0.1:<port>", the form AWS_LAMBDA_RUNTIME_API takes.
func (srv *Server) Addr() string { panic("not implemented") }

// Service returns the served Service.
func (srv *Server) Service() *Service { return srv.service }

// Close stops the server.
func (srv *Server) Close() error { panic("not implemented") }
