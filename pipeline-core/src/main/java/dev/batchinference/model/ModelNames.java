package dev.batchinference.model;

import java.util.regex.Pattern;

/**
 * What may name a model, a version, a model file and a checksum. Each becomes part of a key under
 * {@code models/} and of a path in the worker's model cache, so each is checked before it is used:
 * names and versions are 1 to 64 characters of {@code a-z 0-9 . _ -}, starting with a letter or digit,
 * without {@code ..}; a model file is a plain file name ending in {@code .onnx}; a sha256 is 64 hex digits.
 */
public final class ModelNames {
    /** The documented pattern of model names and versions (without {@code ..}, checked apart). */
    public static final String NAME_RULE = "1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter"
            + " or digit, without '..'";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}\\.onnx");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private ModelNames() {
    }

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches() && !name.contains("..");
    }

    /** Null if {@code value} is a valid model name or version, else what is wrong, for a message. */
    public static String problemWith(String what, String value) {
        if (value == null || value.isEmpty()) {
            return "no " + what;
        }
        return isValidName(value) ? null : what + " '" + printable(value) + "' is not valid: a " + what + " is " + NAME_RULE;
    }

    public static boolean isValidFileName(String path) {
        return path != null && FILE.matcher(path).matches() && !path.contains("..");
    }

    public static boolean isValidSha256(String sha256) {
        return sha256 != null && SHA256.matcher(sha256).matches();
    }

    /** A value for a message: control characters shown as '?', at most 80 characters. */
    static String printable(String value) {
        StringBuilder out = new StringBuilder();
        value.codePoints().limit(80).forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return value.codePointCount(0, value.length()) > 80 ? out + "…" : out.toString();
    }
}
