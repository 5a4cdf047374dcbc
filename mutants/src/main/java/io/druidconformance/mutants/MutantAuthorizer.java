package io.druidconformance.mutants;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import org.apache.druid.security.basic.authorization.BasicRoleBasedAuthorizer;
import org.apache.druid.security.basic.authorization.MetadataStoreRoleProvider;
import org.apache.druid.security.basic.authorization.RoleProvider;
import org.apache.druid.security.basic.authorization.db.cache.BasicAuthorizerCacheManager;
import org.apache.druid.server.security.Access;
import org.apache.druid.server.security.Action;
import org.apache.druid.server.security.AuthenticationResult;
import org.apache.druid.server.security.Resource;

/**
 * druid-basic-security's role-based authorizer, answering with the active mutant's {@link
 * Decision} when an authorizer mutant is active, and as the original otherwise. Configured as
 * the original is (same properties), with {@code
 * druid.auth.authorizer.basic.type=conformance-mutant}.
 */
@JsonTypeName(MutantsModule.TYPE)
public class MutantAuthorizer extends BasicRoleBasedAuthorizer {
  private final Roles roles;

  @JsonCreator
  public MutantAuthorizer(
      @JacksonInject BasicAuthorizerCacheManager cacheManager,
      @JsonProperty("name") String name,
      @JsonProperty("initialAdminUser") String initialAdminUser,
      @JsonProperty("initialAdminRole") String initialAdminRole,
      @JsonProperty("initialAdminGroupMapping") String initialAdminGroupMapping,
      @JsonProperty("enableCacheNotifications") Boolean enableCacheNotifications,
      @JsonProperty("cacheNotificationTimeout") Long cacheNotificationTimeout,
      @JsonProperty("roleProvider") RoleProvider roleProvider) {
    super(
        cacheManager,
        name,
        initialAdminUser,
        initialAdminRole,
        initialAdminGroupMapping,
        enableCacheNotifications,
        cacheNotificationTimeout,
        roleProvider);
    // the same provider the original makes for itself (its field is private)
    this.roles =
        new Roles(
            name, roleProvider == null ? new MetadataStoreRoleProvider(cacheManager) : roleProvider);
  }

  @Override
  public Access authorize(AuthenticationResult who, Resource resource, Action action) {
    Decision mutation = ActiveMutant.authorizerMutation();
    if (mutation == null) {
      return super.authorize(who, resource, action);
    }
    return mutation.decide(roles, who, resource, action);
  }

  /** druid-basic-security's own answer, whatever mutant is active (for {@link SelfCheck}). */
  Access original(AuthenticationResult who, Resource resource, Action action) {
    return super.authorize(who, resource, action);
  }

  /** The answer of ``decision`` (for {@link SelfCheck}). */
  Access as(Decision decision, AuthenticationResult who, Resource resource, Action action) {
    return decision.decide(roles, who, resource, action);
  }
}
