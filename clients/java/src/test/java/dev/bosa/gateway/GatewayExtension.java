package dev.bosa.gateway;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/** GatewayExtension gives test methods one shared {@link Gateway}, started on first use and stopped at the end. */
final class GatewayExtension implements ParameterResolver {
  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
    return p.getParameter().getType() == Gateway.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext c) {
    return c.getRoot().getStore(ExtensionContext.Namespace.create(GatewayExtension.class))
        .getOrComputeIfAbsent("gateway", k -> new Shared(), Shared.class).gateway;
  }

  /** Closed by JUnit when the root context ends. */
  private static final class Shared implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    final Gateway gateway;

    Shared() {
      try {
        gateway = Gateway.start();
      } catch (Exception e) {
        throw new IllegalStateException("starting the gateway", e);
      }
    }

    @Override
    public void close() throws InterruptedException {
      gateway.close();
    }
  }
}
