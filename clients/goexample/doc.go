// Package goexample holds the example of the generated Go stubs (gen/bosa/v1) shown in docs/clients.md, used
// directly with grpc.NewClient; its test runs the example against an in-process sandbox gateway.
package goexample
