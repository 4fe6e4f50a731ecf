package dev.bosa.gateway.examples;

import dev.bosa.gateway.BosaClient;
import dev.bosa.gateway.BosaException;
import dev.bosa.gateway.Pages;
import dev.bosa.gateway.Values;
import dev.bosa.v1.ConfigureIntegrationRequest;
import dev.bosa.v1.ErrorReason;
import dev.bosa.v1.PaginateResponse;
import dev.bosa.v1.User;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Quickstart: one user's journey through the BOSA gateway, the example in clients/java/README.md. */
public final class Quickstart {
  private Quickstart() {}

  /** Runs against a gateway started with {@code go run ./cmd/bosa-gateway --sandbox}. */
  public static void main(String[] args) {
    run(args.length > 0 ? args[0] : "localhost:50051", System.out);
  }

  /** Runs the example against the gateway at target, printing to out. */
  public static void run(String target, PrintStream out) {
    try (BosaClient client = BosaClient.newBuilder(target).usePlaintext().build()) {
      String id = "alice-" + UUID.randomUUID().toString().substring(0, 8);
      User user = client.createUser(id, UUID.randomUUID().toString()); // the secret is shown only here
      BosaClient alice = client.withCredentials(client.authenticate(id, user.getSecret()).getToken(), null, null);

      // Link a GitHub account from a token (OAuth2 links go through initiateIntegration).
      alice.integrations().configureIntegration(ConfigureIntegrationRequest.newBuilder().setConnector("github")
          .setConfiguration(Values.struct(Map.of("identifier", id + "-gh", "token", "ghp_example"))).build());

      Map<?, ?> repo = (Map<?, ?>) Values.toJava(
          alice.execute("github", "get_repository", Map.of("owner", "acme", "repo", "web")).getData());
      out.println(repo.get("full_name") + " is " + (Boolean.TRUE.equals(repo.get("private")) ? "private" : "public"));

      int count = 0; // every page of a paged action, streamed; closing Pages early cancels the call
      try (Pages pages = alice.paginate("github", "list_pull_requests", Map.of("owner", "acme", "repo", "web"), 0)) {
        for (PaginateResponse page : pages) {
          count += ((List<?>) Values.toJava(page.getData())).size();
        }
      }
      out.println(count + " open pull requests");

      try {
        alice.execute("github", "get_repository", Map.of("owner", "acme"));
      } catch (BosaException err) { // branch on the code and the ErrorReason, never on the message
        if (err.errorReason() == ErrorReason.INVALID_PARAMETERS) {
          out.println(err.code() + " " + err.reason() + " " + err.fieldViolations());
        }
      }
    }
  }
}
