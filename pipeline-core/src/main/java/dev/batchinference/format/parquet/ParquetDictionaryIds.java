package dev.batchinference.format.parquet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.column.values.bitpacking.BytePacker;
import org.apache.parquet.column.values.bitpacking.Packer;

/**
 * The dictionary ids of one dictionary-encoded data page, decoded a run at a time. The page holds a bit
 * width, then runs in Parquet's RLE / bit-packing hybrid: a run of one repeated id, or groups of 8 ids
 * packed in {@code bitWidth} bits each, unpacked with parquet-encoding's {@link BytePacker}. parquet-column's
 * decoder returns one id per call; filling a block of ids a run at a time is what makes dictionary-encoded
 * columns cheap to read.
 */
final class ParquetDictionaryIds {
    private final int dictionarySize;
    /** the runs are {@code bytes[position..end)} */
    private final byte[] bytes;
    private int position;
    private final int end;
    private final int bitWidth;
    private final BytePacker packer;

    private int repeatedLeft;
    private int repeated;
    private int packedLeft;
    private final int[] group = new int[8];
    private int inGroup = 8;

    /** @param in the page's values: the bit width byte, then the runs, to the end of the page */
    ParquetDictionaryIds(int dictionarySize, ByteBufferInputStream in) throws IOException {
        this.dictionarySize = dictionarySize;
        this.bitWidth = in.read();
        if (bitWidth < 0 || bitWidth > 32) {
            throw new IOException("a dictionary page of ids " + bitWidth + " bits wide");
        }
        ByteBuffer runs = ParquetColumnPages.rest(in);
        this.bytes = runs.array();
        this.position = runs.arrayOffset() + runs.position();
        this.end = position + runs.remaining();
        this.packer = Packer.LITTLE_ENDIAN.newBytePacker(bitWidth);
    }

    /**
     * The next {@code to - from} ids, into {@code into[from..to)}. An id of a bit-packed run is not checked
     * against the dictionary's size: the caller's look-up of it fails instead.
     */
    void read(int[] into, int from, int to) throws IOException {
        int i = from;
        while (i < to) {
            if (repeatedLeft > 0) {
                int n = Math.min(repeatedLeft, to - i);
                Arrays.fill(into, i, i + n, repeated);
                repeatedLeft -= n;
                i += n;
            } else if (packedLeft > 0) {
                if (inGroup == 8 && packedLeft >= 8 && to - i >= 8) {
                    // a whole group, unpacked where it goes
                    unpackGroup(into, i);
                    packedLeft -= 8;
                    i += 8;
                    continue;
                }
                if (inGroup == 8) {
                    nextGroup();
                }
                int n = Math.min(Math.min(8 - inGroup, packedLeft), to - i);
                System.arraycopy(group, inGroup, into, i, n);
                inGroup += n;
                packedLeft -= n;
                i += n;
            } else {
                nextRun();
            }
        }
    }

    /** The next id. */
    int next() throws IOException {
        while (repeatedLeft == 0 && packedLeft == 0) {
            nextRun();
        }
        if (repeatedLeft > 0) {
            repeatedLeft--;
            return repeated;
        }
        if (inGroup == 8) {
            nextGroup();
        }
        packedLeft--;
        return group[inGroup++];
    }

    private void nextGroup() {
        unpackGroup(group, 0);
        inGroup = 0;
    }

    /** The next 8 packed ids into {@code into[at..at + 8)}. */
    private void unpackGroup(int[] into, int at) {
        if (end - position >= bitWidth) {
            packer.unpack8Values(bytes, position, into, at);
        } else {
            // a last run that writers may cut short at the page's end: the missing bytes are zeros
            byte[] last = Arrays.copyOf(Arrays.copyOfRange(bytes, Math.min(position, end), end), bitWidth);
            packer.unpack8Values(last, 0, into, at);
        }
        position += bitWidth;
    }

    private void nextRun() throws IOException {
        int header = readUnsignedVarInt();
        if ((header & 1) == 0) {
            repeatedLeft = header >>> 1;
            int id = 0;
            for (int b = 0; b < (bitWidth + 7) / 8; b++) {
                if (position >= end) {
                    throw new IOException("a data page's dictionary ids end inside a run");
                }
                id |= (bytes[position++] & 0xFF) << (8 * b);
            }
            if (id < 0 || id >= dictionarySize) {
                throw new IOException("dictionary id " + id + " of a dictionary of " + dictionarySize);
            }
            repeated = id;
        } else {
            packedLeft = (header >>> 1) * 8;
            inGroup = 8;
        }
    }

    private int readUnsignedVarInt() throws IOException {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (position >= end) {
                break;
            }
            int b = bytes[position++] & 0xFF;
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("a data page's dictionary ids end before its values do");
    }
}
