package dev.bosa.gateway;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.DebugInfo;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Help;
import com.google.rpc.LocalizedMessage;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import dev.bosa.v1.ErrorReason;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * BosaException is a gateway call that failed. Branch on {@link #code()} and {@link #errorReason()} (the stable
 * {@code google.rpc.ErrorInfo} reason as a generated {@link ErrorReason}), never on the message.
 */
public final class BosaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The {@code ErrorInfo.domain} of the gateway's own errors. */
  public static final String GATEWAY_DOMAIN = "bosa.dev";

  // The detail types the gateway sends; others stay packed as google.protobuf.Any.
  private static final List<Class<? extends Message>> DETAIL_TYPES =
      List.of(
          ErrorInfo.class,
          BadRequest.class,
          RetryInfo.class,
          DebugInfo.class,
          QuotaFailure.class,
          PreconditionFailure.class,
          ResourceInfo.class,
          Help.class,
          LocalizedMessage.class);

  private final transient Status.Code code;
  private final String statusMessage;
  private final transient List<Message> details;
  private final String reason;
  private final String domain;
  private final transient ErrorReason errorReason;
  private final Map<String, String> metadata;

  /** A failure with the given code and message and no details (raised by this client itself). */
  public BosaException(Status.Code code, String message) {
    this(code, message, List.of(), null);
  }

  private BosaException(Status.Code code, String message, List<Message> details, Throwable cause) {
    super(code + (reasonOf(details).isEmpty() ? "" : " [" + reasonOf(details) + "]") + ": " + message, cause);
    this.code = code;
    this.statusMessage = message;
    this.details = List.copyOf(details);
    ErrorInfo info = find(details, ErrorInfo.class);
    this.reason = info != null ? info.getReason() : "";
    this.domain = info != null ? info.getDomain() : "";
    this.metadata = info != null ? Map.copyOf(info.getMetadataMap()) : Map.of();
    this.errorReason = GATEWAY_DOMAIN.equals(domain) ? known(reason) : ErrorReason.ERROR_REASON_UNSPECIFIED;
  }

  /**
   * The BosaException for a failed call: a {@link StatusRuntimeException} or {@link StatusException} is decoded
   * with its {@code grpc-status-details-bin}; a BosaException is returned as is; anything else is UNKNOWN.
   */
  public static BosaException from(Throwable t) {
    if (t instanceof BosaException b) {
      return b;
    }
    Status status = Status.fromThrowable(t);
    List<Message> details = new ArrayList<>();
    // Null when the trailers carry no grpc-status-details-bin.
    com.google.rpc.Status proto = StatusProto.fromThrowable(t);
    if (proto != null) {
      for (Any any : proto.getDetailsList()) {
        details.add(unpack(any));
      }
    }
    String message = status.getDescription() != null ? status.getDescription() : "";
    return new BosaException(status.getCode(), message, details, t);
  }

  /** The gRPC status code. */
  public Status.Code code() {
    return code;
  }

  /** The status message (never contains keys or tokens). */
  public String statusMessage() {
    return statusMessage;
  }

  /** {@code ErrorInfo.reason} as sent, e.g. "INTEGRATION_MISSING"; empty when the status has no ErrorInfo. */
  public String reason() {
    return reason;
  }

  /**
   * The reason as a generated {@link ErrorReason}; {@code ERROR_REASON_UNSPECIFIED} when there is none, the domain
   * is not the gateway's, or the reason is newer than this client.
   */
  public ErrorReason errorReason() {
    return errorReason;
  }

  /** {@code ErrorInfo.domain} ("bosa.dev" for the gateway's own errors). */
  public String domain() {
    return domain;
  }

  /** {@code ErrorInfo.metadata}, e.g. {"upstream_status": "404"}. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Every status detail: the google.rpc error details unpacked, others as the packed {@link Any}. */
  public List<Message> details() {
    return details;
  }

  /** The first detail of the given type, if any. */
  public <T extends Message> Optional<T> detail(Class<T> type) {
    return Optional.ofNullable(find(details, type));
  }

  /** The google.rpc.BadRequest field violations as {field: description}, in order; empty when none. */
  public Map<String, String> fieldViolations() {
    Map<String, String> out = new LinkedHashMap<>();
    detail(BadRequest.class)
        .ifPresent(b -> b.getFieldViolationsList().forEach(v -> out.put(v.getField(), v.getDescription())));
    return out;
  }

  /** How long to wait before retrying (google.rpc.RetryInfo), if the gateway said. */
  public Optional<Duration> retryDelay() {
    return detail(RetryInfo.class)
        .map(r -> Duration.ofSeconds(r.getRetryDelay().getSeconds(), r.getRetryDelay().getNanos()));
  }

  private static ErrorReason known(String reason) {
    if (reason.isEmpty()) {
      return ErrorReason.ERROR_REASON_UNSPECIFIED;
    }
    try {
      return ErrorReason.valueOf(reason);
    } catch (IllegalArgumentException e) {
      return ErrorReason.ERROR_REASON_UNSPECIFIED;
    }
  }

  private static String reasonOf(List<Message> details) {
    ErrorInfo info = find(details, ErrorInfo.class);
    return info != null ? info.getReason() : "";
  }

  private static <T extends Message> T find(List<Message> details, Class<T> type) {
    for (Message m : details) {
      if (type.isInstance(m)) {
        return type.cast(m);
      }
    }
    return null;
  }

  private static Message unpack(Any any) {
    for (Class<? extends Message> type : DETAIL_TYPES) {
      if (any.is(type)) {
        try {
          return any.unpack(type);
        } catch (InvalidProtocolBufferException e) {
          return any;
        }
      }
    }
    return any;
  }
}
