package io.postern.smtp;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The SMTP/LMTP front end stays a front end: it never reaches up into server wiring or across to storage. */
class SmtpArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.postern");

    @Test
    void frontEndDoesNotImportServerOrStorage() {
        noClasses().that().resideInAnyPackage("io.postern.smtp..", "io.postern.lmtp..")
                .should().dependOnClassesThat().resideInAnyPackage("io.postern.server..", "io.postern.cli..",
                        "io.postern.queue..", "io.postern.delivery..", "io.postern.mailbox..", "io.postern.pop3..",
                        "io.postern.directory.ldap..")
                .check(CLASSES);
    }
}
