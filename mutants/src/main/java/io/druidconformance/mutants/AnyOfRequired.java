package io.druidconformance.mutants;

import org.apache.druid.server.security.Access;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.AuthenticationResult;
import org.apache.druid.server.security.Resource;

/**
 * Real-world bug: any-of instead of all-of over the resources a request needs ({@code anyMatch}
 * for {@code allMatch}, or a loop that returns on the first grant): once one of them is granted,
 * the others pass. Druid asks the authorizer one resource at a time, all for one request on one
 * thread with one AuthenticationResult object; so a refusal becomes a grant when the same
 * request (that object, on this thread) was granted a resource before. Which resource Druid
 * asks first is its order of the request's set, so a request whose refused resource comes first
 * is still refused: as the bug it models, when the loop stops at the first answer.
 */
public class AnyOfRequired extends Decision {
  private static final ThreadLocal<AuthenticationResult> GRANTED_ONE = new ThreadLocal<>();

  @Override
  public Access decide(Roles roles, AuthenticationResult who, Resource resource, Action action) {
    Access answer = super.decide(roles, who, resource, action);
    if (answer.isAllowed()) {
      GRANTED_ONE.set(who);
      return answer;
    }
    return GRANTED_ONE.get() == who ? new Access(true) : answer;
  }
}
