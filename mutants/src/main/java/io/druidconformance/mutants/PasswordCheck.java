package io.druidconformance.mutants;

/** An authenticator mutant: which refused passwords it lets through anyway. */
public interface PasswordCheck {
  /**
   * Whether to accept {@code password} for {@code user}, whom druid-basic-security refused it.
   * {@code rightLength} is the length of the last password this process accepted for the user,
   * or -1 when it has accepted none.
   */
  boolean acceptsRefused(String user, char[] password, int rightLength);
}
