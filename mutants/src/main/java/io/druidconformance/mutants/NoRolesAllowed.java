package io.druidconformance.mutants;

import org.apache.druid.server.security.Access;

/**
 * Real-world bug: an empty role set read as "no restriction configured" (a guard clause that
 * returns the wrong constant): an authenticated user without any role is let through everywhere.
 */
public class NoRolesAllowed extends Decision {
  @Override
  protected Access whenNoRoles() {
    return new Access(true);
  }
}
