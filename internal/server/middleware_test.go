package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestRecoveryTurnsPanicIntoInternal(t *testing.T) {
	var logs bytes.Buffer
	intercept := recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(recoveryHandler(slog.New(slog.NewTextHandler(&logs, nil)))))
	_, err := intercept(context.Background(), "req", &grpc.UnaryServerInfo{FullMethod: "/x/Y"}, func(context.Context, any) (any, error) {
		panic("boom")
	})
	st := status.Convert(err)
	if st.Code() != codes.Internal || st.Message() != "internal error" || reasonOf(st) != ReasonInternal.String() {
		t.Errorf("status %v", st)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged: %s", logs.String())
	}
}

func TestDeadlineMargin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	inner, cancelInner := withDeadlineMargin(ctx)
	defer cancelInner()
	outer, _ := ctx.Deadline()
	got, _ := inner.Deadline()
	if d := outer.Sub(got); d < 90*time.Millisecond || d > 110*time.Millisecond {
		t.Errorf("margin %v, want a tenth of 1s", d)
	}
	if c, stop := withDeadlineMargin(context.Background()); c != context.Background() {
		stop()
		t.Error("a context without deadline was changed")
	}
}

func reasonOf(st *status.Status) string {
	for _, d := range st.Details() {
		if ei, ok := d.(interface{ GetReason() string }); ok {
			return ei.GetReason()
		}
	}
	return ""
}
