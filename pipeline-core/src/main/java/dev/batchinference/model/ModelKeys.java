package dev.batchinference.model;

/** Where models live in the bucket (a contract: docs/design.md); the rest of the layout is in {@code JobKeys}. */
public final class ModelKeys {
    public static final String MODELS = "models/";

    private ModelKeys() {
    }

    /** {@code models/<model>/current.json}: the pointer to the version new jobs pin. */
    public static String pointer(String model) {
        return MODELS + model + "/current.json";
    }

    /** {@code models/<model>/versions/<version>/}: a version's manifest and ONNX file. */
    public static String version(String model, String version) {
        return MODELS + model + "/versions/" + version + "/";
    }
}
