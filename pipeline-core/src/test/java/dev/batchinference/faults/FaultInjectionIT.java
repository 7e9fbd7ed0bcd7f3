package dev.batchinference.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.inference.ChunkWorker;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.job.CompletionGroups;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.OutputManifest;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.InMemoryMessageSender;
import dev.batchinference.results.JobCollator;
import dev.batchinference.storage.InMemoryObjectStore;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property-style fault injection: many seeded cases, each running a job through the three cores while
 * functions die at named points (a writer too, between the levels of a job's completion groups), S3 answers 503, and a simulated SQS redelivers, duplicates, reorders and
 * dead-letters messages. After each case the invariants of docs/design.md must hold: the job is terminal, every
 * input row is in the output or the errors file exactly once and in order (the outputs are byte-identical
 * to a clean run's), exactly one output, the input unchanged. A job that fails ends CHUNK_FAILED (a chunk ran out
 * of receives) or OUTPUT_WRITE_FAILED (collation failed COLLATE_MAX_ATTEMPTS times, which takes as many faults
 * while collating), and leaves no partial outputs. {@code -Dfaults.seeds=N} runs more cases.
 */
class FaultInjectionIT {
    private static final int SEEDS = Integer.getInteger("faults.seeds", 150);
    private static final int WORK_MAX_RECEIVES = 3;
    private static final int RESULTS_MAX_RECEIVES = 5;
    private static final int MAX_DELIVERIES = 20_000;
    /** 16 chunks in completion groups of 10: two groups and a root, so that climbs race across levels. */
    private static final int CHUNK_ROWS = 10;
    private static final int FANOUT = 10;
    private static final String KEY = "incoming/iris/faults/iris with bad rows.csv";

    @TempDir
    Path dir;

    /** An SQS message as the simulation tracks it. */
    private static final class Message {
        final String body;
        int receives;

        Message(String body) {
            this.body = body;
        }
    }

    /** A clock that moves forward with every delivery, as queue visibility timeouts make time pass. */
    private static final class SteppingClock extends Clock {
        private Instant now = Instant.parse("2026-11-24T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private record Outcome(JobSummary summary, String predictions, String errors, List<String> outputKeys,
                           Map<Fault, Integer> injected, List<String> violations) {
    }

    private static byte[] input() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(Samples.data("iris.csv")));
        lines.add(40, "bad-1,5.1,,1.4,0.2,setosa");
        lines.add(90, "bad-2,abc,3.0,4.0,1.0,versicolor");
        lines.add(130, "bad-3,6.0,3.0,4.0");
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private Outcome run(long seed, boolean faults, Limits limits) throws IOException {
        FaultPlan plan = faults ? new FaultPlan(seed) : null;
        InMemoryObjectStore raw = new InMemoryObjectStore();
        Path cache = Files.createDirectories(dir.resolve("cache-" + seed + "-" + faults));
        ModelStore setup = new ModelStore(raw, cache);
        Samples.publish(setup, "iris");
        byte[] input = input();
        raw.write(KEY, input);

        var store = faults ? new FaultyObjectStore(raw, plan) : raw;
        SteppingClock clock = new SteppingClock();
        InMemoryMessageSender work = new InMemoryMessageSender();
        InMemoryMessageSender results = new InMemoryMessageSender();
        ModelStore models = new ModelStore(store, cache);
        JobIngestor ingestor = new JobIngestor("bucket", store, models, work, results,
                new ChunkLimits(CHUNK_ROWS, Long.MAX_VALUE), DataSettings.defaults(), limits, clock);
        ChunkWorker worker = new ChunkWorker(store, models, new ModelCache(),
                faults ? new FaultyMessageSender(results, plan) : results, 16);
        List<JobCollator> writers = List.of(
                new JobCollator(store, Duration.ofMinutes(15), limits, clock, "writer-a",
                        new CompletionGroups(store, FANOUT)),
                new JobCollator(store, Duration.ofMinutes(15), limits, clock, "writer-b",
                        new CompletionGroups(store, FANOUT)));

        // S3 invokes ingest again after a failure (and a scheduled sweep would find the object at last)
        String jobId = null;
        for (int attempt = 0; jobId == null && attempt < 50; attempt++) {
            try {
                jobId = ingestor.ingest(KEY).jobId();
            } catch (RuntimeException e) {
                clock.advance(Duration.ofSeconds(30));
            }
        }
        LinkedList<Message> workQueue = new LinkedList<>();
        LinkedList<Message> resultsQueue = new LinkedList<>();
        LinkedList<Message> workDlq = new LinkedList<>();
        LinkedList<Message> resultsDlq = new LinkedList<>();
        int deliveries = 0;
        while (deliveries < MAX_DELIVERIES) {
            work.drain().forEach(b -> workQueue.add(new Message(b)));
            results.drain().forEach(b -> resultsQueue.add(new Message(b)));
            List<LinkedList<Message>> ready = new ArrayList<>();
            for (LinkedList<Message> q : List.of(workQueue, resultsQueue, workDlq, resultsDlq)) {
                if (!q.isEmpty()) {
                    ready.add(q);
                }
            }
            if (ready.isEmpty()) {
                break;
            }
            LinkedList<Message> queue = ready.get(faults ? plan.nextInt(ready.size()) : 0);
            int index = faults && queue.size() > 1 && plan.strikes(Fault.REORDERED_DELIVERY) ? plan.nextInt(queue.size()) : 0;
            Message message = queue.get(index);
            deliveries++;
            clock.advance(Duration.ofSeconds(20));
            message.receives++;
            if (queue == workQueue && message.receives > WORK_MAX_RECEIVES) {
                queue.remove(index);
                workDlq.add(new Message(message.body));
                continue;
            }
            if (queue == resultsQueue && message.receives > RESULTS_MAX_RECEIVES) {
                queue.remove(index); // to the results DLQ, which the writer drains too, without a limit
                resultsDlq.add(new Message(message.body));
                continue;
            }
            boolean handled;
            try {
                if (queue == workQueue) {
                    worker.process(message.body);
                } else {
                    writers.get(faults ? plan.nextInt(2) : 0).handle(message.body);
                }
                handled = true;
            } catch (RuntimeException e) {
                handled = false; // the function failed: SQS delivers the message again
            }
            if (handled && !(faults && plan.strikes(Fault.DUPLICATE_DELIVERY))) {
                queue.remove(index);
            }
        }

        List<String> violations = new ArrayList<>();
        JobSummary summary = jobId == null ? null : new JobStore(raw).terminal(jobId).orElse(null);
        if (summary == null) {
            violations.add("job " + jobId + " is not terminal after " + deliveries + " deliveries");
        }
        if (!java.util.Arrays.equals(bytes(raw, KEY), input)) {
            violations.add("the input changed");
        }
        return new Outcome(summary, predictions(raw, violations), text(raw, JobKeys.errors(KEY)),
                raw.list("output/"), plan == null ? Map.of() : plan.injected(), violations);
    }

    /**
     * The predictions as a consumer reads them: the one object, or, where a manifest was written, its parts in its
     * order, the header once (as one object holds them); a part it lists that is missing, or listed twice, or of
     * another size than listed, is a violation.
     */
    private static String predictions(InMemoryObjectStore raw, List<String> violations) {
        String manifestKey = JobKeys.predictionsManifest(KEY);
        if (raw.head(manifestKey).isEmpty()) {
            return text(raw, JobKeys.predictions(KEY));
        }
        OutputManifest manifest = JsonCodec.read(bytes(raw, manifestKey), OutputManifest.class);
        String header = new String(OutputCsv.line(manifest.columns()), StandardCharsets.UTF_8);
        StringBuilder all = new StringBuilder(header);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (OutputManifest.Part part : manifest.parts()) {
            if (!seen.add(part.key())) {
                violations.add("the manifest lists " + part.key() + " twice");
            }
            if (raw.head(part.key()).map(o -> o.size() != part.bytes()).orElse(true)) {
                violations.add("the manifest lists " + part.key() + " of " + part.bytes() + " bytes, which is not there");
                continue;
            }
            String text = text(raw, part.key());
            all.append(text.startsWith(header) ? text.substring(header.length()) : "(no header) " + text);
        }
        return all.toString();
    }

    /**
     * Every other case writes its predictions in parts (MAX_OUTPUT_PARTS 3: two chunks per part object, eight parts
     * and a manifest), which must read back, in the manifest's order, as the clean run's one object.
     */
    @Test
    void everyRowOnceInOrderWhateverFailsAndEveryJobEnds() throws IOException {
        Limits inParts = Limits.defaults().withOutputLimits(3, Long.MAX_VALUE);
        Outcome clean = run(0, false, Limits.defaults());
        Outcome cleanInParts = run(0, false, inParts);
        assertThat(cleanInParts.summary().outputParts()).isEqualTo(8);
        assertThat(cleanInParts.predictions()).isEqualTo(clean.predictions());
        assertThat(cleanInParts.violations()).isEmpty();
        assertThat(clean.summary().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(clean.summary().rowsIn()).isEqualTo(153);
        assertThat(clean.summary().rowsRejected()).isEqualTo(3);

        Map<Fault, Integer> totals = new EnumMap<>(Fault.class);
        List<String> violations = new ArrayList<>();
        int succeeded = 0;
        int failed = 0;
        int outputsNotWritten = 0;
        int writtenInParts = 0;
        long rowsChecked = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            boolean parts = seed % 2 == 0;
            Outcome o = run(seed, true, parts ? inParts : Limits.defaults());
            o.injected().forEach((fault, n) -> totals.merge(fault, n, Integer::sum));
            o.violations().forEach(v -> violations.add("seed " + o + ": " + v));
            if (o.summary() == null) {
                continue;
            }
            if (o.summary().state() == JobState.SUCCEEDED) {
                succeeded++;
                rowsChecked += o.summary().rowsIn();
                check(violations, o.predictions().equals(clean.predictions()), o, "predictions differ from the clean run");
                check(violations, o.errors().equals(clean.errors()), o, "errors file differs from the clean run");
                check(violations, o.summary().rowsIn() == o.summary().rowsOut() + o.summary().rowsRejected(), o,
                        "rows in != rows out + rejected");
                check(violations, o.outputKeys().equals((parts ? cleanInParts : clean).outputKeys()), o,
                        "outputs " + o.outputKeys());
                writtenInParts += parts ? 1 : 0;
            } else if (o.summary().reason() == FailureReason.OUTPUT_WRITE_FAILED) {
                // collation failed as often as a deployment allows (COLLATE_MAX_ATTEMPTS): only a storm of faults
                // while collating may do that, and what it left is whole: predictions only with their errors file
                outputsNotWritten++;
                check(violations, o.injected().getOrDefault(Fault.DURING_COLLATION, 0)
                        + o.injected().getOrDefault(Fault.S3_SLOW_DOWN, 0) >= Limits.DEFAULT_MAX_COLLATE_ATTEMPTS, o,
                        "OUTPUT_WRITE_FAILED with fewer faults than collation attempts");
                check(violations, o.predictions().isEmpty() || o.predictions().equals(clean.predictions())
                        && o.errors().equals(clean.errors()), o, "OUTPUT_WRITE_FAILED left partial outputs");
            } else {
                failed++;
                check(violations, o.summary().reason() == FailureReason.CHUNK_FAILED, o,
                        "failed with " + o.summary().reason());
                check(violations, o.predictions().isEmpty(), o, "a failed job left predictions");
            }
        }
        System.out.printf("fault injection: %d cases (%d succeeded, %d of them with predictions in parts; %d failed with"
                + " CHUNK_FAILED after retries ran out, %d with OUTPUT_WRITE_FAILED after collation failed %d times),"
                + " %,d rows checked, %d violations%n", SEEDS, succeeded, writtenInParts, failed, outputsNotWritten,
                Limits.DEFAULT_MAX_COLLATE_ATTEMPTS, rowsChecked, violations.size());
        totals.forEach((fault, n) -> System.out.printf("  %-20s %,6d injected%n", fault, n));
        violations.forEach(v -> System.out.println("  VIOLATION " + v));

        assertThat(violations).isEmpty();
        assertThat(writtenInParts).as("cases that succeeded with predictions in parts").isPositive();
        assertThat(totals.keySet()).as("every kind of fault was injected somewhere").containsAll(List.of(Fault.values()));
    }

    private static void check(List<String> violations, boolean holds, Outcome o, String what) {
        if (!holds) {
            violations.add(what + " (faults " + o.injected() + ")");
        }
    }

    private static String text(InMemoryObjectStore store, String key) {
        try {
            return new String(bytes(store, key), StandardCharsets.UTF_8);
        } catch (NoSuchKeyException e) {
            return "";
        }
    }

    private static byte[] bytes(InMemoryObjectStore store, String key) {
        try (InputStream in = store.read(key)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
