package dev.batchinference.results;

import dev.batchinference.job.JobKeys;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.results.JobCollator.CollateLock;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's collation lock, {@code jobs/<jobId>/collate.lock}: one writer at a time ends a job. It is taken with a
 * conditional write ({@code If-None-Match}); a lock older than the lease (its writer died or timed out) or handed
 * back after a failure is taken over with {@code If-Match}, so of two writers taking it at once only one wins.
 *
 * <p>Each taking is an attempt at collating the job, counted in the lock itself: the count only grows through
 * those conditional writes, so no attempt goes uncounted, and a failed attempt hands the lock back with what
 * failed. The writer whose attempt is past the limit ends the job instead of collating it, saying why.
 */
public final class CollationLock {
    private static final Logger LOG = LoggerFactory.getLogger(CollationLock.class);
    /** What a failure description is cut to: enough for a key of 1,024 bytes and an error. */
    static final int MAX_FAILURE_CHARS = 1500;

    private final ObjectStore store;
    private final Duration lease;
    private final Clock clock;
    private final String owner;

    /** What an attempt to take the lock gave. */
    public sealed interface Taking permits Taken, Busy {
    }

    /**
     * This writer holds the lock, for its {@code attempt}-th collation of the job (from 1); {@code lastFailure}
     * says how the attempt before it ended, null for the first.
     */
    public record Taken(int attempt, String lastFailure) implements Taking {
    }

    /** Another writer holds the lock within its lease. */
    public record Busy(CollateLock holder) implements Taking {
    }

    public CollationLock(ObjectStore store, Duration lease, Clock clock, String owner) {
        this.store = store;
        this.lease = lease;
        this.clock = clock;
        this.owner = owner;
    }

    public Taking take(String jobId) {
        String key = JobKeys.collateLock(jobId);
        Instant now = clock.instant();
        CollateLock first = new CollateLock(owner, now, 1, null);
        if (store.writeIfAbsent(key, JsonCodec.writeBytes(first))) {
            return new Taken(1, null);
        }
        Optional<Held> held = read(store, key);
        if (held.isEmpty()) {
            // removed between the two requests (a user's redrive): try once more from the start
            if (store.writeIfAbsent(key, JsonCodec.writeBytes(first))) {
                return new Taken(1, null);
            }
            return new Busy(read(store, key).map(Held::lock).orElse(new CollateLock("another writer", now)));
        }
        CollateLock current = held.get().lock();
        // ours: an SDK retry of our own conditional write meets our first attempt and gets 412
        if (current.owner().equals(owner)) {
            return new Taken(current.attemptsSoFar(), current.lastFailure());
        }
        if (!current.released() && current.acquiredAt().plus(lease).isAfter(now)) {
            return new Busy(current);
        }
        String lastFailure = current.released() ? current.lastFailure() : "the writer " + current.owner()
                + " that began collating at " + current.acquiredAt() + " did not finish within the collation lease ("
                + lease.toSeconds() + " s, COLLATE_LEASE_SECONDS): it stopped or timed out";
        if (!current.released()) {
            LOG.warn("job {}: taking over a collation lock held by {} since {}", jobId, current.owner(), current.acquiredAt());
        }
        CollateLock mine = new CollateLock(owner, now, current.attemptsSoFar() + 1, lastFailure);
        // If-Match: of two writers taking over the same lock, only one succeeds
        return store.replaceIfMatch(key, held.get().etag(), JsonCodec.writeBytes(mine))
                ? new Taken(mine.attemptsSoFar(), lastFailure) : new Busy(current);
    }

    /**
     * Hands the lock back after a failed attempt, so that the next delivery need not wait out the lease, with what
     * failed for the attempt after it (and, past the limit, the job's end) to tell.
     */
    public void release(String jobId, String failure) {
        String key = JobKeys.collateLock(jobId);
        read(store, key).filter(held -> held.lock().owner().equals(owner)).ifPresent(held -> store.replaceIfMatch(key,
                held.etag(), JsonCodec.writeBytes(held.lock().releasedWith(owner + " (released)", failure))));
    }

    /**
     * Hands back a lock whose writer is known to have stopped, without waiting for its lease: for a runtime that
     * knows its own earlier process has ended (the local runtime, restarted). The attempt stays counted.
     *
     * @return whether a lock held by such a writer was handed back
     */
    public static boolean releaseAbandoned(ObjectStore store, String jobId, Predicate<String> ownerStopped, String how) {
        String key = JobKeys.collateLock(jobId);
        Optional<Held> held = read(store, key);
        if (held.isEmpty() || held.get().lock().released() || !ownerStopped.test(held.get().lock().owner())) {
            return false;
        }
        CollateLock lock = held.get().lock();
        String failure = "the writer " + lock.owner() + " that began collating at " + lock.acquiredAt() + " " + how;
        return store.replaceIfMatch(key, held.get().etag(), JsonCodec.writeBytes(lock.releasedWith(
                lock.owner() + " (released: stopped)", failure)));
    }

    private record Held(CollateLock lock, String etag) {
    }

    private static Optional<Held> read(ObjectStore store, String key) {
        Optional<ObjectStore.StoredObject> head = store.head(key);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream in = store.read(key)) {
            return Optional.of(new Held(JsonCodec.read(in.readAllBytes(), CollateLock.class), head.get().etag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
