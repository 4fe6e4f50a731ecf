package dev.bosa.gateway;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/**
 * Credentials sends the caller's headers with every call: {@code x-api-key} (a BOSA client key, when the gateway
 * has none of its own), {@code authorization: Bearer <token>} (a user's token) and {@code x-bosa-integration}
 * (the integration actions should use). Unset (null or empty) values are not sent.
 */
public final class Credentials extends CallCredentials {
  static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> INTEGRATION =
      Metadata.Key.of("x-bosa-integration", Metadata.ASCII_STRING_MARSHALLER);

  private final String apiKey;
  private final String token;
  private final String integration;

  /** Credentials with the given values; each may be null. */
  public Credentials(String apiKey, String token, String integration) {
    this.apiKey = blankToNull(apiKey);
    this.token = blankToNull(token);
    this.integration = blankToNull(integration);
  }

  /** These credentials with the non-null arguments replacing this one's values. */
  public Credentials with(String apiKey, String token, String integration) {
    return new Credentials(
        apiKey != null ? apiKey : this.apiKey,
        token != null ? token : this.token,
        integration != null ? integration : this.integration);
  }

  /** Whether no header would be sent. */
  boolean isEmpty() {
    return apiKey == null && token == null && integration == null;
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    Metadata md = new Metadata();
    if (apiKey != null) {
      md.put(API_KEY, apiKey);
    }
    if (token != null) {
      md.put(AUTHORIZATION, "Bearer " + token);
    }
    if (integration != null) {
      md.put(INTEGRATION, integration);
    }
    applier.apply(md);
  }

  /** Never shows the secrets. */
  @Override
  public String toString() {
    return "Credentials{apiKey=" + (apiKey != null ? "set" : "unset") + ", token="
        + (token != null ? "set" : "unset") + ", integration=" + integration + "}";
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
