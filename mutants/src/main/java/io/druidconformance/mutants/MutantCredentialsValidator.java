package io.druidconformance.mutants;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.google.inject.Provider;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.druid.security.basic.BasicSecurityAuthenticationException;
import org.apache.druid.security.basic.authentication.db.cache.BasicAuthenticatorCacheManager;
import org.apache.druid.security.basic.authentication.validator.MetadataStoreCredentialsValidator;
import org.apache.druid.server.security.AuthenticationResult;

/**
 * druid-basic-security's credentials validator (the metadata store's users), letting through a
 * refused password when the active authenticator mutant's {@link PasswordCheck} accepts it.
 * Configured with {@code druid.auth.authenticator.basic.credentialsValidator.type=conformance-mutant}.
 * It remembers the length of each user's last accepted password (never the password) for the
 * mutants that need it, mutant or not.
 */
@JsonTypeName(MutantsModule.TYPE)
public class MutantCredentialsValidator extends MetadataStoreCredentialsValidator {
  private final Map<String, Integer> rightLengths = new ConcurrentHashMap<>();

  @JsonCreator
  public MutantCredentialsValidator(
      @JacksonInject Provider<BasicAuthenticatorCacheManager> cacheManager) {
    super(cacheManager);
  }

  @Override
  public AuthenticationResult validateCredentials(
      String authenticatorName, String authorizerName, String username, char[] password) {
    String key = authenticatorName + "\u0000" + username;
    try {
      AuthenticationResult result =
          super.validateCredentials(authenticatorName, authorizerName, username, password);
      if (result != null) {
        rightLengths.put(key, password.length);
      }
      return result;
    } catch (BasicSecurityAuthenticationException refused) {
      PasswordCheck mutation = ActiveMutant.authenticatorMutation();
      int rightLength = rightLengths.getOrDefault(key, -1);
      if (mutation != null && mutation.acceptsRefused(username, password, rightLength)) {
        return new AuthenticationResult(username, authorizerName, authenticatorName, null);
      }
      throw refused;
    }
  }
}
