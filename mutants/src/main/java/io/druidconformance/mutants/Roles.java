package io.druidconformance.mutants;

import java.util.Map;
import java.util.Set;
import org.apache.druid.security.basic.authorization.RoleProvider;
import org.apache.druid.security.basic.authorization.entity.BasicAuthorizerRole;
import org.apache.druid.server.security.AuthenticationResult;

/** Where a decision reads the user's roles and the roles' permissions: the authorizer's own. */
public final class Roles {
  private final String authorizerName;
  private final RoleProvider provider;

  public Roles(String authorizerName, RoleProvider provider) {
    this.authorizerName = authorizerName;
    this.provider = provider;
  }

  public Set<String> of(AuthenticationResult who) {
    return provider.getRoles(authorizerName, who);
  }

  public Map<String, BasicAuthorizerRole> map() {
    return provider.getRoleMap(authorizerName);
  }

  public String authorizerName() {
    return authorizerName;
  }
}
