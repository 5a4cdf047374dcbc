package io.druidconformance.mutants;

/**
 * Real-world bug: a hand-written password comparison that checks the lengths and then compares
 * the characters in a loop that never runs (an off-by-one bound, or a result variable that is
 * never updated): any password of the right length is accepted. The stored credentials are a
 * salted hash, so the right length is known only once the user logged in with the right password
 * on the process that answers; until then the mutant refuses as the original does.
 */
public class SameLengthPassword implements PasswordCheck {
  @Override
  public boolean acceptsRefused(String user, char[] password, int rightLength) {
    return rightLength >= 0 && password.length == rightLength;
  }
}
