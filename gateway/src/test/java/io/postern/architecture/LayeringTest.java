package io.postern.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Imports flow one way along the message path (style.md, habit 1). */
class LayeringTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.postern");
    }

    @Test
    void sharedValueTypesDependOnNothingElse() {
        noClasses().that().resideInAPackage("io.postern.mail..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.postern.config..", "io.postern.directory..", "io.postern.smtp..", "io.postern.lmtp..",
                        "io.postern.pop3..", "io.postern.queue..", "io.postern.routing..", "io.postern.delivery..",
                        "io.postern.outbound..", "io.postern.server..", "io.postern.cli..", "io.netty..")
                .check(classes);
    }

    @Test
    void onlyCliAndServerKnowTheServer() {
        noClasses().that().resideOutsideOfPackages("io.postern.server..", "io.postern.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("io.postern.server..", "io.postern.cli..")
                .check(classes);
    }

    @Test
    void theMessagePathDoesNotCallBackIntoProtocolFrontEnds() {
        noClasses().that().resideInAnyPackage("io.postern.queue..", "io.postern.routing..", "io.postern.delivery..",
                        "io.postern.outbound..", "io.postern.directory..", "io.postern.mailbox..", "io.postern.sasl..")
                .should().dependOnClassesThat().resideInAnyPackage("io.postern.smtp..", "io.postern.lmtp..",
                        "io.postern.pop3..")
                .check(classes);
    }

    @Test
    void theDirectoryAndStorageDoNotKnowTheQueueOrRouting() {
        noClasses().that().resideInAnyPackage("io.postern.directory..", "io.postern.mailbox..")
                .should().dependOnClassesThat().resideInAnyPackage("io.postern.queue..", "io.postern.routing..",
                        "io.postern.delivery..", "io.postern.outbound..")
                .check(classes);
    }

    @Test
    void nettyOnlyInProtocolAndServerPackages() {
        noClasses().that().resideInAnyPackage("io.postern.directory..", "io.postern.queue..", "io.postern.routing..",
                        "io.postern.delivery..", "io.postern.mailbox..", "io.postern.config..", "io.postern.mail..",
                        "io.postern.sasl..")
                .should().dependOnClassesThat().resideInAPackage("io.netty..")
                .check(classes);
    }

    @Test
    void ldapSdkStaysInsideTheDirectoryAdapter() {
        // config may use the SDK's filter parser to check configured filters; nothing else may.
        noClasses().that().resideOutsideOfPackages("io.postern.directory..", "io.postern.server..", "io.postern.cli..",
                        "io.postern.config..")
                .should().dependOnClassesThat().resideInAPackage("com.unboundid..")
                .check(classes);
    }

    @Test
    void prometheusRegistrySetUpOnlyInObservability() {
        noClasses().that().resideOutsideOfPackage("io.postern.observability..")
                .should().dependOnClassesThat().resideInAPackage("io.micrometer.prometheusmetrics..")
                .check(classes);
    }

    /** Every package is a node of one acyclic graph: a cycle means some type belongs in a lower (leaf) package. */
    @Test
    void noPackageCycles() {
        slices().matching("io.postern.(**)").should().beFreeOfCycles().check(classes);
    }
}
