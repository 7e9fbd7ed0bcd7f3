package dev.batchinference.local.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which keys the local S3 refuses: those its file store would read as another path. */
class KeyCheckingBlobStoreTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"incoming/iris/../../output/iris/victim.csv.predictions.csv",
            "incoming/iris/../../models/iris/current.json", "..", "../other-bucket/x", "a/..", "a/../", "./a", "a/./b",
            "a//b", "/a", "a\u0000b"})
    void refusesKeysTheFileStoreWouldReadAsAnotherPath(String key) {
        assertThat(KeyCheckingBlobStore.problem(key)).get().asString().startsWith("The key '" + key + "'");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"incoming/iris/iris.csv", "a/b/", "..a/b..", "a/.../b", ".hidden", "a/.b",
            "incoming/iris/field trials/résultats 2026.csv", "a\\b"})
    void acceptsEveryOtherKey(String key) {
        assertThat(KeyCheckingBlobStore.problem(key)).isEmpty();
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", "incoming/", "incoming/iris/x", "incoming/..x", "incoming/.", "incoming/.."})
    void aPrefixIsCheckedUpToItsLastSlashOnly(String prefix) {
        assertThat(KeyCheckingBlobStore.prefixProblem(prefix)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"../", "incoming/../", "a//", "/"})
    void aPrefixWithADotDotOrEmptySegmentIsRefused(String prefix) {
        assertThat(KeyCheckingBlobStore.prefixProblem(prefix)).get().asString().startsWith("The prefix '");
    }
}
