package io.postern.admin;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** One HTTP request as routes see it: HEAD arrives as GET; header names are lower case, first value only. */
public record AdminRequest(String method, String path, String query, Map<String, String> headers) {
    public AdminRequest {
        java.util.Objects.requireNonNull(method);
        java.util.Objects.requireNonNull(path);
        headers = Map.copyOf(headers);
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
}
