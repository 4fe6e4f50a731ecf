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
 * picks (or the same gRPC address again, for a restart), reads the addresses from its log and polls /healthz.
 */
final class Gateway implements AutoCloseable {
  // From the text log line "gateway serving grpc=127.0.0.1:port http=127.0.0.1:port ...".
  private static final Pattern GRPC = Pattern.compile(" grpc=(\\S+)");
  private static final Pattern HTTP = Pattern.compile(" http=(\\S+)");
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

  /** Starts a gateway with the embedded sandbox on free ports, with the given extra flags. */
  static Gateway start(String... extraFlags) throws IOException, InterruptedException {
    List<String> flags = new java.util.ArrayList<>(List.of("--sandbox"));
    flags.addAll(List.of(extraFlags));
    return startWith(flags);
  }

  /** Starts a gateway on free ports with exactly these flags besides the addresses. */
  static Gateway startWith(List<String> flags) throws IOException, InterruptedException {
    Gateway g = new Gateway(flags);
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

  /** Starts the stopped gateway again on the same gRPC address (a new sandbox: stored users are gone). */
  void launchAgain() throws IOException, InterruptedException {
    launch(target);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private void launch(String grpcAddr) throws IOException, InterruptedException {
    log = Files.createTempFile("bosa-gateway", ".log");
    List<String> cmd = new java.util.ArrayList<>(List.of(binary().toString(), "--grpc-addr", grpcAddr,
        "--http-addr", "127.0.0.1:0", "--log-level", "info", "--log-format", "text"));
    cmd.addAll(extraFlags);
    process = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    Process started = process;
    // A gateway that neither serves nor exits is stopped, which ends the read below.
    java.util.Timer watchdog = new java.util.Timer(true);
    watchdog.schedule(new java.util.TimerTask() {
      @Override
      public void run() {
        started.destroyForcibly();
      }
    }, 60_000);
    BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
    java.io.Writer sink = Files.newBufferedWriter(log);
    try {
      while (true) {
        String line = err.readLine();
        if (line == null) {
          sink.close();
          throw new IllegalStateException("gateway did not start (exit " + process.waitFor() + "): "
              + Files.readString(log));
        }
        sink.write(line + "\n");
        if (line.contains("gateway serving")) {
          target = match(GRPC, line);
          httpBase = "http://" + match(HTTP, line);
          break;
        }
      }
    } finally {
      watchdog.cancel();
    }
    sink.flush();
    // Keep draining the log so the gateway never blocks on a full pipe.
    Thread drain = new Thread(() -> {
      try (sink) {
        err.transferTo(sink);
      } catch (IOException ignored) {
        // The process ended.
      }
    });
    drain.setDaemon(true);
    drain.start();
    waitHealthy();
  }

  private static String match(Pattern p, String line) {
    Matcher m = p.matcher(line);
    if (!m.find()) {
      throw new IllegalStateException("no " + p + " in " + line);
    }
    return m.group(1);
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
