package dev.batchinference.faults;

/** The named points where the suite injects faults. */
public enum Fault {
    /** the worker dies before writing its chunk's part */
    BEFORE_PART_WRITE,
    /** the worker dies after writing its part, before reporting the chunk done */
    AFTER_PART_WRITE,
    /** the worker dies before its ChunkDone is sent */
    BEFORE_CHUNK_DONE,
    /** the worker dies after its ChunkDone is sent, before the task is acknowledged */
    AFTER_CHUNK_DONE,
    /** the writer dies after writing a done or completion-group marker, before it looks at the group above */
    DURING_COMPLETION,
    /** the writer dies in the middle of streaming the collated output */
    DURING_COLLATION,
    /** S3 answers 503 SlowDown to a request */
    S3_SLOW_DOWN,
    /** SQS delivers a message that was already handled once more */
    DUPLICATE_DELIVERY,
    /** SQS delivers messages out of the order they were sent in */
    REORDERED_DELIVERY
}
