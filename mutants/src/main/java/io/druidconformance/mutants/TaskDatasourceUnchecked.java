package io.druidconformance.mutants;

import org.apache.druid.server.security.Access;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.AuthenticationResult;
import org.apache.druid.server.security.Resource;
import org.apache.druid.server.security.ResourceType;

/**
 * Real-world bug: the Overlord's task endpoints ({@code /druid/indexer/v1/task/{id}/...}, guarded
 * by its TaskResourceFilter) do not check READ on the task's datasource: anyone may read another
 * user's task, its status and reports. The authorizer cannot see the endpoint, so it grants READ
 * on a datasource when the Overlord's task filter is the one asking (it is on the call stack).
 */
public class TaskDatasourceUnchecked extends Decision {
  static final String TASK_FILTER =
      "org.apache.druid.indexing.overlord.http.security.TaskResourceFilter";

  @Override
  public Access decide(Roles roles, AuthenticationResult who, Resource resource, Action action) {
    if (action == Action.READ
        && ResourceType.DATASOURCE.equals(resource.getType())
        && askedByTaskFilter()) {
      return new Access(true);
    }
    return super.decide(roles, who, resource, action);
  }

  static boolean askedByTaskFilter() {
    return StackWalker.getInstance()
        .walk(frames -> frames.anyMatch(frame -> TASK_FILTER.equals(frame.getClassName())));
  }
}
