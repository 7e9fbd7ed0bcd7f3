package dev.batchinference.results;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.json.RecordJson;
import java.io.IOException;

/**
 * One message of the results queue, its body parsed once: a {@link ResultMessage}, or a {@link ChunkTask} the
 * work queue dead-lettered, told apart by {@code type}. The body is read into a tree for its type and job;
 * the record is then bound from the tree's tokens by {@link RecordJson}, the codec the worker writes and reads
 * these records with, so each wire record has one codec on both ends.
 */
public final class ResultsQueueMessage {
    private final int length;
    private final JsonNode tree;

    private ResultsQueueMessage(int length, JsonNode tree) {
        this.length = length;
        this.tree = tree;
    }

    /** Reads a body; one that is not JSON is kept as such, for the writer to drop (see {@link #isJson}). */
    public static ResultsQueueMessage read(String body) {
        JsonNode tree;
        try {
            tree = JsonCodec.mapper().readTree(body);
        } catch (IOException e) {
            tree = null;
        }
        return new ResultsQueueMessage(body.length(), tree);
    }

    /** False when the body is not JSON: retrying cannot make it readable. */
    public boolean isJson() {
        return tree != null;
    }

    /** The body's length in characters, for a log line about a message that cannot be read. */
    public int length() {
        return length;
    }

    /** The job the message is about; null when the body names none. */
    public String jobId() {
        return tree == null ? null : tree.path("jobId").asText(null);
    }

    /** {@code CHUNK_TASK} for a dead-lettered task, else one of {@link ResultMessage}'s types; empty if none. */
    public String type() {
        return tree == null ? "" : tree.path("type").asText();
    }

    /** The dead-lettered task; fails (to be retried) if the body is not one. */
    public ChunkTask task() {
        return RecordJson.read(tree.traverse(), ChunkTask.class);
    }

    /** The result message; fails (to be retried) if the body is not one. */
    public ResultMessage result() {
        return RecordJson.read(tree.traverse(), ResultMessage.class);
    }
}
