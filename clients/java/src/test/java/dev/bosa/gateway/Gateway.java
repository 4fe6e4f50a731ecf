package dev.bosa.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gateway is a real {@code bosa-gateway --sandbox} process built from this repository: it starts on ports the OS
 * picks (or a given gRPC address, for a restart), reads the addresses from the banner and polls /healthz.
 */
final class Gateway implements AutoCloseable {
  private static final Pattern GRPC = Pattern.compile("gRPC \\((\\S+?)\\)");
  private static final Pattern REST = Pattern.compile("REST \\((https?://\\S+?)\\)");
  private static Path binary;

  private final List<String> extraFlags;
  private Process process;
  private Path log;
  String target;
  String httpBase;

  private Gateway(List<String> extraFlags) {
    this.extraFlags = extraFlags;
  }

  /** Builds cmd/bosa-gateway once per test JVM. */
  static synchronized Path binary() throws IOException, InterruptedException {
    if (binary == null) {
      Path repo = Path.of(System.getProperty("bosa.repo", "../..")).toAbsolutePath().normalize();
      Path dir = Files.createTempDirectory("bosa-gateway-java");
      Path out = dir.resolve("bosa-gateway");
      Process build = new ProcessBuilder("go", "build", "-o", out.toString(), "./cmd/bosa-gateway")
          .directory(repo.toFile()).inheritIO().start();
      if (build.waitFor() != 0) {
        throw new IllegalStateException("go build ./cmd/bosa-gateway failed");
      }
      binary = out;
    }
    return binary;
  }

  /** Starts a gateway on free ports with the given extra flags. */
  static Gateway start(String... extraFlags) throws IOException, InterruptedException {
    Gateway g = new Gateway(List.of(extraFlags));
    g.launch("127.0.0.1:0");
    return g;
  }

  /** Stops the process (SIGTERM, then SIGKILL after 20 s) and waits for it to exit. */
  void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    process = null;
  }

  /** Starts the gateway again on the same gRPC address (a new sandbox: stored users are gone). */
  void restart() throws IOException, InterruptedException {
    stop();
    launch(target);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private void launch(String grpcAddr) throws IOException, InterruptedException {
    log = Files.createTempFile("bosa-gateway", ".log");
    List<String> cmd = new java.util.ArrayList<>(List.of(binary().toString(), "--sandbox", "--grpc-addr", grpcAddr,
        "--http-addr", "127.0.0.1:0", "--log-level", "warn"));
    cmd.addAll(extraFlags);
    process = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    String grpc = null;
    String http = null;
    StringBuilder banner = new StringBuilder();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    while (grpc == null || http == null) {
      String line = out.readLine(); // the process's exit ends the banner with null
      if (line == null) {
        throw new IllegalStateException("gateway did not start (exit " + process.waitFor() + "): " + banner
            + Files.readString(log));
      }
      banner.append(line).append('\n');
      Matcher m = GRPC.matcher(line);
      if (m.find()) {
        grpc = m.group(1);
      }
      m = REST.matcher(line);
      if (m.find()) {
        http = m.group(1);
      }
    }
    // Keep draining stdout so the gateway never blocks on a full pipe.
    Thread drain = new Thread(() -> {
      try {
        out.transferTo(java.io.Writer.nullWriter());
      } catch (IOException ignored) {
        // The process ended.
      }
    });
    drain.setDaemon(true);
    drain.start();
    target = grpc;
    httpBase = http;
    waitHealthy();
  }

  private void waitHealthy() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    Instant deadline = Instant.now().plusSeconds(30);
    while (true) {
      try {
        HttpResponse<Void> resp = http.send(HttpRequest.newBuilder(URI.create(httpBase + "/healthz"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        if (resp.statusCode() == 200) {
          return;
        }
      } catch (IOException ignored) {
        // Not listening yet.
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("gateway /healthz never answered 200: " + Files.readString(log));
      }
      Thread.sleep(50);
    }
  }
}
