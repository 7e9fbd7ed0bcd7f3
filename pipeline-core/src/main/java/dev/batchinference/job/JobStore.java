package dev.batchinference.job;

import dev.batchinference.json.JsonCodec;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A job's state under {@code jobs/<jobId>/}: plan, dispatch marker, finished chunks, terminal record. */
public final class JobStore {
    private final ObjectStore store;

    public JobStore(ObjectStore store) {
        this.store = store;
    }

    /** Writes the plan unless the job already has one; false means another delivery planned it first. */
    public boolean createPlan(JobPlan plan) {
        return store.writeIfAbsent(JobKeys.plan(plan.jobId()), JsonCodec.writeBytes(plan));
    }

    public Optional<JobPlan> plan(String jobId) {
        return read(JobKeys.plan(jobId), JobPlan.class);
    }

    public void markDispatched(String jobId) {
        store.write(JobKeys.dispatched(jobId), "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public boolean isDispatched(String jobId) {
        return store.head(JobKeys.dispatched(jobId)).isPresent();
    }

    /** Records a finished chunk; repeating it is harmless (same content, same key). */
    public void recordDone(String jobId, ChunkResult result) {
        store.write(JobKeys.done(jobId, result.chunk()), JsonCodec.writeBytes(result));
    }

    public boolean isDone(String jobId, int chunk) {
        return store.head(JobKeys.done(jobId, chunk)).isPresent();
    }

    /** Keys of finished chunks' records; cheaper than reading them, for progress checks. */
    public List<String> doneKeys(String jobId) {
        return store.list(JobKeys.doneMarkers(jobId));
    }

    public List<ChunkResult> doneChunks(String jobId) {
        List<ChunkResult> results = new ArrayList<>();
        for (String key : doneKeys(jobId)) {
            read(key, ChunkResult.class).ifPresent(results::add);
        }
        return results;
    }

    public Optional<JobSummary> terminal(String jobId) {
        return read(JobKeys.terminal(jobId), JobSummary.class);
    }

    /** Records the job's end once; false if it had already ended. */
    public boolean writeTerminal(JobSummary summary) {
        return store.writeIfAbsent(JobKeys.terminal(summary.jobId()), JsonCodec.writeBytes(summary));
    }

    /** Ids of every job that has a plan, newest layout first is not promised: callers sort. */
    public List<String> jobIds() {
        return store.list(JobKeys.JOBS).stream()
                .filter(k -> k.endsWith("/plan.json"))
                .map(k -> k.substring(JobKeys.JOBS.length(), k.length() - "/plan.json".length()))
                .toList();
    }

    private <T> Optional<T> read(String key, Class<T> type) {
        try (InputStream in = store.read(key)) {
            return Optional.of(JsonCodec.read(in.readAllBytes(), type));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
