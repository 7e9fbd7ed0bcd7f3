package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.OutputManifest;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The end of a followed job as {@code run} and {@code submit} report it: the {@code --json} fields (a contract: docs/design.md),
 * with outputs copied to a local folder, printed as a table or one JSON document.
 */
final class JobReports {
    private JobReports() {
    }

    /**
     * One job's report; its outputs are copied into the claim's folder under the claim's name when there is a
     * claim (null: the outputs stay in the bucket, and the report gives their keys).
     */
    static ObjectNode report(ObjectStore store, OutputFolder.Claim claim, String jobId, String input, String inputKey,
                             String model, Optional<JobSummary> end, Duration timeout) throws IOException {
        ObjectNode r = JsonCodec.mapper().createObjectNode();
        r.put("jobId", jobId);
        r.put("input", input);
        r.put("model", model);
        r.put("notice", claim == null ? null : claim.notice());
        if (end.isEmpty()) {
            r.put("state", JobState.RUNNING.name());
            r.put("reason", "TIMEOUT");
            r.put("message", "the job had not ended after " + timeout + " (raise --timeout; `./pipeline status "
                    + jobId + " --follow` keeps watching)");
            return r;
        }
        JobSummary s = end.get();
        r.put("modelVersion", s.modelVersion());
        r.put("state", s.state().name());
        r.put("reason", s.reason() == null ? null : s.reason().name());
        r.put("message", s.message());
        r.put("rowsIn", s.rowsIn());
        r.put("rowsOut", s.rowsOut());
        r.put("rowsRejected", s.rowsRejected());
        r.put("chunks", s.chunks());
        String summary = JobKeys.summary(inputKey);
        Map<String, Path> local = claim == null ? Map.of()
                : claim.receive(store, JobKeys.outputBase(inputKey), outputKeys(store, s, summary));
        r.put("output", where(local, s.output()));
        r.put("errors", where(local, s.errors()));
        r.put("summary", where(local, summary));
        r.put("durationMs", s.durationMs());
        return r;
    }

    /**
     * The keys of a job's outputs: the predictions (for predictions written in parts, the manifest and every part it
     * lists), the errors file and the summary; nulls where there is none.
     */
    static List<String> outputKeys(ObjectStore store, JobSummary s, String summary) throws IOException {
        List<String> keys = new ArrayList<>(Arrays.asList(s.output(), s.errors(), summary));
        if (s.output() != null && s.outputParts() != null) {
            try (InputStream in = store.read(s.output())) {
                JsonCodec.read(in.readAllBytes(), OutputManifest.class).parts().forEach(p -> keys.add(p.key()));
            }
        }
        return keys;
    }

    /** The local copy of a key where there is one, else the key. */
    private static String where(Map<String, Path> local, String key) {
        return key == null ? null : local.containsKey(key) ? local.get(key).toString() : key;
    }

    static void print(List<ObjectNode> reports, boolean json) {
        if (json) {
            ObjectNode doc = JsonCodec.mapper().createObjectNode();
            ArrayNode array = doc.putArray("jobs");
            reports.forEach(array::add);
            System.out.println(doc.toPrettyString());
            return;
        }
        for (ObjectNode r : reports) {
            String state = r.path("state").asText();
            System.out.printf("%-9s %s  job %s  model %s v%s%n", state, r.path("input").asText(), r.path("jobId").asText(),
                    r.path("model").asText(), r.path("modelVersion").asText("?"));
            if (r.hasNonNull("rowsIn")) {
                System.out.printf("          %,d rows in, %,d predicted, %,d rejected, %d chunk(s), %,d ms%n",
                        r.path("rowsIn").asLong(), r.path("rowsOut").asLong(), r.path("rowsRejected").asLong(),
                        r.path("chunks").asInt(), r.path("durationMs").asLong());
            }
            if (r.hasNonNull("notice")) {
                System.out.printf("          note     %s%n", r.path("notice").asText());
            }
            if (r.hasNonNull("reason")) {
                System.out.printf("          %s: %s%n", r.path("reason").asText(), r.path("message").asText());
            }
            for (String field : List.of("output", "errors", "summary")) {
                if (r.hasNonNull(field)) {
                    System.out.printf("          %-8s %s%n", field, r.path(field).asText());
                }
            }
        }
    }
}
