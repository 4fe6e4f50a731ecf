package dev.bosa.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.bosa.v1.InitiateIntegrationRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/** Sandbox holds the steps a user takes outside the API: the OAuth2 round trip through a browser. */
final class Sandbox {
  private Sandbox() {}

  /** A user identifier no other test uses. */
  static String identifier() {
    return "user-" + UUID.randomUUID().toString().substring(0, 12);
  }

  /** A client carrying a new user's token. */
  static BosaClient user(BosaClient anonymous, String identifier) {
    String secret = anonymous.createUser(identifier, "").getSecret();
    return anonymous.withCredentials(anonymous.authenticate(identifier, secret).getToken(), null, null);
  }

  /**
   * Runs the OAuth2 round trip: InitiateIntegration, then the user's browser, played by java.net.http, follows the
   * authorization URL and its redirects to a local callback page.
   */
  static void connect(BosaClient user, String connector) throws IOException, InterruptedException {
    List<String> queries = new CopyOnWriteArrayList<>();
    HttpServer callback = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    callback.createContext("/oauth/done", ex -> {
      queries.add(String.valueOf(ex.getRequestURI().getQuery()));
      byte[] body = "integration connected".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    callback.start();
    try {
      String url = "http://127.0.0.1:" + callback.getAddress().getPort() + "/oauth/done";
      String authorize = user.integrations().initiateIntegration(
          InitiateIntegrationRequest.newBuilder().setConnector(connector).setCallbackUrl(url).build()).getUrl();
      HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
      HttpResponse<String> resp = browser.send(
          HttpRequest.newBuilder(URI.create(authorize)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, resp.statusCode());
      assertEquals("integration connected", resp.body());
      assertEquals(1, queries.size());
      assertTrue(!queries.get(0).contains("error"), queries.get(0));
    } finally {
      callback.stop(0);
    }
  }
}
