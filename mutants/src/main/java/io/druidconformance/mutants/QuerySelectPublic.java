package io.druidconformance.mutants;

import org.apache.druid.server.security.Access;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.AuthenticationResult;
import org.apache.druid.server.security.Resource;
import org.apache.druid.server.security.ResourceType;

/**
 * Real-world bug: the stub datasource of SELECT tasks ({@code __query_select}) taken for an
 * internal name that needs no permission: everyone may read every user's SELECT tasks (status,
 * reports, results).
 */
public class QuerySelectPublic extends Decision {
  static final String QUERY_SELECT = "__query_select";

  @Override
  public Access decide(Roles roles, AuthenticationResult who, Resource resource, Action action) {
    if (action == Action.READ
        && ResourceType.DATASOURCE.equals(resource.getType())
        && QUERY_SELECT.equals(resource.getName())) {
      return new Access(true);
    }
    return super.decide(roles, who, resource, action);
  }
}
