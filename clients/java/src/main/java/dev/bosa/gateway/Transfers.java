package dev.bosa.gateway;

import com.google.protobuf.ByteString;
import dev.bosa.v1.DownloadFileResponse;
import dev.bosa.v1.FileChunk;
import dev.bosa.v1.FileMetadata;
import dev.bosa.v1.UploadFilesHeader;
import dev.bosa.v1.UploadFilesRequest;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/** Transfers holds the streamed-file protocol: the UploadFiles request stream and the DownloadFile answer stream. */
final class Transfers {
  /**
   * Bytes per UploadFiles chunk: a message of at most 32 KiB with its framing, the size that holds the least memory
   * in the gateway (see FileChunk.data).
   */
  static final int CHUNK_SIZE = 32 * 1024 - 64;

  private Transfers() {}

  /**
   * Sends the UploadFiles stream: the header, then every file's chunks in header order, with finish set on the last
   * message only. Each chunk is sent once the next one was read, so a stream cut short (a file that fails to read)
   * never carries finish and the gateway stores nothing.
   */
  static void sendUpload(UploadFilesHeader header, List<Upload> files, int chunkSize, Consumer<UploadFilesRequest> send)
      throws IOException {
    if (files.stream().allMatch(Upload::empty)) {
      send.accept(UploadFilesRequest.newBuilder().setHeader(header).setFinish(true).build());
      return;
    }
    send.accept(UploadFilesRequest.newBuilder().setHeader(header).build());
    UploadFilesRequest.Builder last = null;
    byte[] buf = new byte[chunkSize];
    for (int index = 0; index < files.size(); index++) {
      try (InputStream in = files.get(index).open()) {
        int n;
        while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
          if (last != null) {
            send.accept(last.build());
          }
          last = UploadFilesRequest.newBuilder()
              .setChunk(FileChunk.newBuilder().setFileIndex(index).setData(ByteString.copyFrom(buf, 0, n)));
        }
      }
    }
    if (last == null) {
      last = UploadFilesRequest.newBuilder();
    }
    send.accept(last.setFinish(true).build());
  }

  /** Reads the first message of a DownloadFile stream, which must be the file's metadata. */
  static FileMetadata readMetadata(Iterator<DownloadFileResponse> stream) {
    if (!stream.hasNext()) {
      throw new BosaException(Status.Code.INTERNAL, "DownloadFile: the stream ended before the file's metadata");
    }
    DownloadFileResponse first = stream.next();
    if (first.getPartCase() != DownloadFileResponse.PartCase.METADATA) {
      throw new BosaException(Status.Code.INTERNAL, "DownloadFile: the stream did not start with the file's metadata");
    }
    return first.getMetadata();
  }

  /** Writes the rest of a DownloadFile stream to out; checks the total against the announced size. */
  static void copyChunks(Iterator<DownloadFileResponse> stream, FileMetadata metadata, OutputStream out)
      throws IOException {
    long received = 0;
    while (stream.hasNext()) {
      DownloadFileResponse msg = stream.next();
      if (msg.getPartCase() != DownloadFileResponse.PartCase.CHUNK) {
        throw new BosaException(Status.Code.INTERNAL, "DownloadFile: metadata sent twice");
      }
      received += msg.getChunk().size();
      msg.getChunk().writeTo(out);
    }
    if (metadata.getSize() >= 0 && received != metadata.getSize()) {
      throw new BosaException(Status.Code.DATA_LOSS,
          "DownloadFile: received " + received + " bytes of a file of " + metadata.getSize());
    }
  }
}
