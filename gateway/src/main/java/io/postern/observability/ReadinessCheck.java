package io.postern.observability;

/** One condition of {@code /readyz}: a name and whether it holds now. Must answer quickly and never throw. */
public interface ReadinessCheck {
    String name();

    Status check();

    record Status(boolean ready, String detail) {
        public static Status ok() {
            return new Status(true, "ok");
        }

        public static Status failing(String detail) {
            return new Status(false, detail);
        }
    }
}
