// Package goexample holds the README's example of the generated Go stubs (gen/bosa/v1) used
// directly with grpc.NewClient; its test runs the example against an in-process sandbox gateway.
package goexample
