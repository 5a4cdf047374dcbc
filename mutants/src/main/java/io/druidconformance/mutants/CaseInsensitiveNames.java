package io.druidconformance.mutants;

import java.util.regex.Pattern;

/**
 * Real-world bug: names compared ignoring case ({@code Pattern.CASE_INSENSITIVE}, or {@code
 * equalsIgnoreCase} after a lower-casing "normalisation"), though Druid's datasource names are
 * case-sensitive: READ on "wiki" also grants "Wiki".
 */
public class CaseInsensitiveNames extends Decision {
  @Override
  protected boolean nameMatches(Pattern granted, String asked) {
    return Pattern.compile(granted.pattern(), granted.flags() | Pattern.CASE_INSENSITIVE)
        .matcher(asked)
        .matches();
  }
}
