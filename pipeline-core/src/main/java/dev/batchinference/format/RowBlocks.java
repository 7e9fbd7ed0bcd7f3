package dev.batchinference.format;

import java.io.IOException;

/**
 * A chunk's rows cut into blocks of whole records, so that several threads can decode them at once:
 * one thread fills the blocks in order, any thread reads the rows of a filled block.
 */
public interface RowBlocks {

    /** Fills {@code block} with the next whole records, growing it if one record needs more room; false at the end. */
    boolean fill(ByteBlock block) throws IOException;

    /** The rows of a filled block, in order; safe to call from any thread. */
    RowReader rows(ByteBlock block);
}
