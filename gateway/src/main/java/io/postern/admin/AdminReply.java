package io.postern.admin;

/** What a route answers: a status and a text body of the given type. */
public record AdminReply(int status, String contentType, String body) {
    public static final String TEXT = "text/plain; charset=utf-8";

    public AdminReply {
        java.util.Objects.requireNonNull(contentType);
        java.util.Objects.requireNonNull(body);
    }

    public static AdminReply text(int status, String body) {
        return new AdminReply(status, TEXT, body);
    }
}
