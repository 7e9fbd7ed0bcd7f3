package dev.batchinference.queue;

/** One message of a batch received from a queue: the id a partial-batch response names it by, and its body. */
public record QueueMessage(String id, String body) {
}
