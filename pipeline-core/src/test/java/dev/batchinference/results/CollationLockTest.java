package dev.batchinference.results;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.job.JobKeys;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.storage.InMemoryObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The collation lock's attempts: counted at every taking, carried through releases and take-overs. */
class CollationLockTest {
    private static final String JOB = "0123456789abcdef0123";
    private static final Duration LEASE = Duration.ofMinutes(15);
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private final InMemoryObjectStore store = new InMemoryObjectStore();

    private CollationLock writer(String owner, Instant at) {
        return new CollationLock(store, LEASE, Clock.fixed(at, ZoneOffset.UTC), owner);
    }

    private JobCollator.CollateLock stored() throws IOException {
        try (InputStream in = store.read(JobKeys.collateLock(JOB))) {
            return JsonCodec.read(in.readAllBytes(), JobCollator.CollateLock.class);
        }
    }

    @Test
    void eachTakingIsAnAttemptAndAReleaseSaysWhatFailed() throws IOException {
        CollationLock a = writer("a", NOW);
        assertThat(a.take(JOB)).isEqualTo(new CollationLock.Taken(1, null));
        a.release(JOB, "writing output/x failed: S3Exception: Access Denied");

        CollationLock.Taking second = writer("b", NOW.plusSeconds(1)).take(JOB);

        assertThat(second).isEqualTo(new CollationLock.Taken(2, "writing output/x failed: S3Exception: Access Denied"));
        assertThat(stored().owner()).isEqualTo("b");
        assertThat(stored().attempts()).isEqualTo(2);
    }

    @Test
    void aLockWithinItsLeaseIsBusyAndItsHolderTakesItAgainAsTheSameAttempt() {
        assertThat(writer("a", NOW).take(JOB)).isInstanceOf(CollationLock.Taken.class);

        assertThat(writer("b", NOW.plus(LEASE).minusSeconds(1)).take(JOB)).isInstanceOf(CollationLock.Busy.class);
        // an SDK retry of a's own conditional write meets a's lock
        assertThat(writer("a", NOW.plusSeconds(5)).take(JOB)).isEqualTo(new CollationLock.Taken(1, null));
    }

    @Test
    void aWriterThatDiedIsAnAttemptTooOnceItsLeaseHasPassed() {
        writer("a", NOW).take(JOB);

        CollationLock.Taking taking = writer("b", NOW.plus(LEASE).plusSeconds(1)).take(JOB);

        assertThat(taking).isInstanceOf(CollationLock.Taken.class);
        CollationLock.Taken taken = (CollationLock.Taken) taking;
        assertThat(taken.attempt()).isEqualTo(2);
        assertThat(taken.lastFailure()).contains("the writer a that began collating at " + NOW)
                .contains("did not finish within the collation lease (900 s, COLLATE_LEASE_SECONDS)");
    }

    @Test
    void aLockFromBeforeAttemptsWereCountedCountsAsOne() {
        store.write(JobKeys.collateLock(JOB), "{\"owner\":\"old\",\"acquiredAt\":\"2026-01-01T00:00:00Z\"}".getBytes());

        assertThat(((CollationLock.Taken) writer("b", NOW).take(JOB)).attempt()).isEqualTo(2);
    }

    @Test
    void aLockWhoseWriterIsKnownToHaveStoppedIsHandedBackAtOnceAndStaysCounted() throws IOException {
        writer("local-1234-99/results-writer-x", NOW).take(JOB);

        assertThat(CollationLock.releaseAbandoned(store, JOB, owner -> owner.startsWith("local-5678-"), "stopped"))
                .as("another runtime's writer is left alone").isFalse();
        assertThat(CollationLock.releaseAbandoned(store, JOB, owner -> owner.startsWith("local-1234-"),
                "stopped with its process")).isTrue();

        CollationLock.Taking taking = writer("b", NOW.plusSeconds(1)).take(JOB);
        assertThat(taking).as("taken at once, well within the dead writer's lease").isEqualTo(new CollationLock.Taken(2,
                "the writer local-1234-99/results-writer-x that began collating at " + NOW + " stopped with its process"));
        assertThat(stored().owner()).isEqualTo("b");
        assertThat(stored().attempts()).isEqualTo(2);
    }
}
