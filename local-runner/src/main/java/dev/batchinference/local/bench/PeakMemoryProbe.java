package dev.batchinference.local.bench;

import dev.batchinference.local.cli.PipelineCli;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs {@code predict} in a fresh JVM, then reports the process's peak resident set (VmHWM, kB; -1
 * where /proc is missing) and the heap's high-water mark (bytes, the sum of each heap pool's peak).
 * Arguments: the input file, the model folder, the output file.
 */
public final class PeakMemoryProbe {
    private PeakMemoryProbe() {
    }

    public static void main(String[] args) throws IOException {
        int exit = PipelineCli.execute("predict", args[0], "--model", args[1], "--out", args[2]);
        if (exit != 0) {
            System.exit(exit);
        }
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.println(ChildJvm.REPORT + " " + peakResidentKb() + " " + heapPeak);
        System.out.flush();
    }

    private static long peakResidentKb() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.substring("VmHWM:".length()).replace("kB", "").strip());
            }
        }
        return -1;
    }
}
