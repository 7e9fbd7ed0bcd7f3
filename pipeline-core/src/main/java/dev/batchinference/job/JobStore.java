package dev.batchinference.job;

import dev.batchinference.json.JsonCodec;
import dev.batchinference.json.RecordJson;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A job's state under {@code jobs/<jobId>/}: plan, dispatch marker, finished chunks (recorded by {@link CompletionGroups}),
 * terminal record.
 */
public final class JobStore {
    private final ObjectStore store;

    public JobStore(ObjectStore store) {
        this.store = store;
    }

    /**
     * Writes the plan unless the job already has one; false means another delivery planned it first. Written and
     * read with {@link RecordJson}, not Jackson's object mapping: the plan is on a worker's cold path.
     */
    public boolean createPlan(JobPlan plan) {
        return store.writeIfAbsent(JobKeys.plan(plan.jobId()), RecordJson.write(plan).getBytes(StandardCharsets.UTF_8));
    }

    public Optional<JobPlan> plan(String jobId) {
        try (InputStream in = store.read(JobKeys.plan(jobId))) {
            return Optional.of(RecordJson.read(in.readAllBytes(), JobPlan.class));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a planning checkpoint unless the job has that step already; false: another invocation planned it first. */
    public boolean createStep(PlanningStep step) {
        return store.writeIfAbsent(JobKeys.step(step.jobId(), step.step()),
                RecordJson.write(step).getBytes(StandardCharsets.UTF_8));
    }

    public Optional<PlanningStep> step(String jobId, int step) {
        try (InputStream in = store.read(JobKeys.step(jobId, step))) {
            return Optional.of(RecordJson.read(in.readAllBytes(), PlanningStep.class));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the job's planning has stretched past one invocation: its first checkpoint exists. */
    public boolean isPlanningInSteps(String jobId) {
        return store.head(JobKeys.step(jobId, 1)).isPresent();
    }

    /** Records that the message continuing the planning from {@code step} was sent. */
    public void markHandedOver(String jobId, int step) {
        store.write(JobKeys.handover(jobId, step), "{}".getBytes(StandardCharsets.UTF_8));
    }

    public boolean isHandedOver(String jobId, int step) {
        return store.head(JobKeys.handover(jobId, step)).isPresent();
    }

    public void markDispatched(String jobId) {
        store.write(JobKeys.dispatched(jobId), "{}".getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Marks the job's tasks as sent, with ingest's requests for the job (this write included) and the milliseconds
     * ingest spent on it, from the notification's arrival to this write.
     */
    public void markDispatched(String jobId, Requests ingest, long ingestMs) {
        store.write(JobKeys.dispatched(jobId), JsonCodec.writeBytes(new Dispatched(ingest, ingestMs)));
    }

    /** Ingest's requests for the job, as its dispatch marker holds them; empty if the marker holds none. */
    public Optional<Requests> ingestRequests(String jobId) {
        return dispatched(jobId).map(Dispatched::requests);
    }

    /** The dispatch marker's content; empty for a job not dispatched yet (or marked before markers held any). */
    public Optional<Dispatched> dispatched(String jobId) {
        return read(JobKeys.dispatched(jobId), Dispatched.class);
    }

    /**
     * The dispatch marker's content: ingest's requests for the job and its time on it (null in markers written
     * before ingest recorded its time).
     */
    public record Dispatched(Requests requests, Long ingestMs) {
    }

    public boolean isDispatched(String jobId) {
        return store.head(JobKeys.dispatched(jobId)).isPresent();
    }

    public boolean isDone(String jobId, int chunk) {
        return store.head(JobKeys.done(jobId, chunk)).isPresent();
    }

    /**
     * Keys of finished chunks' records; cheaper than reading them, for progress checks and redrives. A listing of the
     * whole job: never on a per-message path ({@link CompletionGroups} tells when the last chunk is in).
     */
    public List<String> doneKeys(String jobId) {
        // only finished records: some stores list an object being written under a temporary name beside it
        return store.list(JobKeys.doneMarkers(jobId)).stream().filter(k -> k.endsWith(".json")).toList();
    }

    /**
     * Indexes of the job's whole groups of chunks ({@link CompletionGroups}' first level: group {@code g} is chunks
     * {@code g * FANOUT} up to {@code (g + 1) * FANOUT}), for following a job too large to list every done marker of.
     */
    public List<Integer> wholeChunkGroups(String jobId) {
        return store.list(JobKeys.groups(jobId, 1)).stream().map(JobKeys::markerIndex).filter(i -> i >= 0).toList();
    }

    /** Records of the finished chunks, whichever have finished. */
    public List<ChunkResult> doneChunks(String jobId) {
        List<ChunkResult> results = new ArrayList<>();
        for (String key : doneKeys(jobId)) {
            doneChunk(key).ifPresent(results::add);
        }
        return results;
    }

    /** Every chunk's record in chunk order, read by key; fails if any is missing rather than return fewer. */
    public List<ChunkResult> allDoneChunks(String jobId, int chunks) {
        List<ChunkResult> results = new ArrayList<>(chunks);
        for (int chunk = 0; chunk < chunks; chunk++) {
            int index = chunk;
            results.add(doneChunk(JobKeys.done(jobId, chunk)).orElseThrow(() -> new IllegalStateException(
                    "job " + jobId + ": the record of chunk " + index + " is not readable yet")));
        }
        return results;
    }

    /** One finished chunk's record, by a key from {@link #doneKeys}. */
    public Optional<ChunkResult> doneChunk(String doneKey) {
        return read(doneKey, ChunkResult.class);
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
