package io.druidconformance.mutants;

/**
 * Real-world bug: the permission's resource type is not compared, only its name and action (a
 * lookup keyed by name alone): READ on DATASOURCE "EXTERNAL" also grants EXTERNAL READ, and
 * WRITE on a QUERY_CONTEXT key grants WRITE on a datasource of that name.
 */
public class ResourceTypeIgnored extends Decision {
  @Override
  protected boolean typeMatches(String granted, String asked) {
    return true;
  }
}
