package io.postern.admin;

/** The admin endpoint's reply catalogue: every answer that is not a route's own content. */
public final class AdminReplies {
    public static final AdminReply NOT_FOUND = AdminReply.text(404, "not found\n");
    public static final AdminReply METHOD_NOT_ALLOWED = AdminReply.text(405, "method not allowed\n");
    public static final AdminReply BAD_HOST = AdminReply.text(400, "missing or malformed Host header\n");
    public static final AdminReply MISDIRECTED = AdminReply.text(421,
            "this host name is not served here (use an IP address or one of admin.allowedHosts)\n");
    public static final AdminReply BAD_REQUEST = AdminReply.text(400, "malformed request\n");
    public static final AdminReply TOO_LARGE = AdminReply.text(413, "request too large\n");
    public static final AdminReply TIMEOUT = AdminReply.text(408, "request not received in time\n");
    public static final AdminReply TOKEN_MISSING = AdminReply.text(401, "the queue API needs Authorization: Bearer <token>\n");
    public static final AdminReply TOKEN_WRONG = AdminReply.text(401, "wrong token\n");
    public static final AdminReply CHANGE_HEADER_MISSING = AdminReply.text(403, "changes need the X-Postern-Admin header\n");

    private AdminReplies() {
    }

    public static AdminReply internalError(RuntimeException e) {
        return AdminReply.text(500, "internal error: " + e.getClass().getSimpleName() + "\n");
    }
}
