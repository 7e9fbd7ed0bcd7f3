package dev.batchinference.failure;

/**
 * A failure that ends a job: retrying cannot help, so the job goes FAILED with this reason.
 * Anything else thrown in the pipeline is treated as transient and retried.
 */
public class PipelineException extends RuntimeException {
    private final FailureReason reason;

    public PipelineException(FailureReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public PipelineException(FailureReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public FailureReason reason() {
        return reason;
    }

    public JobFailure toFailure() {
        return new JobFailure(reason, getMessage());
    }
}
