package io.druidconformance.mutants;

import org.apache.druid.server.security.Action;

/**
 * Real-world bug: actions treated as levels ("WRITE is more than READ"), so WRITE on a resource
 * also grants READ on it: a user who may only write a datasource reads it, and reads its tasks.
 */
public class WriteImpliesRead extends Decision {
  @Override
  protected boolean actionMatches(Action granted, Action asked) {
    return asked == granted || (granted == Action.WRITE && asked == Action.READ);
  }
}
