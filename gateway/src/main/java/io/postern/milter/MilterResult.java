package io.postern.milter;

import java.util.List;
import java.util.Optional;

/** One milter's answer about one message, before the chain names the milter. Immutable. */
sealed interface MilterResult {
    record Accepted(List<Modification> modifications, Optional<String> quarantine) implements MilterResult {
        public Accepted {
            modifications = List.copyOf(modifications);
        }
    }

    /** Reject (5xx) or tempfail (4xx), with the milter's reply or the catalogue's. */
    record Refused(MilterReply reply) implements MilterResult {
    }

    record Discarded() implements MilterResult {
    }
}
