package io.druidconformance.mutants;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * Real-world bug: only the user's first role is looked at ({@code roles.get(0)}, or a loop that
 * returns the first role's answer whatever it is): a permission held through a second role
 * counts for nothing. "First" is by name, so that the bug answers the same on every run.
 */
public class FirstRoleOnly extends Decision {
  @Override
  protected Collection<String> rolesThatCount(Set<String> roleNames) {
    List<String> names = sorted(roleNames);
    return names.isEmpty() ? names : Collections.singletonList(names.get(0));
  }
}
