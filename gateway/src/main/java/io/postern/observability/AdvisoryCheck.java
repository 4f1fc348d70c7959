package io.postern.observability;

/**
 * A condition reported on {@code /readyz} but not gating it: a front node that can still accept
 * into its queue stays in its Service while the directory or the spool is out, because taking
 * every front pod out at once (they share the outage) would refuse mail that could have waited in
 * the queue. The body still names the failure, so an operator reading the probe sees it.
 * Immutable, thread-safe.
 */
public record AdvisoryCheck(ReadinessCheck inner) implements ReadinessCheck {
    /** The detail's prefix when the wrapped check fails. */
    public static final String NOT_GATING = "not gating readiness in this role: ";

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Status check() {
        Status status;
        try {
            status = inner.check();
        } catch (RuntimeException e) {
            status = Status.failing(e.getClass().getSimpleName());
        }
        return status.ready() ? status : new Status(true, NOT_GATING + status.detail());
    }
}
