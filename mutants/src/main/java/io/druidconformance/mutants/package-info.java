/**
 * Deliberately broken authorizers and one broken authenticator for mutation testing of the
 * conformance suite ({@code druid-conformance mutate}).
 *
 * <p>{@link io.druidconformance.mutants.MutantAuthorizer} subclasses druid-basic-security's
 * {@code BasicRoleBasedAuthorizer}, so the basic-security API (users, roles, permissions) and its
 * storage keep working unchanged; {@link io.druidconformance.mutants.MutantCredentialsValidator}
 * subclasses its {@code MetadataStoreCredentialsValidator}. {@link
 * io.druidconformance.mutants.MutantsModule} registers both as Jackson subtypes named {@value
 * io.druidconformance.mutants.MutantsModule#TYPE}, and the cluster names them with {@code
 * druid.auth.authorizer.basic.type} and {@code
 * druid.auth.authenticator.basic.credentialsValidator.type}. The jar sits in the
 * druid-basic-security extension directory, so it shares that extension's class loader.
 *
 * <p>Which mutant is active is read from a file, {@code /tmp/druid-mutant} (absent, empty or
 * {@code none}: no mutant, every decision is druid-basic-security's own). Why a file: every
 * Druid process of the suite's cluster (Coordinator-Overlord, Broker, Historical, Router,
 * MiddleManager and the task JVMs it starts later) runs in one container and sees the same file,
 * so one {@code docker exec} switches all of them at once, without a restart, without an HTTP
 * endpoint to secure and route on each service, and without Druid's dynamic configuration (which
 * the authorizer cannot read). The file's modification time and file key are looked at on every
 * decision (one {@code stat}), and its content read again when either changed; so a switch is
 * in force for every request that starts after the write: no polling period, nothing to wait
 * for. The names are listed once, in {@code mutants.tsv}, which fixtures/mutants.py reads too.
 */
package io.druidconformance.mutants;
