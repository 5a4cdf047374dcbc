package io.druidconformance.mutants;

import java.util.List;
import org.apache.druid.security.basic.authorization.entity.BasicAuthorizerPermission;

/**
 * Real-world bug: a loop over a role's permissions that returns (or breaks) after the first one,
 * whatever it answered: a permission listed second in a role counts for nothing.
 */
public class FirstPermissionOnly extends Decision {
  @Override
  protected List<BasicAuthorizerPermission> permissionsThatCount(
      List<BasicAuthorizerPermission> permissions) {
    return permissions.isEmpty() ? permissions : permissions.subList(0, 1);
  }
}
