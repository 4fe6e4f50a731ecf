package dev.bosa.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Upload is a file for {@link BosaClient#upload}: the action's file parameter, the file's name and type, and its
 * content from bytes, a path (opened and closed by upload) or an InputStream (read to its end, not closed; its size
 * is unknown, so the gateway does not check it). An empty content type lets the gateway use
 * application/octet-stream.
 */
public final class Upload {
  private final String parameter;
  private final String filename;
  private final String contentType;
  private final byte[] data;
  private final Path path;
  private final InputStream stream;

  private Upload(String parameter, String filename, String contentType, byte[] data, Path path, InputStream stream) {
    this.parameter = Objects.requireNonNull(parameter, "parameter");
    this.filename = Objects.requireNonNull(filename, "filename");
    this.contentType = contentType == null ? "" : contentType;
    this.data = data;
    this.path = path;
    this.stream = stream;
  }

  /** An upload of bytes held in memory. */
  public static Upload ofBytes(String parameter, String filename, String contentType, byte[] data) {
    return new Upload(parameter, filename, contentType, Objects.requireNonNull(data, "data"), null, null);
  }

  /** An upload of a file on disk; its size is declared, so a file that changes while read fails the call. */
  public static Upload ofPath(String parameter, String filename, String contentType, Path path) {
    return new Upload(parameter, filename, contentType, null, Objects.requireNonNull(path, "path"), null);
  }

  /** An upload of a stream of unknown size (size -1). */
  public static Upload ofStream(String parameter, String filename, String contentType, InputStream stream) {
    return new Upload(parameter, filename, contentType, null, null, Objects.requireNonNull(stream, "stream"));
  }

  String parameter() {
    return parameter;
  }

  String filename() {
    return filename;
  }

  String contentType() {
    return contentType;
  }

  /** The declared size: known for bytes and paths, -1 for a stream. */
  long size() throws IOException {
    if (data != null) {
      return data.length;
    }
    if (path != null) {
      return Files.size(path);
    }
    return -1;
  }

  /** Whether the content is known to be empty (only bytes are: a file may grow). */
  boolean empty() {
    return data != null && data.length == 0;
  }

  /** Opens the content; the caller closes what it opened only (a passed-in stream stays open). */
  InputStream open() throws IOException {
    if (data != null) {
      return new java.io.ByteArrayInputStream(data);
    }
    if (path != null) {
      return Files.newInputStream(path);
    }
    return new java.io.FilterInputStream(stream) {
      @Override
      public void close() {
        // Not ours to close.
      }
    };
  }
}
