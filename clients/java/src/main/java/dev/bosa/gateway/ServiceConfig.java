package dev.bosa.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * ServiceConfig is the gateway's published gRPC service config, proto/bosa/v1/service_config.json (packaged from
 * that file at build time): round_robin over every resolved address, retries for UNAVAILABLE on idempotent methods,
 * per-method deadlines.
 */
public final class ServiceConfig {
  static final String RESOURCE = "service_config.json";

  private ServiceConfig() {}

  /** The published config as grpc-java's {@code defaultServiceConfig} map (JSON numbers as Double). */
  public static Map<String, ?> published() {
    try (InputStream in = ServiceConfig.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("service config resource missing: dev/bosa/gateway/" + RESOURCE);
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a service config in JSON into the map grpc-java expects. */
  @SuppressWarnings("unchecked")
  public static Map<String, ?> parse(String json) {
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("service config is not a JSON object: " + e.getMessage(), e);
    }
    // grpc-java's config parser takes JSON numbers as Double only.
    return (Map<String, ?>) asDoubles(Values.toJava(b.build()));
  }

  private static Object asDoubles(Object v) {
    if (v instanceof Long n) {
      return n.doubleValue();
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      m.forEach((k, x) -> out.put((String) k, asDoubles(x)));
      return out;
    }
    if (v instanceof java.util.List<?> l) {
      return l.stream().map(ServiceConfig::asDoubles).toList();
    }
    return v;
  }
}
