package io.postern.milter;

import java.util.List;
import java.util.Map;

/** One decoded reply frame from a milter. Immutable. */
sealed interface Response {
    /** The milter's half of option negotiation. */
    record Options(int version, int actions, int protocol, Map<MacroStage, List<String>> macros) implements Response {
        public Options {
            macros = Map.copyOf(macros);
        }
    }

    /** Accept, continue, reject, tempfail, replycode, discard, skip: the answer to one command. */
    enum Kind { ACCEPT, CONTINUE, REJECT, TEMPFAIL, DISCARD, SKIP }

    record Decision(Kind kind) implements Response {
    }

    /** A reject or tempfail with the milter's own reply. */
    record Reply(MilterReply reply) implements Response {
    }

    record Progress() implements Response {
    }

    record Quarantine(String reason) implements Response {
    }

    /** A header, recipient or sender edit; a body replacement comes in one or more chunks. */
    record Edit(Modification modification) implements Response {
    }
}
