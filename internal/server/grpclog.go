package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"google.golang.org/grpc/grpclog"
)

// GRPCLogger returns a grpclog.LoggerV2 that writes to l, so that the few lines grpc-go and
// grpc-gateway log themselves (grpclog) are structured like the gateway's own. Their "errors" are
// mostly a caller that went away mid-stream; the call's outcome is logged by the gateway's logging
// interceptor, so they are warnings here, and grpc-go's info chatter is debug.
func GRPCLogger(l *slog.Logger) grpclog.LoggerV2 {
	return grpcLogger{l.With(slog.String("component", "grpc"))}
}

type grpcLogger struct{ l *slog.Logger }

func (g grpcLogger) log(level slog.Level, msg string) { g.l.Log(context.Background(), level, msg) }

func (g grpcLogger) Info(args ...any)   { g.log(slog.LevelDebug, fmt.Sprint(args...)) }
func (g grpcLogger) Infoln(args ...any) { g.log(slog.LevelDebug, fmt.Sprint(args...)) }
func (g grpcLogger) Infof(format string, args ...any) {
	g.log(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (g grpcLogger) Warning(args ...any)   { g.log(slog.LevelWarn, fmt.Sprint(args...)) }
func (g grpcLogger) Warningln(args ...any) { g.log(slog.LevelWarn, fmt.Sprint(args...)) }
func (g grpcLogger) Warningf(format string, args ...any) {
	g.log(slog.LevelWarn, fmt.Sprintf(format, args...))
}
func (g grpcLogger) Error(args ...any)   { g.log(slog.LevelWarn, fmt.Sprint(args...)) }
func (g grpcLogger) Errorln(args ...any) { g.log(slog.LevelWarn, fmt.Sprint(args...)) }
func (g grpcLogger) Errorf(format string, args ...any) {
	g.log(slog.LevelWarn, fmt.Sprintf(format, args...))
}
func (g grpcLogger) Fatal(args ...any)   { g.log(slog.LevelError, fmt.Sprint(args...)); os.Exit(1) }
func (g grpcLogger) Fatalln(args ...any) { g.log(slog.LevelError, fmt.Sprint(args...)); os.Exit(1) }
func (g grpcLogger) Fatalf(format string, args ...any) {
	g.log(slog.LevelError, fmt.Sprintf(format, args...))
	os.Exit(1)
}

// V reports whether verbosity level v is on: grpc-go's verbose logs are debug.
func (g grpcLogger) V(v int) bool {
	return v <= 0 || g.l.Enabled(context.Background(), slog.LevelDebug)
}
