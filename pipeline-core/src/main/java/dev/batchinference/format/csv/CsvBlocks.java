package dev.batchinference.format.csv;

import dev.batchinference.format.ByteBlock;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.RowBlocks;
import dev.batchinference.format.RowReader;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A CSV chunk's records in blocks of about {@link #BLOCK_BYTES} (or more for a longer record), each cut after a record's line break,
 * so that each block can be read by its own {@link CsvRowReader} on another thread. Records end where
 * {@link CsvRecordScanner} says; a block without any quote (the common case) is cut at its last line break.
 */
final class CsvBlocks implements RowBlocks {
    static final int BLOCK_BYTES = 512 * 1024;

    private final InputStream in;
    private final char delimiter;
    private final ColumnMapping mapping;
    private final CsvRecordScanner scanner;
    private byte[] carried = new byte[0];
    private int carriedLength;
    private boolean endOfInput;
    private final int blockBytes;

    CsvBlocks(InputStream in, char delimiter, ColumnMapping mapping, int blockBytes) {
        this.in = in;
        this.blockBytes = blockBytes;
        this.delimiter = delimiter;
        this.mapping = mapping;
        this.scanner = new CsvRecordScanner(delimiter);
    }

    @Override
    public boolean fill(ByteBlock block) throws IOException {
        block.ensureCapacity(Math.max(blockBytes, carriedLength * 2));
        System.arraycopy(carried, 0, block.bytes(), 0, carriedLength);
        int length = carriedLength;
        carriedLength = 0;
        while (true) {
            byte[] bytes = block.bytes();
            while (!endOfInput && length < bytes.length) {
                int n = in.read(bytes, length, bytes.length - length);
                if (n < 0) {
                    endOfInput = true;
                } else {
                    length += n;
                }
            }
            if (endOfInput) {
                block.setLength(length);
                return length > 0;
            }
            int cut = afterLastRecordEnd(scanner, bytes, length);
            if (cut > 0) {
                carry(bytes, cut, length);
                block.setLength(cut);
                return true;
            }
            block.ensureCapacity(bytes.length * 2);
        }
    }

    private void carry(byte[] bytes, int from, int to) {
        carriedLength = to - from;
        if (carried.length < carriedLength) {
            carried = Arrays.copyOf(carried, Math.max(carriedLength, carried.length * 2));
        }
        System.arraycopy(bytes, from, carried, 0, carriedLength);
    }

    /** The index just past the last line break that ends a record in {@code bytes[0, length)}; 0 if none does. */
    static int afterLastRecordEnd(CsvRecordScanner scanner, byte[] bytes, int length) {
        if (!CsvBytes.contains(bytes, length, (byte) '"')) {
            for (int i = length - 1; i >= 0; i--) {
                if (CsvRecordScanner.isLineBreak(bytes[i])) {
                    return i + 1;
                }
            }
            return 0;
        }
        scanner.reset(); // a block starts where a record does
        int cut = 0;
        int end;
        while ((end = scanner.nextRecordEnd(bytes, cut, length)) >= 0) {
            cut = end;
        }
        return cut;
    }

    @Override
    public RowReader rows(ByteBlock block) {
        return CsvRowReader.ofBlock(block, delimiter, mapping);
    }
}
