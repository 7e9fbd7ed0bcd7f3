package dev.batchinference.local.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The owner ids of a local runtime's results writers, {@code local-<pid>-<process start, epoch ms>/results-writer-...}:
 * they say which process they ran in, so that a runtime restarted on the same bucket can tell a collation lock
 * left by a writer of an ended process (hand it back at once) from one a live writer holds (leave it to its lease).
 * On AWS writers have no such prefix, and leases alone decide.
 */
final class LocalWriterIds {
    private static final Pattern OWNER = Pattern.compile("^local-(\\d+)-(\\d+)/");
    /** How far two readings of one process's start time may differ (the OS counts it in clock ticks). */
    private static final Duration SAME_START = Duration.ofSeconds(1);

    private LocalWriterIds() {
    }

    /** The prefix of this process's writers' owner ids. */
    static String prefixOfThisProcess() {
        ProcessHandle self = ProcessHandle.current();
        return "local-" + self.pid() + "-" + startOf(self).map(Instant::toEpochMilli).orElse(0L) + "/";
    }

    /**
     * Whether {@code owner} is a local writer whose process has ended: no process has its id any more, or the one
     * that has it started at another time (the id was reused). Any other owner, a Lambda writer's among them, is
     * not known to have stopped.
     */
    static boolean ofAnEndedProcess(String owner) {
        Matcher m = OWNER.matcher(owner);
        if (!m.find()) {
            return false;
        }
        long pid = Long.parseLong(m.group(1));
        Instant started = Instant.ofEpochMilli(Long.parseLong(m.group(2)));
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            return true;
        }
        Optional<Instant> start = startOf(process.get());
        return start.isPresent() && started.toEpochMilli() != 0
                && Duration.between(started, start.get()).abs().compareTo(SAME_START) > 0;
    }

    private static Optional<Instant> startOf(ProcessHandle process) {
        return process.info().startInstant();
    }
}
