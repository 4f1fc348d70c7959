package io.postern.queue;

import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The queue's operator API as plain text over paths, shared by the admin HTTP endpoint (a running
 * node) and the offline CLI (a stopped node's directory), so both print the same thing.
 * Routes: {@code GET /queue/list[?limit=N]}, {@code GET /queue/show/ID}, {@code POST /queue/flush},
 * {@code POST /queue/hold/ID}, {@code /release/ID}, {@code /delete/ID}, {@code /bounce/ID}.
 * Untrusted input: the path; an id that is not exactly a queue id is refused with 400 before it
 * reaches any file name. Thread-safe.
 */
public final class QueueAdminApi {
    public static final int DEFAULT_LIST_LIMIT = 10_000;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(java.time.ZoneOffset.UTC);

    private final MailQueue queue;

    QueueAdminApi(MailQueue queue) {
        this.queue = queue;
    }

    /** An answer: HTTP-like status and a text body. */
    public record Reply(int status, String body) {
    }

    public Reply handle(String method, String path, String query) {
        if (path.indexOf('\0') >= 0) {
            return new Reply(400, "invalid path\n");
        }
        String rest = path.startsWith("/queue/") ? path.substring("/queue/".length()) : path;
        String[] parts = rest.split("/", -1);
        String command = parts[0];
        boolean read = command.equals("list") || command.equals("show");
        if (read != method.equals("GET")) {
            return new Reply(405, (read ? "use GET" : "use POST") + " for " + command + "\n");
        }
        if (command.equals("list") || command.equals("flush")) {
            if (parts.length != 1) {
                return new Reply(404, "not found\n");
            }
            return command.equals("list") ? list(query) : flush();
        }
        if (parts.length != 2) {
            return new Reply(404, "not found\n");
        }
        String id = parts[1];
        if (!QueueId.isValid(id)) {
            return new Reply(400, "invalid queue id\n");
        }
        return switch (command) {
            case "show" -> queue.show(id).map(text -> new Reply(200, text))
                    .orElseGet(() -> new Reply(404, "no message " + id + "\n"));
            case "hold" -> reply(queue.hold(id), id, "held");
            case "release" -> reply(queue.release(id), id, "released");
            case "delete" -> reply(queue.delete(id), id, "deleted");
            case "bounce" -> reply(queue.bounce(id), id, "bounced");
            default -> new Reply(404, "not found\n");
        };
    }

    private Reply list(String query) {
        int limit = DEFAULT_LIST_LIMIT;
        if (query != null && query.startsWith("limit=")) {
            try {
                limit = Math.max(1, Integer.parseInt(query.substring("limit=".length())));
            } catch (NumberFormatException e) {
                return new Reply(400, "limit is not a number\n");
            }
        }
        AtomicInteger more = new AtomicInteger();
        List<MailQueue.Summary> summaries = queue.list(limit, more);
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-16s %9s %-19s %-8s %s%n", "ID", "SIZE", "ARRIVAL (UTC)", "STATE",
                "SENDER / PENDING RECIPIENTS"));
        for (MailQueue.Summary s : summaries) {
            out.append(String.format(Locale.ROOT, "%-16s %9d %-19s %-8s <%s> %d/%d pending%s%n", s.id(), s.size(),
                    TIME.format(s.arrival()), s.state(), s.sender(), s.pending(), s.recipients(),
                    s.lastProblem().isEmpty() ? "" : " (" + DeliveryReport.clean(s.lastProblem()) + ")"));
        }
        out.append("-- ").append(summaries.size()).append(" message").append(summaries.size() == 1 ? "" : "s");
        if (more.get() > 0) {
            out.append(", ").append(more.get()).append(" more not listed (limit ").append(limit).append(")");
        }
        out.append('\n');
        return new Reply(200, out.toString());
    }

    private Reply flush() {
        int count = queue.flush();
        return new Reply(200, count < 0 ? "flushed: every message is due now\n" : "flushed " + count + " messages\n");
    }

    private static Reply reply(MailQueue.Result result, String id, String verb) {
        return switch (result) {
            case DONE -> new Reply(200, id + " " + verb + "\n");
            case NOT_FOUND -> new Reply(404, "no message " + id + "\n");
            case BUSY -> new Reply(409, id + " is being delivered right now; try again\n");
            case FAILED -> new Reply(500, id + " could not be changed (see the log)\n");
        };
    }
}
