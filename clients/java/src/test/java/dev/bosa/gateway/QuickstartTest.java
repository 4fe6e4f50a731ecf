package dev.bosa.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.bosa.gateway.examples.Quickstart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's Java example is part of Quickstart.java verbatim, and Quickstart runs against a real gateway. */
@ExtendWith(GatewayExtension.class)
class QuickstartTest {
  private static final Path DIR = Path.of("src/test/java/dev/bosa/gateway/examples");

  @Test
  void readmeShowsTheExampleVerbatim() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String source = Files.readString(DIR.resolve("Quickstart.java"));
    Matcher m = Pattern.compile("```java\n(.*?)```\n", Pattern.DOTALL).matcher(readme);
    int blocks = 0;
    while (m.find()) {
      blocks++;
      String block = m.group(1);
      // The README shows the body of run(), unindented by its six leading spaces.
      String indented = block.lines().map(l -> l.isEmpty() ? l : "      " + l)
          .reduce("", (a, l) -> a + l + "\n");
      assertTrue(source.contains(indented), "README block " + blocks + " is not in Quickstart.java:\n" + block);
    }
    assertTrue(blocks >= 1, "README.md has a java block");
  }

  @Test
  void quickstartRuns(Gateway gateway) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Quickstart.run(gateway.target, new PrintStream(buf, true, StandardCharsets.UTF_8));
    assertEquals(List.of(
        "acme/web is public",
        "74 open pull requests",
        "INVALID_ARGUMENT INVALID_PARAMETERS {input.repo=is required}"),
        buf.toString(StandardCharsets.UTF_8).lines().toList());
  }
}
