package dev.bosa.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bosa.v1.CheckIntegrationRequest;
import dev.bosa.v1.Connector;
import dev.bosa.v1.ErrorReason;
import dev.bosa.v1.ExecuteActionResponse;
import dev.bosa.v1.FileMetadata;
import dev.bosa.v1.GetCurrentUserRequest;
import dev.bosa.v1.ListConnectorsRequest;
import dev.bosa.v1.PaginateResponse;
import dev.bosa.v1.User;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The user journey through BosaClient against a real sandbox gateway. */
@ExtendWith(GatewayExtension.class)
class JourneyTest {
  private final Closes closes = new Closes();
  private BosaClient client;

  @BeforeEach
  void open(Gateway gateway) {
    client = BosaClient.newBuilder(gateway.target).usePlaintext().intercept(closes).build();
  }

  @AfterEach
  void close() {
    client.close();
  }

  @Test
  void listConnectors() {
    List<String> names = client.connectors().listConnectors(ListConnectorsRequest.getDefaultInstance())
        .getConnectorsList().stream().map(Connector::getName).toList();
    assertEquals(List.of("github", "google_drive"), names);
  }

  @Test
  void createUserAuthenticateAndConnect() throws Exception {
    String id = Sandbox.identifier();
    User created = client.createUser(id, java.util.UUID.randomUUID().toString());
    assertTrue(created.getSecret().startsWith("sk-user-"));
    var auth = client.authenticate(id, created.getSecret());
    assertTrue(auth.getExpireTime().getSeconds() > System.currentTimeMillis() / 1000, "expiry in the future");
    BosaClient user = client.withCredentials(auth.getToken(), null, null);
    User me = user.users().getCurrentUser(GetCurrentUserRequest.getDefaultInstance());
    assertEquals(List.of(created.getId(), id, ""), List.of(me.getId(), me.getIdentifier(), me.getSecret()));

    CheckIntegrationRequest check = CheckIntegrationRequest.newBuilder().setConnector("github").build();
    assertFalse(user.integrations().checkIntegration(check).getHasIntegration());
    Sandbox.connect(user, "github");
    assertTrue(user.integrations().checkIntegration(check).getHasIntegration());

    ExecuteActionResponse repo = user.execute("github", "get_repository", Map.of("owner", "acme", "repo", "web"));
    Map<?, ?> data = (Map<?, ?>) Values.toJava(repo.getData());
    assertEquals("acme/web", data.get("full_name"));
    assertEquals(id + "-gh", data.get("viewer_login"));
  }

  @Test
  void paginateTwoPagesThenEarlyCloseCancels() throws Exception {
    BosaClient user = Sandbox.user(client, Sandbox.identifier());
    Sandbox.connect(user, "github");
    Map<String, Object> params = Map.of("owner", "acme", "repo", "web", "state", "all", "per_page", 50);

    List<PaginateResponse> pages = new ArrayList<>();
    try (Pages p = user.paginate("github", "list_pull_requests", params, 2)) {
      p.forEach(pages::add);
    }
    assertEquals(List.of(0, 1), pages.stream().map(PaginateResponse::getIndex).toList());
    List<Object> numbers = pages.stream().flatMap(p -> ((List<?>) Values.toJava(p.getData())).stream())
        .map(pr -> ((Map<?, ?>) pr).get("number")).collect(Collectors.toList());
    assertEquals(LongStream.rangeClosed(138, 237).map(n -> 375 - n).boxed().toList(), numbers);
    assertTrue(pages.get(1).getHasNext());
    assertFalse(pages.get(1).getNextPageToken().isEmpty());

    // Leaving after the first page of an unbounded stream cancels the call; the client stays usable.
    closes.reset();
    try (var stream = user.paginate("github", "list_pull_requests", params, 0).stream()) {
      assertEquals(0, stream.findFirst().orElseThrow().getIndex());
    }
    assertEquals(Status.Code.CANCELLED, closes.next().get(10, TimeUnit.SECONDS).getCode());
    assertEquals(200, user.execute("github", "get_repository", Map.of("owner", "acme", "repo", "web"))
        .getUpstreamStatus());
  }

  @Test
  void uploadThenDownloadByteExact(@TempDir Path tmp) throws Exception {
    BosaClient user = Sandbox.user(client, Sandbox.identifier());
    Sandbox.connect(user, "google_drive");
    byte[] payload = new byte[230_001]; // several 32 KiB chunks and a partial one
    new Random(7).nextBytes(payload);
    Path source = tmp.resolve("report.bin");
    Files.write(source, payload);

    ExecuteActionResponse uploaded = user.upload("google_drive", "upload_file",
        Map.of("name", "report.bin", "description", "junit"),
        List.of(Upload.ofPath("file", "report.bin", "application/octet-stream", source)),
        java.util.UUID.randomUUID().toString());
    Map<?, ?> meta = (Map<?, ?>) Values.toJava(uploaded.getData());
    assertEquals("report.bin", meta.get("name"));

    Path dest = tmp.resolve("copy.bin");
    FileMetadata got = user.download("google_drive", "download_file", Map.of("file_id", meta.get("id")), dest);
    assertEquals("report.bin", got.getFilename());
    assertEquals(payload.length, got.getSize());
    assertArrayEquals(payload, Files.readAllBytes(dest));

    // A stream of unknown size, and the in-memory download.
    ExecuteActionResponse small = user.upload("google_drive", "upload_file", Map.of("name", "small.txt"),
        List.of(Upload.ofStream("file", "small.txt", "text/plain", new ByteArrayInputStream("hello".getBytes()))),
        "");
    Object smallId = ((Map<?, ?>) Values.toJava(small.getData())).get("id");
    var file = user.downloadBytes("google_drive", "download_file", Map.of("file_id", smallId));
    assertEquals("hello", file.getData().toStringUtf8());
    assertEquals("small.txt", file.getFilename());
  }

  @Test
  void uploadWhoseSourceFailsStoresNothing() throws Exception {
    BosaClient user = Sandbox.user(client, Sandbox.identifier());
    Sandbox.connect(user, "google_drive");
    java.io.InputStream failing = new java.io.InputStream() {
      private int left = 100_000; // several chunks, then the disk "fails"

      @Override
      public int read() throws java.io.IOException {
        if (left-- <= 0) {
          throw new java.io.IOException("disk on fire");
        }
        return 'x';
      }
    };
    java.io.UncheckedIOException err = assertThrows(java.io.UncheckedIOException.class, () -> user.upload(
        "google_drive", "upload_file", Map.of("name", "broken.bin"),
        List.of(Upload.ofStream("file", "broken.bin", "", failing)), ""));
    assertEquals("disk on fire", err.getCause().getMessage());
    List<?> listed = (List<?>) Values.toJava(
        user.execute("google_drive", "list_files", Map.of("name_contains", "broken.bin")).getData());
    assertEquals(List.of(), listed);
  }

  @Test
  void downloadOfJsonIsFailedPreconditionAndLeavesNoFile(@TempDir Path tmp) throws Exception {
    BosaClient user = Sandbox.user(client, Sandbox.identifier());
    Sandbox.connect(user, "github");
    Path dest = tmp.resolve("never.bin");
    BosaException err = assertThrows(BosaException.class,
        () -> user.download("github", "get_repository", Map.of("owner", "acme", "repo", "web"), dest));
    assertEquals(Status.Code.FAILED_PRECONDITION, err.code());
    assertFalse(Files.exists(dest));
  }

  @Test
  void typedErrors() {
    BosaClient user = Sandbox.user(client, Sandbox.identifier());

    BosaException missing = assertThrows(BosaException.class,
        () -> user.execute("github", "get_repository", Map.of("owner", "acme", "repo", "web")));
    assertEquals(Status.Code.FAILED_PRECONDITION, missing.code());
    assertEquals(ErrorReason.INTEGRATION_MISSING, missing.errorReason());
    assertEquals("INTEGRATION_MISSING", missing.reason());
    assertEquals(BosaException.GATEWAY_DOMAIN, missing.domain());
    assertEquals("404", missing.metadata().get("upstream_status"));

    BosaException invalid = assertThrows(BosaException.class,
        () -> user.execute("github", "list_pull_requests", Map.of("owner", "acme", "per_page", "many")));
    assertEquals(Status.Code.INVALID_ARGUMENT, invalid.code());
    assertEquals(ErrorReason.INVALID_PARAMETERS, invalid.errorReason());
    assertEquals(java.util.Set.of("input.repo", "input.per_page"), invalid.fieldViolations().keySet());

    // A stream's failure surfaces while iterating, as the same exception.
    BosaException midStream = assertThrows(BosaException.class, () -> {
      try (Pages p = user.paginate("github", "list_pull_requests", Map.of("repo", "web"), 0)) {
        p.forEachRemaining(x -> { });
      }
    });
    assertEquals(ErrorReason.INVALID_PARAMETERS, midStream.errorReason());
    assertEquals(java.util.Set.of("input.owner"), midStream.fieldViolations().keySet());

    // The raw stubs throw StatusRuntimeException; BosaException.from decodes it.
    BosaException badToken = BosaException.from(assertThrows(io.grpc.StatusRuntimeException.class,
        () -> client.withCredentials("not-a-token", null, null).users()
            .getCurrentUser(GetCurrentUserRequest.getDefaultInstance())));
    assertEquals(Status.Code.UNAUTHENTICATED, badToken.code());
    assertEquals(ErrorReason.UNAUTHENTICATED, badToken.errorReason());
    assertFalse(badToken.getMessage().contains("not-a-token"));
  }

  /** Closes records how each call through the channel ended. */
  static final class Closes implements ClientInterceptor {
    private volatile CompletableFuture<Status> next = new CompletableFuture<>();

    void reset() {
      next = new CompletableFuture<>();
    }

    CompletableFuture<Status> next() {
      return next;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel ch) {
      CompletableFuture<Status> done = next;
      return new ForwardingClientCall.SimpleForwardingClientCall<>(ch.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              done.complete(status);
              super.onClose(status, trailers);
            }
          }, headers);
        }
      };
    }
  }
}
