package dev.batchinference.job;

/** The state of a job as users see it; only the last two are terminal. */
public enum JobState {
    RUNNING,
    SUCCEEDED,
    FAILED;

    public boolean isTerminal() {
        return this != RUNNING;
    }
}
