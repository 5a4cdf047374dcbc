package io.druidconformance.mutants;

import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.google.inject.Binder;
import java.util.Collections;
import java.util.List;
import org.apache.druid.initialization.DruidModule;

/** Registers the mutant authorizer and credentials validator under the type name {@link #TYPE}. */
public class MutantsModule implements DruidModule {
  /** The type name of both: {@code druid.auth.authorizer.basic.type=conformance-mutant}. */
  public static final String TYPE = "conformance-mutant";

  @Override
  public List<? extends Module> getJacksonModules() {
    return Collections.singletonList(
        new SimpleModule("DruidConformanceMutants")
            .registerSubtypes(
                new NamedType(MutantAuthorizer.class, TYPE),
                new NamedType(MutantCredentialsValidator.class, TYPE)));
  }

  @Override
  public void configure(Binder binder) {
    // nothing to bind: both classes are made by Jackson from the runtime properties
  }
}
