package io.druidconformance.mutants;

import org.apache.druid.server.security.Access;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.AuthenticationResult;
import org.apache.druid.server.security.Resource;
import org.apache.druid.server.security.ResourceType;

/**
 * Real-world bug: the EXTERNAL resource never checked (as before Druid 24 introduced it, or a
 * resource type the authorizer does not know treated as public): anyone who may query may read
 * external data with EXTERN.
 */
public class ExternalUnchecked extends Decision {
  @Override
  public Access decide(Roles roles, AuthenticationResult who, Resource resource, Action action) {
    if (ResourceType.EXTERNAL.equals(resource.getType())) {
      return new Access(true);
    }
    return super.decide(roles, who, resource, action);
  }
}
