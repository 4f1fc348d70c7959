package io.postern.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Stands in front of the queue API. With a token configured, every request needs
 * {@code Authorization: Bearer <token>}, compared in constant time (digests of equal length, so
 * neither the content nor the length of the token leaks through timing). Every change (any method
 * but GET) also needs the {@code X-Postern-Admin} header: a page in a browser on the operator's
 * machine cannot send it without a CORS preflight, which is never answered. Immutable.
 */
public final class QueueApiGuard implements AdminRoute {
    private static final String BEARER = "bearer ";

    private final Optional<byte[]> tokenDigest;
    private final AdminRoute next;

    public QueueApiGuard(String token, AdminRoute next) {
        this.tokenDigest = token.isEmpty() ? Optional.empty() : Optional.of(sha256(token));
        this.next = next;
    }

    @Override
    public AdminReply handle(AdminRequest request) {
        if (tokenDigest.isPresent()) {
            Optional<String> authorization = request.header("authorization");
            if (authorization.isEmpty() || authorization.get().length() <= BEARER.length()
                    || !authorization.get().regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                return AdminReplies.TOKEN_MISSING;
            }
            byte[] offered = sha256(authorization.get().substring(BEARER.length()).strip());
            if (!MessageDigest.isEqual(tokenDigest.get(), offered)) {
                return AdminReplies.TOKEN_WRONG;
            }
        }
        if (!request.method().equals("GET") && request.header("x-postern-admin").isEmpty()) {
            return AdminReplies.CHANGE_HEADER_MISSING;
        }
        return next.handle(request);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
