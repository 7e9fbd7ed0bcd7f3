package dev.batchinference.model;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The model store in the bucket: {@code models/<name>/current.json} points at
 * {@code models/<name>/versions/<version>/{model.onnx, manifest.json}}. Downloads are verified against
 * the manifest's sha256 and kept on local disk, so a warm function (or a second job) skips the download.
 */
public final class ModelStore {
    private final ObjectStore store;
    private final Path cacheDir;

    /** A model version and its manifest, as resolved for a job. */
    public record ResolvedModel(ModelRef ref, ModelManifest manifest) {
    }

    public ModelStore(ObjectStore store, Path cacheDir) {
        this.store = store;
        this.cacheDir = cacheDir;
    }

    /** The current version of a model; what a new job pins. */
    public ResolvedModel resolveCurrent(String name) {
        ModelPointer pointer;
        try (InputStream in = store.read(ModelKeys.pointer(name))) {
            pointer = JsonCodec.read(in.readAllBytes(), ModelPointer.class);
        } catch (NoSuchKeyException e) {
            throw new PipelineException(FailureReason.UNKNOWN_MODEL, "no model named '" + name + "': "
                    + ModelKeys.pointer(name) + " does not exist (publish the model first)");
        } catch (IOException | UncheckedIOException e) {
            throw new PipelineException(FailureReason.MODEL_INVALID, ModelKeys.pointer(name)
                    + " is not valid JSON: " + jsonProblem(e));
        }
        if (pointer.version() == null) {
            throw new PipelineException(FailureReason.MODEL_INVALID, ModelKeys.pointer(name) + " names no version");
        }
        ModelManifest manifest = readManifest(name, pointer.version());
        String sha256 = manifest.onnxFile().sha256();
        if (pointer.sha256() != null && !pointer.sha256().equalsIgnoreCase(sha256)) {
            throw new PipelineException(FailureReason.CHECKSUM_MISMATCH, "model '" + name + "' version '"
                    + pointer.version() + "': current.json says sha256 " + pointer.sha256()
                    + " but the manifest says " + sha256);
        }
        return new ResolvedModel(new ModelRef(name, pointer.version(), sha256), manifest);
    }

    private ModelManifest readManifest(String name, String version) {
        String key = ModelKeys.version(name, version) + ModelManifest.MANIFEST_FILE;
        try (InputStream in = store.read(key)) {
            return JsonCodec.read(in.readAllBytes(), ModelManifest.class).validated();
        } catch (NoSuchKeyException e) {
            throw new PipelineException(FailureReason.MODEL_FILE_MISSING, "model '" + name + "' version '" + version
                    + "' has no manifest at " + key);
        } catch (IOException | UncheckedIOException e) {
            throw new PipelineException(FailureReason.MODEL_INVALID, key + " is not a valid manifest: " + jsonProblem(e));
        }
    }

    /**
     * The model's ONNX file on local disk, downloaded once per version and verified against the pinned sha256.
     * A cached file is trusted because it was verified before it was moved into place.
     */
    public Path fetch(ModelRef ref, ModelManifest manifest) {
        Path cached = cacheDir.resolve(ref.name()).resolve(ref.sha256() + ".onnx");
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
                    actual = copyAndHash(in, partial);
                }
                if (!actual.equalsIgnoreCase(ref.sha256())) {
                    throw new PipelineException(FailureReason.CHECKSUM_MISMATCH, "model '" + ref.name() + "' version '"
                            + ref.version() + "': " + key + " has sha256 " + actual + " but the manifest says "
                            + ref.sha256());
                }
                Files.move(partial, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return cached;
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (NoSuchKeyException e) {
            throw new PipelineException(FailureReason.MODEL_FILE_MISSING, "model '" + ref.name() + "' version '"
                    + ref.version() + "' has no file at " + key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names of the models in the bucket (those with a current version or any published one), sorted. */
    public java.util.List<String> names() {
        return store.list(ModelKeys.MODELS).stream()
                .map(k -> k.substring(ModelKeys.MODELS.length()))
                .filter(rest -> rest.indexOf('/') > 0)
                .map(rest -> rest.substring(0, rest.indexOf('/')))
                .distinct().sorted().toList();
    }

    /** The versions published for a model (those with a manifest), oldest first where they are numbers. */
    public java.util.List<String> versions(String name) {
        String prefix = ModelKeys.MODELS + name + "/versions/";
        return store.list(prefix).stream()
                .filter(k -> k.endsWith("/" + ModelManifest.MANIFEST_FILE))
                .map(k -> k.substring(prefix.length(), k.length() - ModelManifest.MANIFEST_FILE.length() - 1))
                .filter(v -> !v.contains("/"))
                .sorted(java.util.Comparator.comparing((String v) -> v.matches("\\d{1,18}") ? Long.parseLong(v) : Long.MAX_VALUE)
                        .thenComparing(v -> v))
                .toList();
    }

    /** The model's current.json, if it has one. */
    public java.util.Optional<ModelPointer> current(String name) {
        try (InputStream in = store.read(ModelKeys.pointer(name))) {
            return java.util.Optional.of(JsonCodec.read(in.readAllBytes(), ModelPointer.class));
        } catch (NoSuchKeyException e) {
            return java.util.Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A published version's manifest; a missing or unreadable one is an error naming its key. */
    public ModelManifest manifest(String name, String version) {
        return readManifest(name, version);
    }

    /**
     * Makes a published version current, after checking that its manifest is valid and its ONNX file is in
     * place with the size the manifest gives; one PUT of {@code current.json}, which S3 replaces atomically.
     */
    public ModelRef promote(String name, String version) {
        ModelManifest manifest = readManifest(name, version);
        ModelManifest.ModelFile file = manifest.onnxFile();
        String key = ModelKeys.version(name, version) + file.path();
        ObjectStore.StoredObject onnx = store.head(key).orElseThrow(() -> new PipelineException(
                FailureReason.MODEL_FILE_MISSING, "model '" + name + "' version '" + version + "' has no file at " + key));
        if (file.size() > 0 && onnx.size() != file.size()) {
            throw new PipelineException(FailureReason.CHECKSUM_MISMATCH, key + " holds " + onnx.size()
                    + " bytes but the manifest says " + file.size());
        }
        ModelRef ref = new ModelRef(name, version, file.sha256());
        promote(ref);
        return ref;
    }

    /** Uploads a model version (its ONNX file and manifest) without making it current. */
    public ModelRef publish(Path onnxFile, ModelManifest manifest) {
        String sha256 = sha256(onnxFile);
        ModelManifest.ModelFile file = manifest.onnxFile();
        if (!file.sha256().equalsIgnoreCase(sha256)) {
            throw new PipelineException(FailureReason.CHECKSUM_MISMATCH, onnxFile + " has sha256 " + sha256
                    + " but its manifest says " + file.sha256());
        }
        String prefix = ModelKeys.version(manifest.name(), manifest.version());
        store.write(prefix + file.path(), onnxFile);
        store.write(prefix + ModelManifest.MANIFEST_FILE, JsonCodec.writePretty(manifest));
        return new ModelRef(manifest.name(), manifest.version(), sha256);
    }

    /** Makes a published version current; jobs started before keep the version they pinned. */
    public void promote(ModelRef ref) {
        store.write(ModelKeys.pointer(ref.name()), JsonCodec.writePretty(new ModelPointer(ref.version(), ref.sha256())));
    }

    /** Reads a model folder holding {@code manifest.json} and the ONNX file it lists. */
    public static LocalModel readLocal(Path dir) {
        Path manifestFile = dir.resolve(ModelManifest.MANIFEST_FILE);
        if (!Files.isRegularFile(manifestFile)) {
            throw new PipelineException(FailureReason.MODEL_FILE_MISSING, "no " + ModelManifest.MANIFEST_FILE + " in " + dir);
        }
        try {
            ModelManifest manifest = JsonCodec.read(Files.readAllBytes(manifestFile), ModelManifest.class).validated();
            Path onnx = dir.resolve(manifest.onnxFile().path());
            if (!Files.isRegularFile(onnx)) {
                throw new PipelineException(FailureReason.MODEL_FILE_MISSING, "the manifest in " + dir + " lists "
                        + manifest.onnxFile().path() + ", which is not there");
            }
            return new LocalModel(onnx, manifest);
        } catch (IOException | UncheckedIOException e) {
            throw new PipelineException(FailureReason.MODEL_INVALID, manifestFile + " is not a valid manifest: "
                    + jsonProblem(e));
        }
    }

    /** A model folder on local disk. */
    public record LocalModel(Path onnxFile, ModelManifest manifest) {
        public ModelRef verifiedRef() {
            String actual = sha256(onnxFile);
            if (!actual.equalsIgnoreCase(manifest.onnxFile().sha256())) {
                throw new PipelineException(FailureReason.CHECKSUM_MISMATCH, onnxFile + " has sha256 " + actual
                        + " but its manifest says " + manifest.onnxFile().sha256());
            }
            return new ModelRef(manifest.name(), manifest.version(), actual);
        }
    }

    /** What is wrong with a JSON document, told without the parser's class names. */
    static String jsonProblem(Exception e) {
        Throwable cause = e instanceof UncheckedIOException ? e.getCause() : e;
        if (cause instanceof com.fasterxml.jackson.core.JsonProcessingException json) {
            var at = json.getLocation();
            return json.getOriginalMessage() + (at == null ? "" : " (line " + at.getLineNr() + ", column "
                    + at.getColumnNr() + ")");
        }
        return cause.getMessage();
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return copyAndHash(in, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String copyAndHash(InputStream in, Path target) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream hashing = new DigestInputStream(in, digest)) {
                if (target == null) {
                    hashing.transferTo(java.io.OutputStream.nullOutputStream());
                } else {
                    Files.copy(hashing, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
