package dev.bosa.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bosa.v1.ListConnectorsRequest;
import dev.bosa.v1.ListConnectorsResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Retries and deadlines: the published service config and the client's default deadline, on real gateways. */
@ExtendWith(GatewayExtension.class)
class ResilienceTest {
  private static final ListConnectorsRequest LIST = ListConnectorsRequest.getDefaultInstance();

  @Test
  void serviceConfigRetriesUnavailableOnIdempotentMethodsOnly() throws Exception {
    // Nothing listens on the port: every attempt fails UNAVAILABLE before the gateway could answer.
    String target;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      target = "127.0.0.1:" + s.getLocalPort();
    }
    Attempts attempts = new Attempts();
    try (BosaClient client = BosaClient.newBuilder(target).usePlaintext().intercept(attempts).build()) {
      BosaException err = BosaException.from(assertThrows(StatusRuntimeException.class,
          () -> client.connectors().listConnectors(LIST)));
      assertEquals(Status.Code.UNAVAILABLE, err.code());
      // maxAttempts of the published config's idempotent methods.
      assertEquals(4, attempts.count.getAndSet(0));

      BosaException create = assertThrows(BosaException.class, () -> client.createUser("someone", ""));
      assertEquals(Status.Code.UNAVAILABLE, create.code());
      assertEquals(1, attempts.count.getAndSet(0), "CreateUser is not retried by the client");
    }
    try (BosaClient plain = BosaClient.newBuilder(target).usePlaintext().serviceConfig(null)
        .intercept(attempts).build()) {
      assertThrows(StatusRuntimeException.class, () -> plain.connectors().listConnectors(LIST));
      assertEquals(1, attempts.count.get(), "without the service config nothing is retried");
    }
  }

  @Test
  void callSurvivesGatewayRestart() throws Exception {
    try (Gateway gateway = Gateway.start();
        BosaClient client = BosaClient.newBuilder(gateway.target).usePlaintext().waitForReady(true).build()) {
      assertEquals(2, client.connectors().listConnectors(LIST).getConnectorsCount());
      gateway.stop();
      // Issued while nothing listens on the port: the call waits for the gateway, within its deadline.
      CompletableFuture<ListConnectorsResponse> call =
          CompletableFuture.supplyAsync(() -> client.connectors().listConnectors(LIST));
      gateway.launchAgain();
      assertEquals(2, call.get(30, TimeUnit.SECONDS).getConnectorsCount());
    }
  }

  @Test
  void defaultDeadlineApplied(Gateway gateway) {
    AtomicReference<Deadline> seen = new AtomicReference<>();
    ClientInterceptor capture = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> m, CallOptions o, Channel next) {
        seen.set(o.getDeadline());
        return next.newCall(m, o);
      }
    };
    try (BosaClient client = BosaClient.newBuilder(gateway.target).usePlaintext().timeout(Duration.ofSeconds(7))
        .intercept(capture).build()) {
      client.connectors().listConnectors(LIST);
      long left = seen.get().timeRemaining(TimeUnit.MILLISECONDS);
      assertTrue(left > 5_000 && left <= 7_000, "deadline " + left + " ms");
      // A deadline the caller sets wins.
      client.connectors().withDeadlineAfter(3, TimeUnit.SECONDS).listConnectors(LIST);
      assertTrue(seen.get().timeRemaining(TimeUnit.MILLISECONDS) <= 3_000);
    }
    try (BosaClient client = BosaClient.newBuilder(gateway.target).usePlaintext().timeout(null)
        .intercept(capture).build()) {
      client.connectors().listConnectors(LIST);
      assertNull(seen.get());
    }
    assertEquals(Duration.ofSeconds(30), BosaClient.DEFAULT_TIMEOUT);
    try (BosaClient client = BosaClient.newBuilder(gateway.target).usePlaintext().intercept(capture).build()) {
      client.connectors().listConnectors(LIST);
      assertTrue(seen.get().timeRemaining(TimeUnit.SECONDS) > 25);
    }
    // A deadline too short for any answer ends the call with DEADLINE_EXCEEDED.
    try (BosaClient client = BosaClient.newBuilder(gateway.target).usePlaintext().timeout(Duration.ofNanos(1))
        .build()) {
      StatusRuntimeException err = assertThrows(StatusRuntimeException.class,
          () -> client.connectors().listConnectors(LIST));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, err.getStatus().getCode());
    }
  }

  /** Attempts counts the streams (the first attempt and each retry) the calls through it open. */
  static final class Attempts implements ClientInterceptor {
    final AtomicInteger count = new AtomicInteger();

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return next.newCall(method, options.withStreamTracerFactory(new ClientStreamTracer.Factory() {
        @Override
        public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
          if (!info.isTransparentRetry()) {
            count.incrementAndGet();
          }
          return new ClientStreamTracer() {};
        }
      }));
    }
  }
}
