package dev.batchinference.format.parquet;

import io.airlift.compress.Compressor;
import io.airlift.compress.Decompressor;
import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lz4.Lz4Compressor;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.airlift.compress.zstd.ZstdCompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.brotli.dec.BrotliInputStream;

/**
 * Parquet's page codecs without Hadoop and without native code. parquet-hadoop's own {@code CodecFactory}
 * works through Hadoop's {@code CompressionCodec} classes (so it needs hadoop-common at run time) and
 * through snappy-java and zstd-jni, which carry a native library per platform and unpack it to /tmp
 * when first used. Here SNAPPY, ZSTD and LZ4_RAW come from aircompressor (pure Java, already
 * parquet-hadoop's LZ4_RAW codec), GZIP from the JDK, and BROTLI (read only) from Google's pure-Java
 * decoder, org.brotli:dec; other codecs (LZO, Hadoop's framed LZ4) end the job UNSUPPORTED_FORMAT.
 */
final class ParquetCodecs implements CompressionCodecFactory {
    static final ParquetCodecs INSTANCE = new ParquetCodecs();

    /** The codecs whose pages the pipeline reads; ingest refuses a file with any other (UNSUPPORTED_FORMAT). */
    static final java.util.Set<CompressionCodecName> READABLE = java.util.Collections.unmodifiableSet(java.util.EnumSet.of(
            CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY, CompressionCodecName.GZIP,
            CompressionCodecName.ZSTD, CompressionCodecName.LZ4_RAW, CompressionCodecName.BROTLI));

    private ParquetCodecs() {
    }

    /** One codec's two directions on whole pages; an instance serves one reader or writer (one thread). */
    private interface Codec {
        /** Compresses {@code page[0..length)} into an array of its own. */
        byte[] compress(byte[] page, int length) throws IOException;

        /** Decompresses {@code compressed[offset..offset + length)} into exactly {@code into.length} bytes. */
        void decompress(byte[] compressed, int offset, int length, byte[] into) throws IOException;
    }

    private static Codec codec(CompressionCodecName name) {
        return switch (name) {
            case UNCOMPRESSED -> new Codec() {
                public byte[] compress(byte[] page, int length) {
                    return Arrays.copyOf(page, length);
                }

                public void decompress(byte[] compressed, int offset, int length, byte[] into) throws IOException {
                    check(length == into.length, name);
                    System.arraycopy(compressed, offset, into, 0, into.length);
                }
            };
            case SNAPPY -> airlift(name, SnappyCompressor::new, SnappyDecompressor::new);
            case ZSTD -> airlift(name, ZstdCompressor::new, ZstdDecompressor::new);
            case LZ4_RAW -> airlift(name, Lz4Compressor::new, Lz4Decompressor::new);
            case GZIP -> new Codec() {
                public byte[] compress(byte[] page, int length) throws IOException {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(length / 2 + 64);
                    try (OutputStream gzip = new GZIPOutputStream(out, 64 * 1024)) {
                        gzip.write(page, 0, length);
                    }
                    return out.toByteArray();
                }

                public void decompress(byte[] compressed, int offset, int length, byte[] into) throws IOException {
                    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed, offset, length),
                            64 * 1024)) {
                        check(in.readNBytes(into, 0, into.length) == into.length && in.read() < 0, name);
                    }
                }
            };
            case BROTLI -> new Codec() {
                public byte[] compress(byte[] page, int length) {
                    throw new UnsupportedOperationException("the pipeline reads BROTLI pages but does not write them:"
                            + " choose snappy, zstd, gzip or none for PARQUET_COMPRESSION");
                }

                public void decompress(byte[] compressed, int offset, int length, byte[] into) throws IOException {
                    try (InputStream in = new BrotliInputStream(new ByteArrayInputStream(compressed, offset, length))) {
                        check(in.readNBytes(into, 0, into.length) == into.length && in.read() < 0, name);
                    }
                }
            };
            default -> throw new PipelineException(FailureReason.UNSUPPORTED_FORMAT, "Parquet pages compressed with "
                    + name + " are not supported: write the file with " + READABLE);
        };
    }

    private static Codec airlift(CompressionCodecName name, Supplier<Compressor> compressors,
                                 Supplier<Decompressor> decompressors) {
        return new Codec() {
            private Compressor compressor;
            private Decompressor decompressor;
            /** room for the largest output yet, reused: only the compressed bytes are copied out of it */
            private byte[] out = new byte[0];

            public byte[] compress(byte[] page, int length) {
                if (compressor == null) {
                    compressor = compressors.get();
                }
                int room = compressor.maxCompressedLength(length);
                if (out.length < room) {
                    out = new byte[room];
                }
                return Arrays.copyOf(out, compressor.compress(page, 0, length, out, 0, room));
            }

            public void decompress(byte[] compressed, int offset, int length, byte[] into) throws IOException {
                if (decompressor == null) {
                    decompressor = decompressors.get();
                }
                try {
                    check(decompressor.decompress(compressed, offset, length, into, 0, into.length) == into.length,
                            name);
                } catch (MalformedInputException e) {
                    throw new IOException("a " + name + " page is corrupt: " + e.getMessage(), e);
                }
            }
        };
    }

    private static void check(boolean sizeMatches, CompressionCodecName name) throws IOException {
        if (!sizeMatches) {
            throw new IOException("a " + name + " page did not decompress to the size its header gives");
        }
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName name) {
        Codec codec = codec(name);
        return new BytesInputCompressor() {
            /** a page's pieces (levels, values) gathered in one array, reused from page to page */
            private final PageBytes page = new PageBytes();

            @Override
            public BytesInput compress(BytesInput bytes) throws IOException {
                if (name == CompressionCodecName.UNCOMPRESSED) {
                    return bytes;
                }
                page.reset();
                bytes.writeAllTo(page);
                return BytesInput.from(codec.compress(page.array(), page.size()));
            }

            @Override
            public CompressionCodecName getCodecName() {
                return name;
            }

            @Override
            public void release() {
            }
        };
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName name) {
        Codec codec = codec(name);
        return new BytesInputDecompressor() {
            @Override
            public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
                if (name == CompressionCodecName.UNCOMPRESSED) {
                    return bytes;
                }
                byte[] page = new byte[uncompressedSize];
                // a view of the bytes where they are one buffer already (the usual case), a copy otherwise
                decompress(bytes.toInputStream().slice((int) bytes.size()), page);
                return BytesInput.from(page);
            }

            @Override
            public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
                    throws IOException {
                ByteBuffer compressed = input.slice().limit(compressedSize);
                input.position(input.position() + compressedSize);
                byte[] page = new byte[uncompressedSize];
                decompress(compressed, page);
                output.put(page);
            }

            private void decompress(ByteBuffer compressed, byte[] page) throws IOException {
                if (compressed.hasArray()) {
                    codec.decompress(compressed.array(), compressed.arrayOffset() + compressed.position(),
                            compressed.remaining(), page);
                } else {
                    byte[] copy = new byte[compressed.remaining()];
                    compressed.get(copy);
                    codec.decompress(copy, 0, copy.length, page);
                }
            }

            @Override
            public void release() {
            }
        };
    }

    @Override
    public void release() {
    }

    /** An output stream onto an array that is kept, for one page after another. */
    private static final class PageBytes extends ByteArrayOutputStream {
        byte[] array() {
            return buf;
        }
    }
}
