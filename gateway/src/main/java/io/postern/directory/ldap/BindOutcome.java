package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import io.postern.directory.Login;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a failed user bind means. Active Directory answers every refused bind with result 49 and
 * hides the reason in the diagnostic message ({@code ... AcceptSecurityContext error, data 52e,
 * ...}); OpenLDAP's ppolicy uses its own codes. Only the operator sees the reason; the network
 * client only learns "failed". Stateless.
 */
final class BindOutcome {
    private static final Pattern AD_DATA = Pattern.compile("\\bdata ([0-9a-fA-F]{3,4})\\b");

    private BindOutcome() {
    }

    /** Empty when the failure is not about the credentials (server down, timeout): try again later. */
    static Optional<Login.Reason> reason(LDAPException e) {
        ResultCode code = e.getResultCode();
        if (code == ResultCode.INVALID_CREDENTIALS) {
            return Optional.of(adDataCode(e.getDiagnosticMessage()).map(BindOutcome::fromAdCode)
                    .orElse(Login.Reason.WRONG_PASSWORD));
        }
        if (code == ResultCode.INAPPROPRIATE_AUTHENTICATION || code == ResultCode.UNWILLING_TO_PERFORM) {
            return Optional.of(Login.Reason.WRONG_PASSWORD);
        }
        if (code == ResultCode.INVALID_DN_SYNTAX || code == ResultCode.NO_SUCH_OBJECT) {
            return Optional.of(Login.Reason.UNKNOWN_USER);
        }
        return Optional.empty();
    }

    /** The AD sub-code, such as {@code 52e}, when the message carries one. */
    static Optional<String> adDataCode(String diagnostic) {
        if (diagnostic == null) {
            return Optional.empty();
        }
        Matcher m = AD_DATA.matcher(diagnostic);
        return m.find() ? Optional.of(m.group(1).toLowerCase(Locale.ROOT)) : Optional.empty();
    }

    static Login.Reason fromAdCode(String code) {
        return switch (code) {
            case "525" -> Login.Reason.UNKNOWN_USER;
            case "52e" -> Login.Reason.WRONG_PASSWORD;
            case "530", "531", "533" -> Login.Reason.DISABLED; // not now, not from here, disabled
            case "532", "701", "773" -> Login.Reason.EXPIRED; // password expired, account expired, must change
            case "775" -> Login.Reason.LOCKED;
            default -> Login.Reason.WRONG_PASSWORD;
        };
    }
}
