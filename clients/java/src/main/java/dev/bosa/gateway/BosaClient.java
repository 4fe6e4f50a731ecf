package dev.bosa.gateway;

import dev.bosa.v1.ActionServiceGrpc;
import dev.bosa.v1.AuthenticateUserRequest;
import dev.bosa.v1.AuthenticateUserResponse;
import dev.bosa.v1.ConnectorServiceGrpc;
import dev.bosa.v1.CreateUserRequest;
import dev.bosa.v1.DownloadFileRequest;
import dev.bosa.v1.DownloadFileResponse;
import dev.bosa.v1.ExecuteActionRequest;
import dev.bosa.v1.ExecuteActionResponse;
import dev.bosa.v1.File;
import dev.bosa.v1.FileMetadata;
import dev.bosa.v1.IntegrationServiceGrpc;
import dev.bosa.v1.PaginateRequest;
import dev.bosa.v1.UploadFilesHeader;
import dev.bosa.v1.UploadFilesRequest;
import dev.bosa.v1.UploadFilesResponse;
import dev.bosa.v1.User;
import dev.bosa.v1.UserServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * BosaClient is a connection to the BOSA gateway: one channel with the published service config, the caller's
 * {@link Credentials} on every call and a default deadline.
 *
 * <p>The generated blocking stubs, with credentials and deadline applied, are {@link #users()},
 * {@link #connectors()}, {@link #actions()} and {@link #integrations()}; their failures are
 * {@code StatusRuntimeException}s, which {@link BosaException#from} decodes. The helper methods take plain Java
 * values and throw {@link BosaException}. Close the client to close the channel it opened.
 */
public final class BosaClient implements AutoCloseable {
  /** The default deadline of each call, when the builder sets none. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final ManagedChannel owned;
  private final Channel base;
  private final Channel channel;
  private final Credentials credentials;
  private final Duration timeout;

  private final boolean waitForReady;

  private BosaClient(ManagedChannel owned, Channel base, Credentials credentials, Duration timeout,
      boolean waitForReady) {
    this.owned = owned;
    this.base = base;
    this.credentials = credentials;
    this.timeout = timeout;
    this.waitForReady = waitForReady;
    this.channel = ClientInterceptors.intercept(base, new Defaults(credentials, timeout, waitForReady));
  }

  /** A builder for a client of the gateway at target ("host:port", or any grpc-java target URI). */
  public static Builder newBuilder(String target) {
    return new Builder(target);
  }

  /** A client on the same channel with other credentials; null arguments keep this one's. Closing it is a no-op. */
  public BosaClient withCredentials(String token, String integration, String apiKey) {
    return new BosaClient(null, base, credentials.with(apiKey, token, integration), timeout, waitForReady);
  }

  /** The default deadline of each call; null when calls wait indefinitely (the service config's still apply). */
  public Duration timeout() {
    return timeout;
  }

  /** The channel with credentials and the default deadline applied, for other stubs or interceptors. */
  public Channel channel() {
    return channel;
  }

  /** The UserService stub. */
  public UserServiceGrpc.UserServiceBlockingStub users() {
    return UserServiceGrpc.newBlockingStub(channel);
  }

  /** The ConnectorService stub. */
  public ConnectorServiceGrpc.ConnectorServiceBlockingStub connectors() {
    return ConnectorServiceGrpc.newBlockingStub(channel);
  }

  /** The ActionService stub. */
  public ActionServiceGrpc.ActionServiceBlockingStub actions() {
    return ActionServiceGrpc.newBlockingStub(channel);
  }

  /** The IntegrationService stub. */
  public IntegrationServiceGrpc.IntegrationServiceBlockingStub integrations() {
    return IntegrationServiceGrpc.newBlockingStub(channel);
  }

  /**
   * Registers a user; the returned user's secret is shown only here. A requestId (e.g. a random UUID; empty for
   * none) makes a retry safe: the same id within the gateway's idempotency window gets the first call's answer.
   */
  public User createUser(String identifier, String requestId) {
    return call(() -> users().createUser(
        CreateUserRequest.newBuilder().setIdentifier(identifier).setRequestId(requestId).build()));
  }

  /** Exchanges a user's identifier and secret for a bearer token (with its expiry). */
  public AuthenticateUserResponse authenticate(String identifier, String secret) {
    return call(() -> users().authenticateUser(
        AuthenticateUserRequest.newBuilder().setIdentifier(identifier).setSecret(secret).build()));
  }

  /** Runs one action; input is its parameters as a JSON-like map (see {@link Values}). */
  public ExecuteActionResponse execute(String connector, String action, Map<String, ?> input) {
    return execute(ExecuteActionRequest.newBuilder().setConnector(connector).setAction(action)
        .setInput(Values.struct(input)).build());
  }

  /** Runs one action from a full request (files, response fields and filters, page token, ...). */
  public ExecuteActionResponse execute(ExecuteActionRequest request) {
    return call(() -> actions().executeAction(request));
  }

  /** Iterates over the pages of a paged action (at most maxPages; 0 for the gateway's limit). */
  public Pages paginate(String connector, String action, Map<String, ?> input, int maxPages) {
    return paginate(PaginateRequest.newBuilder().setConnector(connector).setAction(action)
        .setInput(Values.struct(input)).setMaxPages(maxPages).build());
  }

  /** Iterates over the pages of a paged action from a full request; close the Pages to cancel early. */
  public Pages paginate(PaginateRequest request) {
    Context.CancellableContext ctx = Context.current().withCancellation();
    try {
      return new Pages(ctx, ctx.call(() -> actions().paginate(request)));
    } catch (Exception e) {
      ctx.cancel(null);
      throw BosaException.from(e);
    }
  }

  /**
   * Runs an action that returns a file (DownloadFile) and streams it into out, which is written, not closed.
   * Returns the file's metadata. An action that answers with JSON is FAILED_PRECONDITION; an IOException from out
   * cancels the call and is thrown as an UncheckedIOException.
   */
  public FileMetadata download(String connector, String action, Map<String, ?> input, OutputStream out) {
    return download(DownloadFileRequest.newBuilder().setConnector(connector).setAction(action)
        .setInput(Values.struct(input)).build(), out);
  }

  /** Like {@link #download(String, String, Map, OutputStream)}, from a full request. */
  public FileMetadata download(DownloadFileRequest request, OutputStream out) {
    Context.CancellableContext ctx = Context.current().withCancellation();
    try {
      Iterator<DownloadFileResponse> stream = ctx.call(() -> actions().downloadFile(request));
      FileMetadata metadata = Transfers.readMetadata(stream);
      Transfers.copyChunks(stream, metadata, out);
      return metadata;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw BosaException.from(e);
    } finally {
      ctx.cancel(null);
    }
  }

  /**
   * Like {@link #download(String, String, Map, OutputStream)} into a file, created or truncated once the gateway
   * answers with the file and removed again when the transfer fails.
   */
  public FileMetadata download(String connector, String action, Map<String, ?> input, Path dest) {
    Context.CancellableContext ctx = Context.current().withCancellation();
    DownloadFileRequest request = DownloadFileRequest.newBuilder().setConnector(connector).setAction(action)
        .setInput(Values.struct(input)).build();
    boolean created = false;
    try {
      Iterator<DownloadFileResponse> stream = ctx.call(() -> actions().downloadFile(request));
      FileMetadata metadata = Transfers.readMetadata(stream);
      try (OutputStream out = Files.newOutputStream(dest)) {
        created = true;
        Transfers.copyChunks(stream, metadata, out);
      }
      return metadata;
    } catch (Exception e) {
      if (created) {
        try {
          Files.deleteIfExists(dest);
        } catch (IOException ignored) {
          // The transfer's failure is the one to report.
        }
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException(io);
      }
      throw BosaException.from(e);
    } finally {
      ctx.cancel(null);
    }
  }

  /** Like download, for files that fit in memory: a File with filename, content type and the bytes. */
  public File downloadBytes(String connector, String action, Map<String, ?> input) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    FileMetadata m = download(connector, action, input, buf);
    return File.newBuilder().setFilename(m.getFilename()).setContentType(m.getContentType())
        .setData(com.google.protobuf.ByteString.copyFrom(buf.toByteArray())).build();
  }

  /**
   * Runs an action with file parameters (UploadFiles), streaming each file in 32 KiB chunks, the last message
   * setting finish, under gRPC flow control. Returns the action's result, as execute does. The call is never retried
   * by the client; retry it with the same requestId (empty for none) and a retry within the gateway's idempotency
   * window gets the first call's answer. A file that fails to read cancels the call (nothing is stored) and is
   * thrown as an UncheckedIOException.
   */
  public ExecuteActionResponse upload(String connector, String action, Map<String, ?> input, List<Upload> files,
      String requestId) {
    UploadFilesHeader.Builder header = UploadFilesHeader.newBuilder().setConnector(connector).setAction(action)
        .setInput(Values.struct(input)).setRequestId(requestId);
    try {
      for (Upload f : files) {
        header.addFiles(FileMetadata.newBuilder().setParameter(f.parameter()).setFilename(f.filename())
            .setContentType(f.contentType()).setSize(f.size()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    UploadCall call = new UploadCall();
    ActionServiceGrpc.newStub(channel).uploadFiles(call);
    try {
      Transfers.sendUpload(header.build(), files, Transfers.CHUNK_SIZE, call::send);
      call.requests.onCompleted();
    } catch (IOException | RuntimeException e) {
      call.requests.cancel("upload source failed", e);
      if (e instanceof IOException io) {
        throw new UncheckedIOException(io);
      }
      throw (RuntimeException) e;
    }
    return call.result().getResult();
  }

  /** Closes the channel this client opened (not one passed to the builder, nor a withCredentials copy's). */
  @Override
  public void close() {
    if (owned != null) {
      owned.shutdown();
      try {
        if (!owned.awaitTermination(5, TimeUnit.SECONDS)) {
          owned.shutdownNow();
        }
      } catch (InterruptedException e) {
        owned.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static <T> T call(java.util.concurrent.Callable<T> rpc) {
    try {
      return rpc.call();
    } catch (Exception e) {
      throw BosaException.from(e);
    }
  }

  /** The client side of one UploadFiles call: sends under flow control, then waits for the answer. */
  private static final class UploadCall implements ClientResponseObserver<UploadFilesRequest, UploadFilesResponse> {
    private final CompletableFuture<UploadFilesResponse> done = new CompletableFuture<>();
    private final Object ready = new Object();
    ClientCallStreamObserver<UploadFilesRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<UploadFilesRequest> requestStream) {
      requests = requestStream;
      requestStream.setOnReadyHandler(() -> {
        synchronized (ready) {
          ready.notifyAll();
        }
      });
    }

    /** Sends one message once the transport can take it, or throws the call's failure. */
    void send(UploadFilesRequest msg) {
      synchronized (ready) {
        while (!requests.isReady() && !done.isDone()) {
          try {
            ready.wait(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requests.cancel("interrupted", e);
            throw new BosaException(Status.Code.CANCELLED, "UploadFiles was interrupted");
          }
        }
      }
      if (done.isDone()) {
        result(); // throws the call's failure
      }
      requests.onNext(msg);
    }

    UploadFilesResponse result() {
      try {
        return done.get();
      } catch (ExecutionException e) {
        throw BosaException.from(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        requests.cancel("interrupted", e);
        throw new BosaException(Status.Code.CANCELLED, "UploadFiles was interrupted");
      }
    }

    @Override
    public void onNext(UploadFilesResponse value) {
      done.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
      synchronized (ready) {
        ready.notifyAll();
      }
    }

    @Override
    public void onCompleted() {
      if (!done.isDone()) {
        done.completeExceptionally(Status.INTERNAL.withDescription("UploadFiles ended without an answer")
            .asRuntimeException());
      }
    }
  }

  /** Adds the credentials and the default deadline to every call that has none of its own. */
  private static final class Defaults implements ClientInterceptor {
    private final Credentials credentials;
    private final Duration timeout;
    private final boolean waitForReady;

    Defaults(Credentials credentials, Duration timeout, boolean waitForReady) {
      this.credentials = credentials;
      this.timeout = timeout;
      this.waitForReady = waitForReady;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      if (options.getCredentials() == null && !credentials.isEmpty()) {
        options = options.withCallCredentials(credentials);
      }
      if (options.getDeadline() == null && timeout != null) {
        options = options.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
      }
      if (waitForReady) {
        options = options.withWaitForReady();
      }
      return next.newCall(method, options);
    }
  }

  /** Builder configures a {@link BosaClient}. */
  public static final class Builder {
    private final String target;
    private Channel channel;
    private String apiKey;
    private String token;
    private String integration;
    private Duration timeout = DEFAULT_TIMEOUT;
    private boolean plaintext;
    private boolean waitForReady;
    private Map<String, ?> serviceConfig = ServiceConfig.published();
    private final List<ClientInterceptor> interceptors = new ArrayList<>();

    private Builder(String target) {
      this.target = target;
    }

    /** Sends x-api-key: a BOSA client key, when the gateway has none of its own. */
    public Builder apiKey(String apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    /** Sends authorization: Bearer token (see {@link BosaClient#authenticate}). */
    public Builder token(String token) {
      this.token = token;
      return this;
    }

    /** Sends x-bosa-integration: the user_identifier of the integration actions should use. */
    public Builder integration(String integration) {
      this.integration = integration;
      return this;
    }

    /**
     * The default deadline of every call that sets none ({@link #DEFAULT_TIMEOUT} unless set); null waits
     * indefinitely. The service config's shorter per-method deadlines still apply.
     */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /**
     * Lets every call wait, within its deadline, for the gateway to be reachable instead of failing at once with
     * UNAVAILABLE while it is down (e.g. restarting); off by default, as gRPC's is.
     */
    public Builder waitForReady(boolean waitForReady) {
      this.waitForReady = waitForReady;
      return this;
    }

    /** Connects without TLS (a local gateway, or one behind a TLS-terminating proxy). */
    public Builder usePlaintext() {
      this.plaintext = true;
      return this;
    }

    /** Replaces the published service config (a grpc-java config map; null for none, and no retries). */
    public Builder serviceConfig(Map<String, ?> serviceConfig) {
      this.serviceConfig = serviceConfig;
      return this;
    }

    /** Adds interceptors to the channel the client opens (the first added runs first). */
    public Builder intercept(ClientInterceptor... interceptors) {
      this.interceptors.addAll(List.of(interceptors));
      return this;
    }

    /** Uses an existing channel instead of opening one (target, TLS, service config and interceptors are then its). */
    public Builder channel(Channel channel) {
      this.channel = channel;
      return this;
    }

    /** Builds the client; the channel connects on the first call. */
    public BosaClient build() {
      Credentials creds = new Credentials(apiKey, token, integration);
      if (channel != null) {
        return new BosaClient(null, channel, creds, timeout, waitForReady);
      }
      ManagedChannelBuilder<?> b = ManagedChannelBuilder.forTarget(target);
      if (plaintext) {
        b.usePlaintext();
      }
      if (serviceConfig != null) {
        b.defaultServiceConfig(serviceConfig).enableRetry();
      } else {
        b.disableRetry();
      }
      List<ClientInterceptor> reversed = new ArrayList<>(interceptors);
      java.util.Collections.reverse(reversed);
      b.intercept(reversed);
      ManagedChannel ch = b.build();
      return new BosaClient(ch, ch, creds, timeout, waitForReady);
    }
  }
}
