package io.druidconformance.mutants;

import org.apache.druid.server.security.Access;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.AuthenticationResult;
import org.apache.druid.server.security.Resource;
import org.apache.druid.server.security.ResourceType;

/**
 * Real-world bug: under {@code druid.auth.authorizeQueryContextParams}, one context key is never
 * checked, here {@code maxNumTasks}: a key the engine reads itself, put on an allow-list of
 * "system" keys that skip authorization. A user without QUERY_CONTEXT WRITE on it may set it.
 * Reachable only with {@code --druid-setting authorizeQueryContextParams=true}.
 */
public class ContextKeyUnchecked extends Decision {
  static final String KEY = "maxNumTasks";

  @Override
  public Access decide(Roles roles, AuthenticationResult who, Resource resource, Action action) {
    if (ResourceType.QUERY_CONTEXT.equals(resource.getType()) && KEY.equals(resource.getName())) {
      return new Access(true);
    }
    return super.decide(roles, who, resource, action);
  }
}
