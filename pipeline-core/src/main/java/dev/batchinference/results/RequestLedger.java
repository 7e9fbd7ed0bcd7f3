package dev.batchinference.results;

import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.CompletionGroups;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.Requests;
import dev.batchinference.metering.RequestCounts;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The writer's side of counting a job's requests. The writer's requests for a job travel in the done markers it
 * writes: each marker carries what this writer made for the job that no marker carried yet, its own PUT included;
 * what is left (the climb after the marker, a duplicate's requests) waits here for the next marker or the summary.
 */
final class RequestLedger {
    private static final int JOBS_KEPT = 64;

    private final Map<String, Requests> pending = new ConcurrentHashMap<>();

    /** Writes a chunk's done marker with the writer's uncarried requests; false if the chunk had one already. */
    boolean recordDone(CompletionGroups completion, String jobId, ChunkResult result) {
        RequestCounts.Tally tally = RequestCounts.current();
        Requests taken = Objects.requireNonNullElse(pending.remove(jobId), Requests.NONE);
        Requests carried = taken.plus(tally == null ? Requests.NONE : tally.unsettled()).withOnePut();
        boolean written = completion.recordDone(jobId, result.withWriterRequests(carried));
        if (written && tally != null) {
            tally.settle(carried.minus(taken));
        } else if (!written) {
            pending.merge(jobId, taken, Requests::plus);
        }
        return written;
    }

    /** Keeps what a message's tally counted and nothing carried, for the job's next marker or its summary. */
    void keep(String jobId, RequestCounts.Tally tally) {
        Requests unsettled = tally.unsettled();
        if (jobId != null && unsettled.total() > 0) {
            if (pending.size() >= JOBS_KEPT) {
                pending.clear(); // a writer with that many jobs at once: their counts fall short rather than grow memory
            }
            pending.merge(jobId, unsettled, Requests::plus);
        }
    }

    /**
     * Each function's requests for the job: ingest's as given, the workers' and the writer's from the done markers,
     * and what this writer has not recorded yet, the summary's and the end record's PUTs included.
     */
    JobSummary.RequestsByFunction summarize(String jobId, Requests ingest, List<ChunkResult> chunks) {
        Requests worker = Requests.NONE;
        Requests writer = Requests.NONE;
        for (ChunkResult chunk : chunks) {
            worker = worker.plus(chunk.requests());
            writer = writer.plus(chunk.writerRequests());
        }
        RequestCounts.Tally tally = RequestCounts.current();
        Requests unrecorded = tally == null ? Requests.NONE : tally.unsettled().withOnePut().withOnePut();
        if (tally != null) {
            tally.settle(unrecorded);
        }
        writer = writer.plus(pending.remove(jobId)).plus(unrecorded);
        return new JobSummary.RequestsByFunction(ingest, chunks.isEmpty() ? null : worker, writer);
    }
}
