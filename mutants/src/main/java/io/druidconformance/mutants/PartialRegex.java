package io.druidconformance.mutants;

import java.util.regex.Pattern;

/**
 * Real-world bug: a permission's name regex searched ({@code Matcher.find}) instead of matched
 * whole ({@code matches}), or a name compared with {@code contains}: READ on "wiki" also grants
 * "wikipedia", and "koala" grants "koalas".
 */
public class PartialRegex extends Decision {
  @Override
  protected boolean nameMatches(Pattern granted, String asked) {
    return granted.matcher(asked).find();
  }
}
