package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FileAccessTest {
    private static FileAccess access(String file, Optional<String> group) {
        return new FileAccess(PosixFilePermissions.fromString(file), PosixFilePermissions.fromString("rwx------"), group);
    }

    @Test
    void theNativeModeIsTheOctalModeOpenTakes() {
        assertThat(FileAccess.OWNER_ONLY.nativeFileMode()).hasValue(0600);
        assertThat(access("rw-r-----", Optional.empty()).nativeFileMode()).hasValue(0640);
        assertThat(access("r--------", Optional.empty()).nativeFileMode()).hasValue(0400);
    }

    @Test
    void aGroupIsSetByPathSoThereIsNoNativeMode() {
        assertThat(access("rw-r-----", Optional.of("mail")).nativeFileMode()).isEmpty();
    }

    @Test
    void onlyGroupBitsNeedAChmodAfterTheUmask() {
        assertThat(FileAccess.OWNER_ONLY.fileModeNeedsChmod()).isFalse();
        assertThat(access("rw-r-----", Optional.empty()).fileModeNeedsChmod()).isTrue();
    }
}
