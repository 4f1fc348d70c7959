package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSearchRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSimpleBindRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryOperationInterceptor;
import io.postern.config.PosternConfig;
import io.postern.directory.Login;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * An unknown login does the same directory work as a wrong password (one search, one bind with
 * the password given), so that its answer time does not say whether the login exists (issue
 * 19, item 9). The work is counted where the directory sees it; no time is measured.
 */
class UserLoginDecoyTest {
    /** The requests the server received, as "search" and "bind <dn>". */
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private final InMemoryOperationInterceptor recorder = new InMemoryOperationInterceptor() {
        @Override
        public void processSearchRequest(InMemoryInterceptedSearchRequest request) {
            requests.add("search");
        }

        @Override
        public void processSimpleBindRequest(InMemoryInterceptedSimpleBindRequest request) {
            requests.add("bind " + request.getRequest().getBindDN());
        }
    };

    private List<String> during(Supplier<Login> login, Login expected) {
        requests.clear();
        assertThat(login.get()).isEqualTo(expected);
        return List.copyOf(requests);
    }

    @Test
    void anUnknownLoginCostsTheSameRoundTripsAsAWrongPassword() throws Exception {
        try (InMemoryDirectory ldap = InMemoryDirectory.openldap("openldap/sample.ldif", recorder)) {
            PosternConfig config = ldap.openldapConfig("");
            try (LdapDirectory directory = LdapDirectory.connect(config.directory(), config.domains())) {
                List<String> wrong = during(() -> directory.authenticate("alice", "guess"),
                        new Login.Failed(Login.Reason.WRONG_PASSWORD));
                List<String> unknown = during(() -> directory.authenticate("nobody", "guess"),
                        new Login.Failed(Login.Reason.UNKNOWN_USER));
                assertThat(wrong).hasSize(2).first().isEqualTo("search");
                assertThat(wrong.get(1)).startsWith("bind uid=alice,");
                assertThat(unknown).hasSize(2).first().isEqualTo("search");
                // A DN under the users' base that names no entry: the bind fails as a wrong password would.
                assertThat(unknown.get(1)).matches("bind cn=postern-decoy-[0-9a-f-]{36},dc=example,dc=test");
                // A login that matches no entry also answers "failed" even if the password is someone's.
                assertThat(directory.authenticate("nobody", "alice-pw")).isEqualTo(new Login.Failed(Login.Reason.UNKNOWN_USER));
            }
        }
    }
}
