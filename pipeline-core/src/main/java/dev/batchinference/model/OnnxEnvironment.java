package dev.batchinference.model;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * ONNX Runtime's process-wide environment, created on a thread with the stack its creation needs.
 *
 * <p>Creating the environment reads the process's command line ({@code /proc/self/cmdline}) and matches it
 * with a recursive routine about three native frames deep per character: on a thread with the JVM's
 * default 1 MiB stack, a command line of about 3,900 bytes (80 file arguments to {@code ./pipeline run},
 * or one long {@code -D} option) overflows the stack and the JVM dies with SIGSEGV, without an error
 * file. Every caller gets the environment from here, so the first creation, wherever it happens (the
 * CLI, the worker's warm-up, SnapStart's priming), runs on a thread sized for this process's command line.
 */
public final class OnnxEnvironment {
    /** Stack per byte of command line: the overflow point measured here is about 270 bytes; four times that. */
    private static final long STACK_BYTES_PER_COMMAND_LINE_BYTE = 1024;
    private static final long MIN_STACK_BYTES = 16L * 1024 * 1024;
    private static final AtomicReference<OrtEnvironment> ENVIRONMENT = new AtomicReference<>();

    private OnnxEnvironment() {
    }

    /** The environment, created the first time on a thread with {@link #stackBytesNeeded()} of stack. */
    public static OrtEnvironment get() {
        OrtEnvironment env = ENVIRONMENT.get();
        if (env != null) {
            return env;
        }
        synchronized (OnnxEnvironment.class) {
            if (ENVIRONMENT.get() == null) {
                java.util.Set<Path> before = unpackFolders();
                ENVIRONMENT.set(createOnLargeStack());
                removeUnpackFolders(before);
            }
            return ENVIRONMENT.get();
        }
    }

    /** What creating the environment needs for this process's command line, with a margin. */
    public static long stackBytesNeeded() {
        return Math.max(MIN_STACK_BYTES, MIN_STACK_BYTES / 2 + STACK_BYTES_PER_COMMAND_LINE_BYTE * commandLineBytes());
    }

    private static OrtEnvironment createOnLargeStack() {
        AtomicReference<OrtEnvironment> created = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread thread = new Thread(null, () -> {
            try {
                created.set(OrtEnvironment.getEnvironment());
            } catch (Throwable e) {
                failed.set(e);
            }
        }, "onnxruntime-environment", stackBytesNeeded());
        thread.setDaemon(true);
        thread.start();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the environment is being created either way: wait for it, then keep the interrupt
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable failure = failed.get();
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException("ONNX Runtime's environment could not be created", failure);
        }
        return created.get();
    }

    /**
     * ONNX Runtime unpacks its native libraries into a new {@code onnxruntime-java*} folder under the temporary
     * directory and only marks them for deletion at exit, the folder before the files, so the folder stays
     * behind after every process, and the files (about 20 MB) stay in /tmp as long as a Lambda environment
     * lives. Once loaded they are not needed (the pipeline uses no extra execution providers).
     */
    private static java.util.Set<Path> unpackFolders() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (var folders = Files.newDirectoryStream(tmp, "onnxruntime-java*")) {
            java.util.Set<Path> found = new java.util.HashSet<>();
            folders.forEach(found::add);
            return found;
        } catch (IOException | RuntimeException e) {
            return null; // nothing is removed when the folders cannot be listed
        }
    }

    /** Removes the folders that appeared while this process loaded the libraries, with the loaded files in them. */
    private static void removeUnpackFolders(java.util.Set<Path> before) {
        java.util.Set<Path> after = before == null ? null : unpackFolders();
        if (after == null) {
            return;
        }
        after.removeAll(before);
        for (Path folder : after) {
            try (var files = Files.newDirectoryStream(folder)) {
                for (Path file : files) {
                    Files.deleteIfExists(file); // a loaded library can go on Linux; where it cannot, it stays
                }
                Files.deleteIfExists(folder);
            } catch (IOException | RuntimeException e) {
                // kept; the runtime's own deletion at exit still applies
            }
        }
    }

    /** The length of the command line as ONNX Runtime reads it; where there is no {@code /proc}, as Java reports it. */
    static long commandLineBytes() {
        Path cmdline = Path.of("/proc/self/cmdline");
        try {
            if (Files.isReadable(cmdline)) {
                return Files.readAllBytes(cmdline).length;
            }
        } catch (IOException | SecurityException e) {
            // fall back to what the JVM knows
        }
        return ProcessHandle.current().info().commandLine().map(String::length).orElse(0);
    }
}
