package io.druidconformance.mutants;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.druid.security.basic.BasicAuthUtils;
import org.apache.druid.security.basic.BasicSecurityAuthenticationException;
import org.apache.druid.security.basic.authentication.db.cache.BasicAuthenticatorCacheManager;
import org.apache.druid.security.basic.authentication.entity.BasicAuthenticatorCredentials;
import org.apache.druid.security.basic.authentication.entity.BasicAuthenticatorUser;
import org.apache.druid.security.basic.authorization.RoleProvider;
import org.apache.druid.security.basic.authorization.entity.BasicAuthorizerPermission;
import org.apache.druid.security.basic.authorization.entity.BasicAuthorizerRole;
import org.apache.druid.server.security.Access;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.AuthenticationResult;
import org.apache.druid.server.security.Resource;
import org.apache.druid.server.security.ResourceAction;
import org.apache.druid.server.security.ResourceType;

/**
 * The mutants checked without Druid, against druid-basic-security's own classes: every entry of
 * mutants.tsv loads as its kind says; {@code control} answers as the original authorizer on every
 * question of a grid (users with and without roles, several roles, several permissions, each
 * resource type, both actions); every authorizer mutant answers otherwise on at least one of them
 * (it is not equivalent), except those that need a cluster to differ (a caller on the stack); the
 * authenticator mutant lets a wrong password of the right length through, and only then; the
 * mutant file switches the authorizer without a restart. Prints one line per entry, exits 1 on
 * any failure. Run by tests/test_mutants.py: {@code java -cp <jar>:<classpath> ...SelfCheck}.
 */
public final class SelfCheck {
  /** Mutants that differ only with a caller the self-check cannot be: named, not skipped. */
  static final Set<String> CLUSTER_ONLY = Collections.singleton("task-datasource-unchecked");

  private static final List<String> FAILURES = new ArrayList<>();

  private SelfCheck() {}

  public static void main(String[] args) throws IOException {
    Path file = Files.createTempFile("druid-mutant", ".txt");
    System.setProperty("druid.conformance.mutantFile", file.toString());
    try {
      checkCatalog();
      checkAuthorizers();
      checkSwitch(file);
      checkAuthenticator(file);
    } finally {
      Files.deleteIfExists(file);
    }
    for (String failure : FAILURES) {
      System.out.println("FAIL " + failure);
    }
    System.out.println(FAILURES.isEmpty() ? "self-check passed" : "self-check FAILED");
    System.exit(FAILURES.isEmpty() ? 0 : 1);
  }

  private static void fail(String message) {
    FAILURES.add(message);
  }

  private static void checkCatalog() {
    for (Catalog.Entry entry : Catalog.entries().values()) {
      Object instance = entry.instantiate();
      boolean expected =
          "authenticator".equals(entry.kind)
              ? instance instanceof PasswordCheck
              : ("authorizer".equals(entry.kind) || "control".equals(entry.kind))
                  && instance instanceof Decision;
      if (!expected) {
        fail(entry.name + ": kind " + entry.kind + " but class " + instance.getClass().getName());
      }
    }
  }

  // ------------------------------------------------------------------ the authorizer's grid

  private static BasicAuthorizerPermission permission(String type, String name, Action action) {
    return new BasicAuthorizerPermission(
        new ResourceAction(new Resource(name, type), action), Pattern.compile(name));
  }

  private static Map<String, BasicAuthorizerRole> roleMap() {
    Map<String, BasicAuthorizerRole> roles = new HashMap<>();
    roles.put(
        "readers",
        new BasicAuthorizerRole(
            "readers",
            Arrays.asList(
                permission(ResourceType.DATASOURCE, "wiki", Action.READ),
                permission(ResourceType.DATASOURCE, "koalas", Action.READ),
                permission(ResourceType.DATASOURCE, "koalas", Action.WRITE))));
    roles.put(
        "writers",
        new BasicAuthorizerRole(
            "writers",
            Collections.singletonList(
                permission(ResourceType.DATASOURCE, "wikipedia", Action.WRITE))));
    roles.put(
        "named-external",
        new BasicAuthorizerRole(
            "named-external",
            Collections.singletonList(
                permission(ResourceType.DATASOURCE, "EXTERNAL", Action.READ))));
    roles.put(
        "context",
        new BasicAuthorizerRole(
            "context",
            Collections.singletonList(
                permission(ResourceType.QUERY_CONTEXT, "queryId", Action.WRITE))));
    return roles;
  }

  private static Map<String, Set<String>> userRoles() {
    Map<String, Set<String>> users = new LinkedHashMap<>();
    users.put("alice", new HashSet<>(Arrays.asList("readers", "writers")));
    users.put("bob", Collections.emptySet());
    users.put("carol", Collections.singleton("named-external"));
    users.put("dave", new HashSet<>(Arrays.asList("context", "missing-role")));
    return users;
  }

  private static List<Resource> resources() {
    List<Resource> resources = new ArrayList<>();
    for (String name : Arrays.asList("wiki", "wikipedia", "Wiki", "koalas", "__query_select", "EXTERNAL")) {
      resources.add(new Resource(name, ResourceType.DATASOURCE));
    }
    resources.add(new Resource("EXTERNAL", ResourceType.EXTERNAL));
    resources.add(new Resource("maxNumTasks", ResourceType.QUERY_CONTEXT));
    resources.add(new Resource("queryId", ResourceType.QUERY_CONTEXT));
    resources.add(new Resource("STATE", ResourceType.STATE));
    return resources;
  }

  private static MutantAuthorizer authorizer() {
    Map<String, BasicAuthorizerRole> roles = roleMap();
    Map<String, Set<String>> users = userRoles();
    RoleProvider provider =
        new RoleProvider() {
          @Override
          public Set<String> getRoles(String authorizerPrefix, AuthenticationResult who) {
            return users.getOrDefault(who.getIdentity(), Collections.emptySet());
          }

          @Override
          public Map<String, BasicAuthorizerRole> getRoleMap(String authorizerPrefix) {
            return roles;
          }
        };
    return new MutantAuthorizer(null, "basic", null, null, null, null, null, provider);
  }

  private static void checkAuthorizers() {
    MutantAuthorizer authorizer = authorizer();
    for (Catalog.Entry entry : Catalog.entries().values()) {
      if ("authenticator".equals(entry.kind)) {
        continue;
      }
      Decision decision = (Decision) entry.instantiate();
      int questions = 0;
      List<String> differences = new ArrayList<>();
      for (String user : userRoles().keySet()) {
        // one AuthenticationResult per user, asked about every resource in turn on this thread:
        // as one request of Druid's asks about each resource it needs
        AuthenticationResult who = new AuthenticationResult(user, "basic", "basic", null);
        for (Resource resource : resources()) {
          for (Action action : Arrays.asList(Action.READ, Action.WRITE)) {
            questions++;
            boolean original = authorizer.original(who, resource, action).isAllowed();
            boolean mutated = authorizer.as(decision, who, resource, action).isAllowed();
            if (original != mutated) {
              differences.add(
                  user + " " + action + " " + resource.getType() + " " + resource.getName() + ": "
                      + (mutated ? "allowed" : "refused"));
            }
          }
        }
      }
      boolean mustDiffer = "authorizer".equals(entry.kind) && !CLUSTER_ONLY.contains(entry.name);
      if ("control".equals(entry.kind) && !differences.isEmpty()) {
        fail(entry.name + ": answers otherwise than the original: " + differences);
      } else if (mustDiffer && differences.isEmpty()) {
        fail(entry.name + ": answers as the original on all " + questions + " questions");
      } else if (CLUSTER_ONLY.contains(entry.name) && !differences.isEmpty()) {
        fail(entry.name + ": differs without its caller on the stack: " + differences);
      }
      String how =
          differences.isEmpty()
              ? (CLUSTER_ONLY.contains(entry.name)
                  ? "as the original here (it differs only with the Overlord's task filter asking)"
                  : "as the original")
              : "otherwise on " + differences.size() + ", e.g. " + differences.get(0);
      System.out.println(entry.name + ": " + questions + " questions, answers " + how);
    }
  }

  private static void write(Path file, String name) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.write(next, (name + "\n").getBytes(StandardCharsets.UTF_8));
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void checkSwitch(Path file) throws IOException {
    MutantAuthorizer authorizer = authorizer();
    AuthenticationResult alice = new AuthenticationResult("alice", "basic", "basic", null);
    Resource wikipedia = new Resource("wikipedia", ResourceType.DATASOURCE);
    boolean[] seen = new boolean[3];
    write(file, "none");
    seen[0] = authorizer.authorize(alice, wikipedia, Action.READ).isAllowed();
    write(file, "partial-regex");
    seen[1] = authorizer.authorize(alice, wikipedia, Action.READ).isAllowed();
    Files.delete(file);
    seen[2] = authorizer.authorize(alice, wikipedia, Action.READ).isAllowed();
    if (seen[0] || !seen[1] || seen[2]) {
      fail("switching by file: none, partial-regex, absent answered " + Arrays.toString(seen));
    } else {
      System.out.println("switch: none refused, partial-regex allowed, absent refused, no restart");
    }
  }

  // ------------------------------------------------------------------ the authenticator

  private static void checkAuthenticator(Path file) throws IOException {
    byte[] salt = BasicAuthUtils.generateSalt();
    char[] right = "right-password".toCharArray();
    BasicAuthenticatorCredentials credentials =
        new BasicAuthenticatorCredentials(salt, BasicAuthUtils.hashPassword(right, salt, 10000), 10000);
    Map<String, BasicAuthenticatorUser> users =
        Collections.singletonMap("u", new BasicAuthenticatorUser("u", credentials));
    BasicAuthenticatorCacheManager cache =
        new BasicAuthenticatorCacheManager() {
          @Override
          public void handleAuthenticatorUserMapUpdate(String authenticatorPrefix, byte[] bytes) {}

          @Override
          public Map<String, BasicAuthenticatorUser> getUserMap(String authenticatorPrefix) {
            return users;
          }
        };
    MutantCredentialsValidator validator = new MutantCredentialsValidator(() -> cache);
    char[] sameLength = "wrong-passw0rd".toCharArray();
    char[] otherLength = "wrong".toCharArray();
    String name = "same-length-password";
    write(file, "none");
    boolean[] seen = {
      accepts(validator, sameLength), // none, before the right one: refused
      accepts(validator, right), // accepted, its length learned
      accepts(validator, sameLength), // none: refused
    };
    write(file, name);
    boolean mutantSameLength = accepts(validator, sameLength);
    boolean mutantOtherLength = accepts(validator, otherLength);
    if (seen[0] || !seen[1] || seen[2] || !mutantSameLength || mutantOtherLength) {
      fail(
          name + ": none (wrong, right, wrong), then mutant (same length, other length) answered "
              + Arrays.toString(seen) + " " + mutantSameLength + " " + mutantOtherLength);
    } else {
      System.out.println(
          name + ": refuses a wrong password without the mutant; with it, accepts one of the "
              + "right length after a right login, refuses one of another length");
    }
  }

  private static boolean accepts(MutantCredentialsValidator validator, char[] password) {
    try {
      return validator.validateCredentials("basic", "basic", "u", password) != null;
    } catch (BasicSecurityAuthenticationException refused) {
      return false;
    }
  }
}
