package dev.batchinference.local.runtime;

import java.util.concurrent.ThreadFactory;

/** Threads of the local runtime: named after the function or task they serve, never holding the JVM open. */
final class DaemonThreads {
    private DaemonThreads() {
    }

    static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
