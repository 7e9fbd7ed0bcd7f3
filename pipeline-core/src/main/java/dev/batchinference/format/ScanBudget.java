package dev.batchinference.format;

/**
 * How much one planning pass may scan before it hands the rest of the input over to another invocation: asked at
 * each chunk cut, so a pass always ends on a chunk boundary (a record boundary, with every staged chunk whole).
 */
@FunctionalInterface
public interface ScanBudget {
    /** Never spent: the pass plans the whole input (a local file, or ingest with nowhere to hand over to). */
    ScanBudget UNLIMITED = bytesScanned -> false;

    /** Whether the pass, having scanned {@code bytesScanned} bytes since it began, should stop at this cut. */
    boolean spent(long bytesScanned);
}
