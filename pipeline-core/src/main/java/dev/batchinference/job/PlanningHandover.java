package dev.batchinference.job;

/**
 * The message by which one ingest invocation hands a job's planning over to the next, on the planning queue:
 * continue job {@code jobId} from its checkpoint {@code step} ({@link PlanningStep}).
 */
public record PlanningHandover(String type, String jobId, int step) {
    public static final String TYPE = "PLANNING_HANDOVER";

    public static PlanningHandover of(String jobId, int step) {
        return new PlanningHandover(TYPE, jobId, step);
    }
}
