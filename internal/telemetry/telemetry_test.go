package telemetry

import (
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestFromEnv: the exporter comes from OTEL_TRACES_EXPORTER only (unset and none: no recording),
// the service name defaults to bosa-gateway and OTEL_SERVICE_NAME overrides it, a bad value fails.
func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name, exporter, disabled, service string
		recording                         bool
		wantService                       string
		wantErr                           string
	}{
		{name: "unset", recording: false},
		{name: "none", exporter: "none", recording: false},
		{name: "console", exporter: "console", recording: true, wantService: ServiceName},
		{name: "console, service name from env", exporter: "console", service: "gw-prod", recording: true, wantService: "gw-prod"},
		{name: "otlp", exporter: "otlp", recording: true, wantService: ServiceName},
		{name: "disabled SDK", exporter: "console", disabled: "true", recording: false},
		{name: "unknown exporter", exporter: "zipkin-typo", wantErr: "OTEL_TRACES_EXPORTER=zipkin-typo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("OTEL_TRACES_EXPORTER", tc.exporter)
			t.Setenv("OTEL_SDK_DISABLED", tc.disabled)
			t.Setenv("OTEL_SERVICE_NAME", tc.service)
			tr, err := FromEnv(context.Background(), "v1.0.0")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FromEnv: %v, want an error naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Shutdown(context.Background())
			if !tc.recording {
				if tr.Provider != nil || tr.Exporter != "none" {
					t.Errorf("provider %T, exporter %q; want none", tr.Provider, tr.Exporter)
				}
				return
			}
			_, span := tr.Provider.Tracer("test").Start(context.Background(), "x")
			defer span.End()
			if !span.IsRecording() {
				t.Errorf("span not recording with exporter %s", tc.exporter)
			}
			ro, ok := span.(sdktrace.ReadOnlySpan)
			if !ok {
				t.Fatalf("span %T is not an SDK span", span)
			}
			attrs := map[string]string{}
			for _, a := range ro.Resource().Attributes() {
				attrs[string(a.Key)] = a.Value.Emit()
			}
			if attrs["service.name"] != tc.wantService || attrs["service.version"] != "v1.0.0" {
				t.Errorf("resource %v, want service.name %s and service.version v1.0.0", attrs, tc.wantService)
			}
		})
	}
	if fields := Propagator().Fields(); !strings.Contains(strings.Join(fields, ","), "traceparent") {
		t.Errorf("propagator fields %v lack traceparent", fields)
	}
}
