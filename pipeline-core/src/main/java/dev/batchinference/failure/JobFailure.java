package dev.batchinference.failure;

/** Why a job failed: a stable code and a message written for the user. */
public record JobFailure(FailureReason reason, String message) {
}
