package dev.bosa.gateway;

import dev.bosa.v1.PaginateResponse;
import io.grpc.Context;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Pages iterates over a Paginate stream, one {@link PaginateResponse} per upstream page. Closing it before the
 * last page cancels the call (use try-with-resources, or {@link #stream()} in one); a failure is a
 * {@link BosaException}.
 */
public final class Pages implements Iterator<PaginateResponse>, Iterable<PaginateResponse>, AutoCloseable {
  private final Context.CancellableContext context;
  private final Iterator<PaginateResponse> responses;

  Pages(Context.CancellableContext context, Iterator<PaginateResponse> responses) {
    this.context = context;
    this.responses = responses;
  }

  @Override
  public boolean hasNext() {
    try {
      boolean more = responses.hasNext();
      if (!more) {
        close();
      }
      return more;
    } catch (RuntimeException e) {
      close();
      throw BosaException.from(e);
    }
  }

  @Override
  public PaginateResponse next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return responses.next();
  }

  /** This object, so that a for-each loop can read it; iterate it once. */
  @Override
  public Iterator<PaginateResponse> iterator() {
    return this;
  }

  /** The pages as a sequential Stream whose close cancels the call. */
  public Stream<PaginateResponse> stream() {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL),
            false)
        .onClose(this::close);
  }

  /** Cancels the call if it is still running; idempotent. */
  @Override
  public void close() {
    context.cancel(null);
  }
}
