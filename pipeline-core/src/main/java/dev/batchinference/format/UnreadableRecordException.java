package dev.batchinference.format;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;

/**
 * A record that cannot be read at all (rather than rejected): its number among the rows being read and
 * the problem. A block decoded apart from the rest of its chunk counts from its own start; the chunk's
 * number comes from {@link #after}.
 */
public final class UnreadableRecordException extends PipelineException {
    private final long record;
    private final String problem;

    public UnreadableRecordException(long record, String problem) {
        super(FailureReason.UNREADABLE_INPUT, "record " + record + " of the chunk is not valid CSV: " + problem);
        this.record = record;
        this.problem = problem;
    }

    /** The same failure, counted after {@code recordsBefore} records. */
    public UnreadableRecordException after(long recordsBefore) {
        return new UnreadableRecordException(record + recordsBefore, problem);
    }

    public long record() {
        return record;
    }
}
