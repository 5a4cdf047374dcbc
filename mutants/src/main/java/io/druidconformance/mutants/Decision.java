package io.druidconformance.mutants;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.druid.java.util.common.IAE;
import org.apache.druid.security.basic.authorization.entity.BasicAuthorizerPermission;
import org.apache.druid.security.basic.authorization.entity.BasicAuthorizerRole;
import org.apache.druid.server.security.Access;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.AuthenticationResult;
import org.apache.druid.server.security.Resource;

/**
 * druid-basic-security's role-based decision ({@code BasicRoleBasedAuthorizer.authorize} of
 * Druid 27.0.0, read with javap), written out step by step so that each mutant overrides one
 * step. Unchanged (the {@code control} entry of mutants.tsv) it answers as the original;
 * {@link SelfCheck} compares the two.
 */
public class Decision {
  /** Allowed when one permission of one of the user's roles grants the action on the resource. */
  public Access decide(Roles roles, AuthenticationResult who, Resource resource, Action action) {
    if (who == null) {
      throw new IAE("authenticationResult is null where it should never be.");
    }
    Set<String> roleNames = new HashSet<>(roles.of(who));
    Map<String, BasicAuthorizerRole> roleMap = roles.map();
    if (roleNames.isEmpty()) {
      return whenNoRoles();
    }
    if (roleMap == null) {
      throw new IAE("Could not load roleMap for authorizer [%s]", roles.authorizerName());
    }
    for (String roleName : rolesThatCount(roleNames)) {
      BasicAuthorizerRole role = roleMap.get(roleName);
      if (role == null) {
        continue;
      }
      for (BasicAuthorizerPermission permission :
          permissionsThatCount(role.getPermissions(), resource, action)) {
        if (grants(permission, resource, action)) {
          return new Access(true);
        }
      }
    }
    return new Access(false);
  }

  /** The answer for a user who holds no role. */
  protected Access whenNoRoles() {
    return new Access(false);
  }

  /** The roles looked at, of all the user's roles. */
  protected Collection<String> rolesThatCount(Set<String> roleNames) {
    return roleNames;
  }

  /** The permissions looked at, of all a role's permissions, for ``action`` on ``resource``. */
  protected List<BasicAuthorizerPermission> permissionsThatCount(
      List<BasicAuthorizerPermission> permissions, Resource resource, Action action) {
    return permissions;
  }

  /** Whether one permission grants ``action`` on ``resource``. */
  protected boolean grants(BasicAuthorizerPermission permission, Resource resource, Action action) {
    Resource granted = permission.getResourceAction().getResource();
    return actionMatches(permission.getResourceAction().getAction(), action)
        && typeMatches(granted.getType(), resource.getType())
        && nameMatches(permission.getResourceNamePattern(), resource.getName());
  }

  protected boolean actionMatches(Action granted, Action asked) {
    return asked == granted;
  }

  protected boolean typeMatches(String granted, String asked) {
    return Objects.equals(granted, asked);
  }

  /** A permission's name is a Java regex matched against the WHOLE resource name. */
  protected boolean nameMatches(Pattern granted, String asked) {
    return granted.matcher(asked).matches();
  }

  /** A sorted copy, for the mutants that take the "first" of an unordered set. */
  protected static List<String> sorted(Collection<String> names) {
    List<String> list = new ArrayList<>(names);
    list.sort(null);
    return list;
  }
}
