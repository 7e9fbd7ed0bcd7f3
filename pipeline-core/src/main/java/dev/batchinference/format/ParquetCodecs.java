package dev.batchinference.format;

import io.airlift.compress.Compressor;
import io.airlift.compress.Decompressor;
import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lz4.Lz4Compressor;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.airlift.compress.zstd.ZstdCompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
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

/**
 * Parquet's page codecs without Hadoop and without native code. parquet-hadoop's own {@code CodecFactory}
 * works through Hadoop's {@code CompressionCodec} classes (so it needs hadoop-common at run time) and
 * through snappy-java and zstd-jni, which carry a native library per platform and unpack it to /tmp
 * when first used. Here SNAPPY, ZSTD and LZ4_RAW come from aircompressor (pure Java, already
 * parquet-hadoop's LZ4_RAW codec) and GZIP from the JDK; other codecs fail with a message naming them.
 */
final class ParquetCodecs implements CompressionCodecFactory {
    static final ParquetCodecs INSTANCE = new ParquetCodecs();

    private ParquetCodecs() {
    }

    /** One codec's two directions on whole pages; an instance serves one reader or writer (one thread). */
    private interface Codec {
        byte[] compress(byte[] page) throws IOException;

        /** Decompresses into exactly {@code into.length} bytes. */
        void decompress(byte[] compressed, byte[] into) throws IOException;
    }

    private static Codec codec(CompressionCodecName name) {
        return switch (name) {
            case UNCOMPRESSED -> new Codec() {
                public byte[] compress(byte[] page) {
                    return page;
                }

                public void decompress(byte[] compressed, byte[] into) throws IOException {
                    check(compressed.length == into.length, name);
                    System.arraycopy(compressed, 0, into, 0, into.length);
                }
            };
            case SNAPPY -> airlift(name, SnappyCompressor::new, SnappyDecompressor::new);
            case ZSTD -> airlift(name, ZstdCompressor::new, ZstdDecompressor::new);
            case LZ4_RAW -> airlift(name, Lz4Compressor::new, Lz4Decompressor::new);
            case GZIP -> new Codec() {
                public byte[] compress(byte[] page) throws IOException {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(page.length / 2 + 64);
                    try (OutputStream gzip = new GZIPOutputStream(out, 64 * 1024)) {
                        gzip.write(page);
                    }
                    return out.toByteArray();
                }

                public void decompress(byte[] compressed, byte[] into) throws IOException {
                    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed), 64 * 1024)) {
                        check(in.readNBytes(into, 0, into.length) == into.length && in.read() < 0, name);
                    }
                }
            };
            default -> throw new UnsupportedOperationException("Parquet pages compressed with " + name
                    + " are not supported: write the file with SNAPPY, ZSTD, GZIP, LZ4_RAW or no compression");
        };
    }

    private static Codec airlift(CompressionCodecName name, Supplier<Compressor> compressors,
                                 Supplier<Decompressor> decompressors) {
        return new Codec() {
            private Compressor compressor;
            private Decompressor decompressor;

            public byte[] compress(byte[] page) {
                if (compressor == null) {
                    compressor = compressors.get();
                }
                byte[] out = new byte[compressor.maxCompressedLength(page.length)];
                return Arrays.copyOf(out, compressor.compress(page, 0, page.length, out, 0, out.length));
            }

            public void decompress(byte[] compressed, byte[] into) throws IOException {
                if (decompressor == null) {
                    decompressor = decompressors.get();
                }
                try {
                    check(decompressor.decompress(compressed, 0, compressed.length, into, 0, into.length) == into.length,
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
            @Override
            public BytesInput compress(BytesInput bytes) throws IOException {
                return name == CompressionCodecName.UNCOMPRESSED ? bytes : BytesInput.from(codec.compress(bytes.toByteArray()));
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
                codec.decompress(bytes.toByteArray(), page);
                return BytesInput.from(page);
            }

            @Override
            public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
                    throws IOException {
                byte[] compressed = new byte[compressedSize];
                input.get(compressed);
                byte[] page = new byte[uncompressedSize];
                codec.decompress(compressed, page);
                output.put(page);
            }

            @Override
            public void release() {
            }
        };
    }

    @Override
    public void release() {
    }
}
