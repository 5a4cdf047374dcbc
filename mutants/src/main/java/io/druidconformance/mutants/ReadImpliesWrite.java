package io.druidconformance.mutants;

import org.apache.druid.server.security.Action;

/**
 * Real-world bug: the action compared the wrong way round (or "any action on the resource" taken
 * for the one asked), so READ on a resource also grants WRITE on it: a reader can INSERT into a
 * datasource and cancel its tasks.
 */
public class ReadImpliesWrite extends Decision {
  @Override
  protected boolean actionMatches(Action granted, Action asked) {
    return asked == granted || (granted == Action.READ && asked == Action.WRITE);
  }
}
