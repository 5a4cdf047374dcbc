package io.druidconformance.mutants;

import java.util.Collections;
import java.util.List;
import org.apache.druid.security.basic.authorization.entity.BasicAuthorizerPermission;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.Resource;

/**
 * Real-world bug: a role's permissions indexed by resource type and action (a map whose key
 * forgets the name pattern), so only the first grant of each type and action counts: READ on
 * "wiki" then READ on "koalas" in one role, and "koalas" is refused. A role holding one grant
 * per type and action, as the admin role does, is unaffected.
 */
public class FirstGrantPerAction extends Decision {
  @Override
  protected List<BasicAuthorizerPermission> permissionsThatCount(
      List<BasicAuthorizerPermission> permissions, Resource resource, Action action) {
    for (BasicAuthorizerPermission permission : permissions) {
      Resource granted = permission.getResourceAction().getResource();
      if (granted.getType().equals(resource.getType())
          && permission.getResourceAction().getAction() == action) {
        return Collections.singletonList(permission);
      }
    }
    return Collections.emptyList();
  }
}
