package io.postern.cli;

import io.postern.server.PosternServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Keeps a started server in the foreground until SIGTERM or SIGINT, then drains it and returns
 * 0. The signal handlers replace the JVM's default ones so that a graceful stop exits 0, not 143.
 */
final class Foreground {
    private static final Logger LOG = LoggerFactory.getLogger(Foreground.class);

    private Foreground() {
    }

    /** Installs the signal handlers first, so a SIGTERM during start-up also ends in a clean stop. */
    static int run(Callable<PosternServer> start, Runnable afterStart) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        PosternServer server = start.call();
        if (afterStart != null) {
            afterStart.run();
        }
        stop.await();
        LOG.info("event=stopping reason=signal drainTimeout={}", server.config().node().drainTimeout());
        server.close();
        LOG.info("event=stopped");
        return Main.EXIT_OK;
    }
}
