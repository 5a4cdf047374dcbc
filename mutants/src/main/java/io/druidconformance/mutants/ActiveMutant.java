package io.druidconformance.mutants;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.apache.druid.java.util.common.logger.Logger;

/**
 * The mutant named in {@link #FILE}, looked at on every decision (see package-info): a {@code
 * stat}, and a read only when the file's modification time or file key changed. Every process
 * of the container logs each switch it sees.
 */
public final class ActiveMutant {
  /** Where the name of the active mutant is written; absent, empty or "none": no mutant. */
  public static final Path FILE =
      Paths.get(System.getProperty("druid.conformance.mutantFile", "/tmp/druid-mutant"));

  public static final String NONE = "none";
  private static final Logger LOG = new Logger(ActiveMutant.class);

  private static final class State {
    final Object stamp; // what the file looked like when read; null when absent
    final Catalog.Entry entry; // null: no mutant
    final Object instance; // the entry's Decision or PasswordCheck

    State(Object stamp, Catalog.Entry entry) {
      this.stamp = stamp;
      this.entry = entry;
      this.instance = entry == null ? null : entry.instantiate();
    }
  }

  private static volatile State state = new State(null, null);

  private ActiveMutant() {}

  /** The active authorizer mutation, or null (no mutant, or one of another kind). */
  public static Decision authorizerMutation() {
    State current = current();
    return current.instance instanceof Decision ? (Decision) current.instance : null;
  }

  /** The active authenticator mutation, or null. */
  public static PasswordCheck authenticatorMutation() {
    State current = current();
    return current.instance instanceof PasswordCheck ? (PasswordCheck) current.instance : null;
  }

  private static State current() {
    Object stamp = stamp();
    State known = state;
    if (Objects.equals(stamp, known.stamp)) {
      return known;
    }
    synchronized (ActiveMutant.class) {
      known = state;
      if (!Objects.equals(stamp, known.stamp)) {
        String name = read();
        Catalog.Entry entry = name.isEmpty() || NONE.equals(name) ? null : Catalog.entries().get(name);
        if (entry == null && !(name.isEmpty() || NONE.equals(name))) {
          LOG.error("druid-conformance mutant [%s] in %s is unknown: no mutant active", name, FILE);
        } else {
          LOG.info("druid-conformance mutant now [%s]", entry == null ? NONE : entry.name);
        }
        known = new State(stamp, entry);
        state = known;
      }
      return known;
    }
  }

  /** The file's modification time and file key (inode), or null when it is absent. */
  private static Object stamp() {
    try {
      BasicFileAttributes attributes = Files.readAttributes(FILE, BasicFileAttributes.class);
      return attributes.lastModifiedTime().toString() + "/" + attributes.fileKey() + "/"
          + attributes.size();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      LOG.warn(e, "cannot read %s: no mutant active", FILE);
      return null;
    }
  }

  private static String read() {
    try {
      return new String(Files.readAllBytes(FILE), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return "";
    }
  }
}
