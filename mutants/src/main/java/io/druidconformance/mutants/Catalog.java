package io.druidconformance.mutants;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The mutants of {@code mutants.tsv}, the one list of them (fixtures/mutants.py reads it too). */
public final class Catalog {
  public static final String RESOURCE = "mutants.tsv";

  /** One line of the list. */
  public static final class Entry {
    public final String name;
    public final String kind; // authorizer, authenticator or control
    public final String className;
    public final String requires; // a --druid-setting, or "-"
    public final String bug;

    Entry(String name, String kind, String className, String requires, String bug) {
      this.name = name;
      this.kind = kind;
      this.className = className;
      this.requires = requires;
      this.bug = bug;
    }

    /** A new instance of the entry's class (a Decision or a PasswordCheck). */
    public Object instantiate() {
      try {
        String qualified = Catalog.class.getPackage().getName() + "." + className;
        return Class.forName(qualified).getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("mutant " + name + ": cannot make " + className, e);
      }
    }
  }

  private static final Map<String, Entry> ENTRIES = read();

  private Catalog() {}

  /** Every entry by name, in the file's order. */
  public static Map<String, Entry> entries() {
    return ENTRIES;
  }

  private static Map<String, Entry> read() {
    Map<String, Entry> entries = new LinkedHashMap<>();
    try (InputStream in = Catalog.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the jar");
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      List<String> lines = new ArrayList<>();
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lines.add(line);
      }
      boolean header = true;
      for (String line : lines) {
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        if (header) { // the column names
          header = false;
          continue;
        }
        String[] cells = line.split("\t", -1);
        if (cells.length != 5) {
          throw new IllegalStateException(RESOURCE + ": not 5 tab-separated cells: " + line);
        }
        entries.put(cells[0], new Entry(cells[0], cells[1], cells[2], cells[3], cells[4]));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Collections.unmodifiableMap(entries);
  }
}
