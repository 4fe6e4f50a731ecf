/**
 * Java client for the BOSA gateway (the bosa.v1 gRPC API).
 *
 * <p>{@link dev.bosa.gateway.BosaClient} holds one channel, configured with the published gRPC service
 * config (retries for UNAVAILABLE on idempotent methods, per-method deadlines), the caller's credentials and a
 * default deadline. Failures are {@link dev.bosa.gateway.BosaException}s carrying the gRPC code and the
 * {@code google.rpc.ErrorInfo} reason as a generated {@link dev.bosa.v1.ErrorReason}. The generated messages and
 * stubs are in {@code dev.bosa.v1}.
 */
package dev.bosa.gateway;
