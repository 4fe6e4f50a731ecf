package dev.bosa.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.bosa.v1.ErrorReason;
import dev.bosa.v1.ListConnectorsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** BosaException's decoding: RetryInfo from a real rate-limited gateway, and reasons it must not trust. */
class ErrorsTest {
  @Test
  void rateLimitCarriesRetryInfo() throws Exception {
    try (Gateway gateway = Gateway.start("--rate-limit", "0.01", "--rate-burst", "1");
        BosaClient client = BosaClient.newBuilder(gateway.target).usePlaintext().build()) {
      client.connectors().listConnectors(ListConnectorsRequest.getDefaultInstance());
      BosaException err = BosaException.from(org.junit.jupiter.api.Assertions.assertThrows(
          StatusRuntimeException.class,
          () -> client.connectors().listConnectors(ListConnectorsRequest.getDefaultInstance())));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, err.code());
      assertEquals(ErrorReason.CALLER_RATE_LIMITED, err.errorReason());
      Duration delay = err.retryDelay().orElseThrow();
      assertTrue(delay.compareTo(Duration.ZERO) > 0 && delay.compareTo(Duration.ofSeconds(100)) <= 0, delay.toString());
    }
  }

  @Test
  void reasonIsTypedOnlyForTheGatewaysDomainAndKnownValues() {
    record Case(String domain, String reason, ErrorReason want) {}
    for (Case c : new Case[] {
        new Case("bosa.dev", "NOT_FOUND", ErrorReason.NOT_FOUND),
        new Case("bosa.dev", "A_REASON_FROM_A_NEWER_GATEWAY", ErrorReason.ERROR_REASON_UNSPECIFIED),
        new Case("googleapis.com", "NOT_FOUND", ErrorReason.ERROR_REASON_UNSPECIFIED)
    }) {
      com.google.rpc.Status status = com.google.rpc.Status.newBuilder().setCode(Status.Code.NOT_FOUND.value())
          .setMessage("m").addDetails(Any.pack(ErrorInfo.newBuilder().setDomain(c.domain()).setReason(c.reason())
              .putMetadata("k", "v").build()))
          .addDetails(Any.pack(RetryInfo.getDefaultInstance())).build();
      BosaException err = BosaException.from(StatusProto.toStatusRuntimeException(status));
      assertEquals(c.want(), err.errorReason(), c.toString());
      assertEquals(c.reason(), err.reason());
      assertEquals(Map.of("k", "v"), err.metadata());
      assertEquals(Duration.ZERO, err.retryDelay().orElseThrow());
      assertEquals("NOT_FOUND [" + c.reason() + "]: m", err.getMessage());
    }
    BosaException bare = BosaException.from(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
    assertEquals(ErrorReason.ERROR_REASON_UNSPECIFIED, bare.errorReason());
    assertTrue(bare.retryDelay().isEmpty() && bare.fieldViolations().isEmpty() && bare.reason().isEmpty());
  }
}
