package dev.batchinference.job;

/** Why a job failed: a stable code and a message written for the user. */
public record JobFailure(FailureReason reason, String message) {
}
