package dev.batchinference.model;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectStore;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ONNX files of published model versions, as jobs use them: read from the bucket within the size limit,
 * checked against the pinned sha256, and kept on local disk so that a warm function (or a second job) skips
 * the download. {@link ModelStore} hands its fetch and check calls here.
 */
final class ModelFiles {
    private final ObjectStore store;
    private final Path cacheDir;
    private final long maxModelBytes;
    /** name/version/sha256 of the versions whose graph this instance has checked, so a warm ingest checks each once */
    private final Set<String> checkedGraphs = ConcurrentHashMap.newKeySet();

    ModelFiles(ObjectStore store, Path cacheDir, long maxModelBytes) {
        this.store = store;
        this.cacheDir = cacheDir.toAbsolutePath().normalize();
        this.maxModelBytes = maxModelBytes;
    }

    /** LIMIT_EXCEEDED when a model file of {@code size} bytes is over the limit (MAX_MODEL_BYTES). */
    void checkSize(String name, String version, long size) {
        if (size > maxModelBytes) {
            throw new PipelineException(FailureReason.LIMIT_EXCEEDED, "model '" + name + "' version '" + version
                    + "' has an ONNX file of " + size + " bytes, more than " + maxModelBytes + " (MAX_MODEL_BYTES)");
        }
    }

    /** See {@link ModelStore#checkGraph}. */
    void checkGraph(ModelStore.ResolvedModel model) {
        ModelRef ref = model.ref();
        String id = ref.name() + "/" + ref.version() + "/" + ref.sha256();
        if (checkedGraphs.contains(id)) {
            return;
        }
        String key = ModelKeys.version(ref.name(), ref.version()) + model.manifest().onnxFile().path();
        OnnxSignature signature;
        String actual;
        try (InputStream in = store.read(key)) {
            MessageDigest digest = sha256Digest();
            DigestInputStream hashing = new DigestInputStream(new BoundedInputStream(in, ref), digest);
            try {
                signature = OnnxSignature.read(hashing);
            } catch (OnnxSignature.NotOnnxException e) {
                // a file that is not the one pinned is a checksum mismatch first, whatever it holds
                hashing.transferTo(OutputStream.nullOutputStream());
                checkSha(ref, key, HexFormat.of().formatHex(digest.digest()));
                throw new PipelineException(FailureReason.MODEL_INVALID, "model '" + ref.name() + "' version '"
                        + ref.version() + "': " + key + " is not an ONNX model (" + e.getMessage() + ")");
            }
            hashing.transferTo(OutputStream.nullOutputStream());
            actual = HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchKeyException e) {
            throw missing(ref, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        checkSha(ref, key, actual);
        signature.requireUsableWith(model.manifest(), "model '" + ref.name() + "' version '" + ref.version() + "'");
        checkedGraphs.add(id);
    }

    /** See {@link ModelStore#fetch}. */
    Path fetch(ModelRef ref, ModelManifest manifest) {
        manifest.validated();
        if (!ModelNames.isValidName(ref.name()) || !ModelNames.isValidName(ref.version())
                || !ModelNames.isValidSha256(ref.sha256())) {
            throw new PipelineException(FailureReason.MODEL_INVALID, "the job pins model '"
                    + ModelNames.printable(String.valueOf(ref.name())) + "' version '"
                    + ModelNames.printable(String.valueOf(ref.version())) + "' sha256 '"
                    + ModelNames.printable(String.valueOf(ref.sha256())) + "', which is not a valid name, version and sha256");
        }
        Path cached = cacheDir.resolve(ref.name()).resolve(ref.sha256().toLowerCase(Locale.ROOT) + ".onnx").normalize();
        if (!cached.startsWith(cacheDir)) {
            throw new IllegalStateException("a cache path outside the cache directory: " + cached);
        }
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        String key = ModelKeys.version(ref.name(), ref.version()) + manifest.onnxFile().path();
        try {
            Files.createDirectories(cached.getParent());
            Path partial = Files.createTempFile(cached.getParent(), ref.sha256(), ".part");
            try {
                String actual;
                try (InputStream in = store.read(key)) {
                    actual = copyAndHash(new BoundedInputStream(in, ref), partial);
                }
                checkSha(ref, key, actual);
                Files.move(partial, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return cached;
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (NoSuchKeyException e) {
            throw missing(ref, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** See {@link ModelStore#loadVerified}. */
    byte[] loadVerified(ModelRef ref, ModelManifest manifest) {
        for (int attempt = 0; ; attempt++) {
            Path file = fetch(ref, manifest);
            try {
                checkSize(ref.name(), ref.version(), Files.size(file));
                byte[] bytes = Files.readAllBytes(file);
                String actual = HexFormat.of().formatHex(sha256Digest().digest(bytes));
                if (actual.equalsIgnoreCase(ref.sha256())) {
                    return bytes;
                }
                Files.deleteIfExists(file);
                if (attempt > 0) {
                    checkSha(ref, file.toString(), actual);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static PipelineException missing(ModelRef ref, String key) {
        return new PipelineException(FailureReason.MODEL_FILE_MISSING, "model '" + ref.name() + "' version '"
                + ref.version() + "' has no file at " + key);
    }

    private static void checkSha(ModelRef ref, String key, String actual) {
        if (!actual.equalsIgnoreCase(ref.sha256())) {
            throw new PipelineException(FailureReason.CHECKSUM_MISMATCH, "model '" + ref.name() + "' version '"
                    + ref.version() + "': " + key + " has sha256 " + actual + " but the manifest says " + ref.sha256());
        }
    }

    /** A model file's bytes, ending LIMIT_EXCEEDED once more than the limit have been read. */
    private final class BoundedInputStream extends FilterInputStream {
        private final ModelRef ref;
        private long read;

        BoundedInputStream(InputStream in, ModelRef ref) {
            super(in);
            this.ref = ref;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count(b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count(Math.max(n, 0));
            return n;
        }

        private void count(int n) {
            read += n;
            checkSize(ref.name(), ref.version(), read);
        }
    }

    /** The sha256 of a local file, in lower-case hex. */
    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return copyAndHash(in, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String copyAndHash(InputStream in, Path target) throws IOException {
        MessageDigest digest = sha256Digest();
        try (DigestInputStream hashing = new DigestInputStream(in, digest)) {
            if (target == null) {
                hashing.transferTo(OutputStream.nullOutputStream());
            } else {
                Files.copy(hashing, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
