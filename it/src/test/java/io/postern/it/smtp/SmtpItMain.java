package io.postern.it.smtp;

import java.nio.file.Path;

/** Runs an {@link SmtpItNode} in its own JVM (for heap-bounded tests); prints READY and the MX port. */
public final class SmtpItMain {
    private SmtpItMain() {
    }

    public static void main(String[] args) throws Exception {
        String yaml = args.length > 1 ? args[1] : "smtp: {maxMessageSize: 200m}\n";
        SmtpItNode node = new SmtpItNode(Path.of(args[0]), yaml);
        System.out.println("READY " + node.mxPort);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
