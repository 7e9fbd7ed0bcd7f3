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

/**
 * The model store in the bucket: {@code models/<name>/current.json} points at
 * {@code models/<name>/versions/<version>/{model.onnx, manifest.json}}. Here are resolving, publishing,
 * promoting and listing versions; the ONNX files jobs use (downloads within the size limit, verified against
 * the manifest's sha256 and kept on local disk) are {@link ModelFiles}'.
 */
public final class ModelStore {
    /** The largest ONNX file a job may use (MAX_MODEL_BYTES): workers hold the file in memory to verify what they load. */
    public static final long DEFAULT_MAX_MODEL_BYTES = 256L * 1024 * 1024;
    private static final java.util.Set<String> POINTER_FIELDS = java.util.Set.of("version", "sha256");

    private final ObjectStore store;
    private final ModelFiles files;

    /** A model version and its manifest, as resolved for a job. */
    public record ResolvedModel(ModelRef ref, ModelManifest manifest) {
    }

    public ModelStore(ObjectStore store, Path cacheDir) {
        this(store, cacheDir, DEFAULT_MAX_MODEL_BYTES);
    }

    public ModelStore(ObjectStore store, Path cacheDir, long maxModelBytes) {
        this.store = store;
        this.files = new ModelFiles(store, cacheDir, maxModelBytes);
    }

    /** The current version of a model; what a new job pins. */
    public ResolvedModel resolveCurrent(String name) {
        if (!ModelNames.isValidName(name)) {
            throw new PipelineException(FailureReason.UNKNOWN_MODEL, "'" + ModelNames.printable(String.valueOf(name))
                    + "' cannot name a model (a model name is " + ModelNames.NAME_RULE + "), so no model has it");
        }
        String pointerKey = ModelKeys.pointer(name);
        ModelPointer pointer;
        try (InputStream in = store.read(pointerKey)) {
            pointer = readPointer(pointerKey, in.readAllBytes());
        } catch (NoSuchKeyException e) {
            throw new PipelineException(FailureReason.UNKNOWN_MODEL, "no model named '" + name + "': "
                    + pointerKey + " does not exist (publish the model first)");
        } catch (IOException | UncheckedIOException e) {
            throw new PipelineException(FailureReason.MODEL_INVALID, pointerKey + " is not valid JSON: " + jsonProblem(e));
        }
        ModelManifest manifest = readManifest(name, pointer.version());
        if (!name.equals(manifest.name()) || !pointer.version().equals(manifest.version())) {
            throw new PipelineException(FailureReason.MODEL_INVALID, ModelKeys.version(name, pointer.version())
                    + ModelManifest.MANIFEST_FILE + " describes model '" + ModelNames.printable(manifest.name())
                    + "' version '" + ModelNames.printable(manifest.version()) + "', not the model and version it is stored as");
        }
        ModelManifest.ModelFile file = manifest.onnxFile();
        files.checkSize(name, pointer.version(), file.size());
        String sha256 = file.sha256().toLowerCase(java.util.Locale.ROOT);
        if (pointer.sha256() != null && !pointer.sha256().equalsIgnoreCase(sha256)) {
            throw new PipelineException(FailureReason.CHECKSUM_MISMATCH, "model '" + name + "' version '"
                    + pointer.version() + "': current.json says sha256 " + pointer.sha256()
                    + " but the manifest says " + sha256);
        }
        return new ResolvedModel(new ModelRef(name, pointer.version(), sha256), manifest);
    }

    /** current.json holds a version and, optionally, the sha256 of its ONNX file; nothing else. */
    private static ModelPointer readPointer(String key, byte[] json) {
        com.fasterxml.jackson.databind.JsonNode tree = JsonCodec.read(json, com.fasterxml.jackson.databind.JsonNode.class);
        if (tree == null || !tree.isObject()) {
            throw new PipelineException(FailureReason.MODEL_INVALID, key + " is not a JSON object");
        }
        java.util.List<String> unknown = new java.util.ArrayList<>();
        tree.fieldNames().forEachRemaining(f -> {
            if (!POINTER_FIELDS.contains(f)) {
                unknown.add(ModelNames.printable(f));
            }
        });
        if (!unknown.isEmpty()) {
            throw new PipelineException(FailureReason.MODEL_INVALID, key + " has fields the pipeline does not know "
                    + unknown + ": it holds only \"version\" and \"sha256\"");
        }
        ModelPointer pointer = JsonCodec.read(json, ModelPointer.class);
        if (pointer.version() == null) {
            throw new PipelineException(FailureReason.MODEL_INVALID, key + " names no version");
        }
        String problem = ModelNames.problemWith("version", pointer.version());
        if (problem != null) {
            throw new PipelineException(FailureReason.MODEL_INVALID, key + ": " + problem);
        }
        if (pointer.sha256() != null && !ModelNames.isValidSha256(pointer.sha256())) {
            throw new PipelineException(FailureReason.MODEL_INVALID, key + ": sha256 '"
                    + ModelNames.printable(pointer.sha256()) + "' is not 64 hex digits");
        }
        return pointer;
    }

    /**
     * Checks, before any chunk runs, that the pinned version's ONNX file is there, has the manifest's sha256,
     * and declares the inputs and outputs the manifest relies on ({@link OnnxSignature}), without loading ONNX
     * Runtime: one streaming read of the file, done once per version in this process.
     */
    public void checkGraph(ResolvedModel model) {
        files.checkGraph(model);
    }

    private ModelManifest readManifest(String name, String version) {
        for (String problem : new String[] {ModelNames.problemWith("model name", name), ModelNames.problemWith("version", version)}) {
            if (problem != null) {
                throw new PipelineException(FailureReason.MODEL_INVALID, problem);
            }
        }
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
     * Whatever the plan says, the file is kept under the cache directory: its name is the checked sha256.
     */
    public Path fetch(ModelRef ref, ModelManifest manifest) {
        return files.fetch(ref, manifest);
    }

    /**
     * The bytes of the model's ONNX file, read once from the cache and verified against the pinned sha256:
     * what ONNX Runtime loads is exactly what was checked, whatever happens to the cached file afterwards.
     * A cached copy that no longer matches is fetched again.
     */
    public byte[] loadVerified(ModelRef ref, ModelManifest manifest) {
        return files.loadVerified(ref, manifest);
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
        manifest.validated();
        try {
            files.checkSize(manifest.name(), manifest.version(), Files.size(onnxFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        OnnxSignature.of(onnxFile).requireUsableWith(manifest, onnxFile.toString());
        String sha256 = ModelFiles.sha256(onnxFile);
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
            String actual = ModelFiles.sha256(onnxFile);
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
}
