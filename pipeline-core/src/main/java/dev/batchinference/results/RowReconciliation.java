package dev.batchinference.results;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.JobFailure;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobSummary.UnaccountedChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The check that every row is accounted for, run on every job before its outputs are written: per chunk,
 * the rows the planner counted = the rows the worker read = the rows it predicted + the rows it rejected;
 * and so in total. A chunk planned without a count (a plan from before planners counted) is held only to
 * read = predicted + rejected.
 */
final class RowReconciliation {
    /** The most mismatching chunks a message names; the summary lists up to {@link #MAX_LISTED}. */
    private static final int MAX_NAMED = 5;
    private static final int MAX_LISTED = 1000;

    private RowReconciliation() {
    }

    /** The chunks whose rows do not add up, in chunk order; empty when every row is accounted for. */
    static List<UnaccountedChunk> unaccounted(List<ChunkRange> planned, List<ChunkResult> done) {
        List<UnaccountedChunk> wrong = new ArrayList<>();
        for (int i = 0; i < planned.size(); i++) {
            ChunkRange range = planned.get(i);
            ChunkResult result = i < done.size() ? done.get(i) : null;
            long read = result == null ? 0 : result.rowsIn();
            long predicted = result == null ? 0 : result.rowsOut();
            long rejected = result == null ? 0 : result.rowsRejected();
            boolean balanced = result != null && result.chunk() == range.index()
                    && (range.rows() == null || range.rows() == read) && read == predicted + rejected;
            if (!balanced) {
                wrong.add(new UnaccountedChunk(range.index(), range.startByte(), range.endByte(), range.source(),
                        range.rows(), read, predicted, rejected));
            }
        }
        return wrong;
    }

    /** The failure for a job with unaccounted chunks, naming the first few and the totals; empty if none. */
    static Optional<JobFailure> failure(List<ChunkRange> planned, List<ChunkResult> done, List<UnaccountedChunk> wrong) {
        if (wrong.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder message = new StringBuilder("the rows do not add up in ").append(wrong.size())
                .append(wrong.size() == 1 ? " chunk: " : " chunks: ");
        for (int i = 0; i < Math.min(wrong.size(), MAX_NAMED); i++) {
            UnaccountedChunk c = wrong.get(i);
            ChunkRange range = planned.stream().filter(r -> r.index() == c.chunk()).findFirst().orElseThrow();
            message.append(i == 0 ? "" : "; ").append(range.describe()).append(": ")
                    .append(c.rowsPlanned() == null ? "" : "planned " + c.rowsPlanned() + ", ")
                    .append("read ").append(c.rowsRead()).append(", predicted ").append(c.rowsPredicted())
                    .append(" + rejected ").append(c.rowsRejected());
        }
        if (wrong.size() > MAX_NAMED) {
            message.append("; and ").append(wrong.size() - MAX_NAMED).append(" more (see unaccountedChunks)");
        }
        boolean allPlanned = planned.stream().allMatch(r -> r.rows() != null);
        message.append(". In all: ")
                .append(allPlanned ? "planned " + planned.stream().mapToLong(ChunkRange::rows).sum() + ", " : "")
                .append("read ").append(done.stream().mapToLong(ChunkResult::rowsIn).sum())
                .append(", predicted ").append(done.stream().mapToLong(ChunkResult::rowsOut).sum())
                .append(" + rejected ").append(done.stream().mapToLong(ChunkResult::rowsRejected).sum())
                .append(". No outputs were written; this is a fault of the pipeline, not of the input");
        return Optional.of(new JobFailure(FailureReason.ROWS_UNACCOUNTED, message.toString()));
    }

    /** The mismatching chunks a summary lists. */
    static List<UnaccountedChunk> listed(List<UnaccountedChunk> wrong) {
        return wrong.size() <= MAX_LISTED ? wrong : wrong.subList(0, MAX_LISTED);
    }
}
